"""Business time on a calendar (app.services.sla.business_time) across the daylight-saving changes
of Europe/Madrid in 2026 (29 March: 02:00 CET becomes 03:00 CEST; 25 October: 03:00 CEST becomes
02:00 CET), midnight, national and regional holidays, a 24/7 calendar, tickets opened outside
business hours, on a holiday eve and on a Friday evening; and the grammar of business hours
(app.services.sla.calendars). Pure: every moment is given, no clock is read."""
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from flask_babel import force_locale

from app import create_app
from app.services.errors import ValidationFailed
from app.services.sla.business_time import (add_business_minutes, business_minutes_between,
                                            business_time_between)
from app.services.sla.calendars import (Calendar, default_calendar, format_business_hours,
                                        package_holidays, parse_business_hours)

MADRID = ZoneInfo("Europe/Madrid")
UTC = dt.timezone.utc
OFFICE = "mon-fri 09:00-18:00"
ALWAYS = "mon-sun 00:00-24:00"


def calendar(spec: str = OFFICE, region: tuple | None = ("ES", None)) -> Calendar:
    days = package_holidays(*region) if region else frozenset()
    return Calendar("test", MADRID, parse_business_hours(spec), days)


def madrid(*parts) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=MADRID)


def utc(*parts) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=UTC)


@pytest.fixture
def app(tmp_path):
    """An app without a database, for the messages and the configured calendar."""
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": "sqlite://",
                                 "SOPORTE_ATTACHMENT_DIR": str(tmp_path / "attachments"),
                                 "SOPORTE_MAIL_DIR": str(tmp_path / "mail")})
    with app.test_request_context(), force_locale("en"):
        yield app


# --- Daylight saving ----------------------------------------------------------------------

def test_a_24_7_day_is_23_hours_when_spring_skips_an_hour_and_25_when_autumn_repeats_one():
    always = calendar(ALWAYS, region=None)
    assert business_minutes_between(always, madrid(2026, 3, 29), madrid(2026, 3, 30)) == 23 * 60
    assert business_minutes_between(always, madrid(2026, 10, 25), madrid(2026, 10, 26)) == 25 * 60
    assert business_minutes_between(always, madrid(2026, 10, 26), madrid(2026, 10, 27)) == 24 * 60


@pytest.mark.parametrize("start, end", [
    (utc(2026, 3, 28, 11), utc(2026, 3, 29, 11)),    # 12:00 CET → 13:00 CEST the next day
    (utc(2026, 10, 24, 10), utc(2026, 10, 25, 10)),  # 12:00 CEST → 11:00 CET the next day
])
def test_24_hours_of_a_24_7_calendar_are_24_real_hours_across_a_change(start, end):
    always = calendar(ALWAYS, region=None)
    assert add_business_minutes(always, start, 24 * 60) == end


def test_a_window_that_spans_the_spring_gap_is_two_hours_long_and_the_autumn_one_four():
    night = calendar("sun 01:00-04:00", region=None)
    assert business_minutes_between(night, madrid(2026, 3, 29), madrid(2026, 3, 30)) == 120
    assert business_minutes_between(night, madrid(2026, 10, 25), madrid(2026, 10, 26)) == 240
    # 01:00 CET plus 90 minutes: 02:00 CET is 03:00 CEST, so 03:30 CEST (01:30 UTC)
    assert add_business_minutes(night, madrid(2026, 3, 29, 1), 90) == utc(2026, 3, 29, 1, 30)
    # 01:00 CEST plus 150 minutes: 03:00 CEST is 02:00 CET, then 02:30 CET (01:30 UTC)
    assert add_business_minutes(night, madrid(2026, 10, 25, 1), 150) == utc(2026, 10, 25, 1, 30)


@pytest.mark.parametrize("friday, monday_due", [
    (madrid(2026, 3, 27, 17), madrid(2026, 3, 30, 10)),    # CET Friday, CEST Monday
    (madrid(2026, 10, 23, 17), madrid(2026, 10, 26, 10)),  # CEST Friday, CET Monday
])
def test_office_hours_keep_their_wall_time_across_a_change_weekend(friday, monday_due):
    office = calendar()
    due = add_business_minutes(office, friday, 120)
    assert due == monday_due and due.astimezone(MADRID).hour == 10
    assert business_minutes_between(office, friday, monday_due) == 120


# --- Midnight, weekends, outside hours ----------------------------------------------------

def test_a_24_7_calendar_crosses_midnight():
    always = calendar(ALWAYS, region=None)
    assert add_business_minutes(always, madrid(2026, 11, 17, 23, 30), 60) == \
        madrid(2026, 11, 18, 0, 30)


def test_a_window_that_ends_at_midnight_continues_the_next_evening():
    evenings = calendar("mon-fri 20:00-24:00", region=None)
    assert add_business_minutes(evenings, madrid(2026, 11, 16, 23), 120) == \
        madrid(2026, 11, 17, 21)
    assert business_minutes_between(evenings, madrid(2026, 11, 16, 23),
                                    madrid(2026, 11, 17, 21)) == 120


def test_friday_evening_to_monday():
    office = calendar()
    assert add_business_minutes(office, madrid(2026, 11, 20, 17), 120) == madrid(2026, 11, 23, 10)
    assert business_minutes_between(office, madrid(2026, 11, 20, 17, 30),
                                    madrid(2026, 11, 23, 9, 30)) == 60


def test_filling_a_window_exactly_ends_at_its_close_not_at_the_next_opening():
    office = calendar()
    assert add_business_minutes(office, madrid(2026, 11, 20, 17), 60) == madrid(2026, 11, 20, 18)


@pytest.mark.parametrize("opened, due", [
    (madrid(2026, 11, 16, 7), madrid(2026, 11, 16, 10)),      # before opening
    (madrid(2026, 11, 16, 19), madrid(2026, 11, 17, 10)),     # after closing
    (madrid(2026, 11, 21, 11), madrid(2026, 11, 23, 10)),     # on a Saturday
    (madrid(2026, 11, 16, 13, 30), madrid(2026, 11, 16, 15, 30)),  # over the lunch break
])
def test_a_ticket_opened_outside_business_hours_counts_from_the_next_window(opened, due):
    split = calendar("mon-fri 09:00-14:00,15:00-18:00")
    assert add_business_minutes(split, opened, 60) == due


def test_time_between_is_negative_backwards_and_zero_outside_hours():
    office = calendar()
    assert business_minutes_between(office, madrid(2026, 11, 16, 11), madrid(2026, 11, 16, 10)) \
        == -60
    assert business_time_between(office, madrid(2026, 11, 21, 9), madrid(2026, 11, 22, 18)) == \
        dt.timedelta(0)


# --- Holidays -----------------------------------------------------------------------------

def test_a_national_holiday_has_no_business_hours():
    office = calendar()  # 6 January: Epiphany, in all of Spain
    assert add_business_minutes(office, madrid(2026, 1, 5, 17), 120) == madrid(2026, 1, 7, 10)


def test_a_ticket_opened_on_a_holiday_eve_is_due_after_the_holiday_and_the_weekend():
    office = calendar()  # Thursday 24 December; Christmas is a Friday
    assert add_business_minutes(office, madrid(2026, 12, 24, 17, 30), 60) == \
        madrid(2026, 12, 28, 9, 30)


def test_a_regional_holiday_counts_only_in_its_region():
    # 24 June (Sant Joan) is a holiday in Catalonia, not in Madrid
    catalonia, madrid_region = calendar(region=("ES", "CT")), calendar(region=("ES", "MD"))
    opened = madrid(2026, 6, 23, 17)
    assert add_business_minutes(catalonia, opened, 120) == madrid(2026, 6, 25, 10)
    assert add_business_minutes(madrid_region, opened, 120) == madrid(2026, 6, 24, 10)
    # 2 April (Maundy Thursday) is one in Madrid, not in Catalonia
    assert add_business_minutes(madrid_region, madrid(2026, 4, 1, 17), 120) == \
        madrid(2026, 4, 6, 10)
    assert add_business_minutes(catalonia, madrid(2026, 4, 1, 17), 120) == madrid(2026, 4, 2, 10)


def test_a_24_7_calendar_still_skips_its_holidays():
    always = calendar(ALWAYS)
    assert add_business_minutes(always, madrid(2026, 12, 24, 23), 120) == madrid(2026, 12, 26, 1)


def _walked(cal: Calendar, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
    """The business time from start to end by walking every local day's windows (the
    definition the day table's sums must agree with)."""
    total, day = dt.timedelta(0), start.astimezone(cal.zone).date()
    while day <= end.astimezone(cal.zone).date():
        for first, last in cal.windows_on(day):
            opens = dt.datetime.combine(day, dt.time(first // 60, first % 60), tzinfo=cal.zone) \
                if first < 1440 else None
            closes = (dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=cal.zone)
                      if last == 1440 else
                      dt.datetime.combine(day, dt.time(last // 60, last % 60), tzinfo=cal.zone))
            overlap = min(closes, end) - max(opens, start)
            if overlap > dt.timedelta(0):
                total += overlap
        day += dt.timedelta(days=1)
    return total


@pytest.mark.parametrize("spec", [OFFICE, "mon-fri 09:00-14:00,15:00-18:00; sat 10:00-13:00",
                                  "mon-sun 08:00-20:00"])
def test_spans_of_days_months_and_years_sum_as_a_walk_over_every_day(spec):
    import random

    cal, rng = calendar(spec, ("ES", "MD")), random.Random(14)
    base = utc(2024, 12, 20, 7, 13)
    for _ in range(150):
        start = base + dt.timedelta(minutes=rng.randrange(0, 60 * 24 * 500))
        end = start + dt.timedelta(minutes=rng.choice([rng.randrange(0, 3000),
                                                        rng.randrange(0, 60 * 24 * 800)]))
        assert business_time_between(cal, start, end) == _walked(cal, start, end), (start, end)
    # across a new year's day (a holiday) and two daylight-saving changes, in whole days
    assert business_time_between(cal, madrid(2025, 12, 31, 17), madrid(2026, 11, 2, 9)) == \
        _walked(cal, madrid(2025, 12, 31, 17), madrid(2026, 11, 2, 9))


def test_the_configured_calendar_reads_the_settings(app):
    app.config.update(SOPORTE_BUSINESS_HOURS="mon-fri 08:00-15:00", SOPORTE_HOLIDAYS="ES-MD")
    configured = default_calendar()
    assert configured.zone.key == "Europe/Madrid"
    assert add_business_minutes(configured, madrid(2026, 4, 1, 14), 120) == madrid(2026, 4, 6, 9)
    app.config.update(SOPORTE_HOLIDAYS="")
    assert add_business_minutes(default_calendar(), madrid(2026, 4, 1, 14), 120) == \
        madrid(2026, 4, 2, 9)


# --- The grammar --------------------------------------------------------------------------

def test_the_grammar_reads_several_windows_and_groups_and_writes_them_back():
    week = parse_business_hours("mon-fri 09:00-14:00,15:00-18:00; sat 10:00-13:00")
    assert week[0] == ((540, 840), (900, 1080)) and week[5] == ((600, 780),) and week[6] == ()
    assert format_business_hours(week) == "mon-fri 09:00-14:00,15:00-18:00; sat 10:00-13:00"
    assert format_business_hours(parse_business_hours(ALWAYS)) == ALWAYS
    assert parse_business_hours("fri-mon 10:00-12:00")[1] == ()  # a range may wrap the week
    assert parse_business_hours("fri-mon 10:00-12:00")[0] == ((600, 720),)


@pytest.mark.parametrize("spec, says", [
    ("", "Enter the business hours"),
    ("mon-fri", "is not business hours"),
    ("lun-vie 09:00-18:00", "is not a day"),
    ("mon-fri 18:00-09:00", "is not a time window"),
    ("mon-fri 09:00-24:30", "is not a time window"),
    ("mon-fri 9h-18h", "is not a time window"),
    ("mon-fri 09:00-14:00,13:00-18:00", "overlap on mon"),
])
def test_a_bad_spec_is_refused_saying_why_and_naming_the_field(app, spec, says):
    with pytest.raises(ValidationFailed) as refused:
        parse_business_hours(spec, field="SOPORTE_BUSINESS_HOURS")
    assert refused.value.field == "SOPORTE_BUSINESS_HOURS"
    assert says in str(refused.value)


def test_a_bad_configuration_names_its_setting(app):
    app.config.update(SOPORTE_BUSINESS_HOURS="mon-fri 09:00-18:00", SOPORTE_HOLIDAYS="XX-YY")
    with pytest.raises(ValidationFailed) as refused:
        default_calendar()
    assert refused.value.field == "SOPORTE_HOLIDAYS"
    app.config.update(SOPORTE_BUSINESS_HOURS="always", SOPORTE_HOLIDAYS="ES")
    with pytest.raises(ValidationFailed) as refused:
        default_calendar()
    assert refused.value.field == "SOPORTE_BUSINESS_HOURS"
