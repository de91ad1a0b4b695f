"""The one clock across the daylight-saving changes of Europe/Madrid in 2026 (29 March: 02:00 CET
becomes 03:00 CEST; 25 October: 03:00 CEST becomes 02:00 CET), and the formatting of moments in
the reader's language and zone (app/web/local_time.py)."""
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from flask_babel import force_locale

from app import ConfigurationError, create_app
from app.services import clock
from app.web.local_time import local_date, local_datetime

UTC = dt.timezone.utc
MADRID = ZoneInfo("Europe/Madrid")
BOGOTA = ZoneInfo("America/Bogota")


def _utc(*parts) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=UTC)


@pytest.fixture
def app(tmp_path):
    """An app without a database (the clock reads only its configuration)."""
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": "sqlite://",
                                 "SOPORTE_ATTACHMENT_DIR": str(tmp_path / "attachments"),
                                 "SOPORTE_MAIL_DIR": str(tmp_path / "mail")})
    with app.app_context():
        yield app


def _fix(app, moment: dt.datetime) -> None:
    app.config["SOPORTE_FIXED_NOW"] = moment


def test_now_is_the_fixed_moment_in_utc(app):
    _fix(app, dt.datetime(2026, 10, 25, 3, 30, tzinfo=MADRID))
    assert clock.now() == _utc(2026, 10, 25, 2, 30) and clock.now().tzinfo is UTC


def test_now_without_a_fixed_moment_is_the_current_utc_time(app):
    before = dt.datetime.now(UTC)
    assert before <= clock.now() <= dt.datetime.now(UTC)


@pytest.mark.parametrize("moment, day", [
    (_utc(2026, 10, 24, 21, 59), dt.date(2026, 10, 24)),  # 23:59 CEST
    (_utc(2026, 10, 24, 22, 0), dt.date(2026, 10, 25)),   # midnight CEST, still the 24th in UTC
    (_utc(2026, 10, 25, 22, 59), dt.date(2026, 10, 25)),  # 23:59 CET, after the change
    (_utc(2026, 10, 25, 23, 0), dt.date(2026, 10, 26)),   # midnight CET
    (_utc(2026, 3, 28, 22, 59), dt.date(2026, 3, 28)),    # 23:59 CET
    (_utc(2026, 3, 28, 23, 0), dt.date(2026, 3, 29)),     # midnight CET, before the change
    (_utc(2026, 3, 29, 21, 59), dt.date(2026, 3, 29)),    # 23:59 CEST
    (_utc(2026, 3, 29, 22, 0), dt.date(2026, 3, 30)),     # midnight CEST
])
def test_today_flips_at_the_companys_midnight_not_utcs(app, moment, day):
    _fix(app, moment)
    assert clock.today() == day


def test_today_follows_the_configured_zone(app):
    _fix(app, _utc(2026, 10, 25, 3, 0))  # 04:00 in Madrid, 22:00 of the 24th in Bogotá
    assert clock.today() == dt.date(2026, 10, 25)
    app.config["SOPORTE_TIMEZONE"] = "America/Bogota"
    assert clock.today() == dt.date(2026, 10, 24)


@pytest.mark.parametrize("day, start, hours", [
    (dt.date(2026, 10, 25), _utc(2026, 10, 24, 22, 0), 25),  # the clock goes back an hour
    (dt.date(2026, 3, 29), _utc(2026, 3, 28, 23, 0), 23),    # the clock skips an hour
    (dt.date(2026, 10, 26), _utc(2026, 10, 25, 23, 0), 24),
    (dt.date(2026, 7, 1), _utc(2026, 6, 30, 22, 0), 24),
])
def test_day_bounds_are_the_local_day_in_utc(app, day, start, hours):
    first, end = clock.day_bounds(day)
    assert first == start and end - first == dt.timedelta(hours=hours)
    assert first.tzinfo is UTC and end.tzinfo is UTC


def test_day_bounds_in_another_zone(app):
    first, end = clock.day_bounds(dt.date(2026, 10, 25), BOGOTA)  # no daylight saving there
    assert (first, end) == (_utc(2026, 10, 25, 5, 0), _utc(2026, 10, 26, 5, 0))


def test_local_crosses_the_change_of_october(app):
    before, after = _utc(2026, 10, 25, 0, 30), _utc(2026, 10, 25, 1, 30)
    assert clock.local(before).strftime("%H:%M %Z") == "02:30 CEST"
    assert clock.local(after).strftime("%H:%M %Z") == "02:30 CET"  # an hour later, same wall time
    assert clock.local(after, BOGOTA).strftime("%d %H:%M") == "24 20:30"


def test_a_users_zone_is_their_own_else_the_companys(app):
    class Person:
        time_zone = None

    person = Person()
    assert clock.user_zone(person) == MADRID
    person.time_zone = "America/Bogota"
    assert clock.user_zone(person) == BOGOTA
    person.time_zone = "Mars/Olympus_Mons"  # a name no longer known: the company's, never a 500
    assert clock.user_zone(person) == MADRID
    assert clock.user_zone(None) == MADRID


@pytest.mark.parametrize("name, known", [
    ("Europe/Madrid", True), ("America/Bogota", True), ("UTC", True),
    ("Mars/Olympus_Mons", False), ("europe/madrid", False), ("", False), (None, False),
])
def test_is_zone(name, known):
    assert clock.is_zone(name) is known


def test_an_unknown_company_zone_refuses_to_start(tmp_path):
    with pytest.raises(ConfigurationError, match="Europe/Madird"):
        create_app("testing", {"SQLALCHEMY_DATABASE_URI": "sqlite://",
                               "SOPORTE_TIMEZONE": "Europe/Madird"})


@pytest.mark.parametrize("language, zone, moment, shown", [
    ("es", MADRID, _utc(2026, 10, 25, 0, 30), "25 oct 2026, 2:30"),   # CEST
    ("es", MADRID, _utc(2026, 10, 25, 1, 30), "25 oct 2026, 2:30"),   # CET, an hour later
    ("es", MADRID, _utc(2026, 10, 25, 2, 30), "25 oct 2026, 3:30"),
    ("es", MADRID, _utc(2026, 3, 29, 0, 59), "29 mar 2026, 1:59"),
    ("es", MADRID, _utc(2026, 3, 29, 1, 0), "29 mar 2026, 3:00"),     # 02:00 never happens
    ("es", BOGOTA, _utc(2026, 10, 25, 1, 30), "24 oct 2026, 20:30"),
    ("en", MADRID, _utc(2026, 10, 25, 1, 30), "Oct 25, 2026, 2:30\u202fAM"),
    ("en", BOGOTA, _utc(2026, 10, 25, 1, 30), "Oct 24, 2026, 8:30\u202fPM"),
])
def test_local_datetime_in_the_readers_language_and_zone(app, language, zone, moment, shown):
    with app.test_request_context(), force_locale(language):
        assert local_datetime(moment, zone) == shown
        assert local_datetime(moment, str(zone)) == shown  # an IANA name works too


def test_without_a_zone_the_reader_outside_a_session_gets_the_companys(app):
    with app.test_request_context(), force_locale("es"):
        assert local_datetime(_utc(2026, 10, 25, 22, 30)) == "25 oct 2026, 23:30"
        assert local_date(_utc(2026, 10, 25, 23, 30)) == "26 oct 2026"  # the local day
        assert local_date(dt.date(2026, 10, 25)) == "25 oct 2026"
        assert local_datetime(None) == local_date(None) == ""


def test_a_naive_moment_is_read_as_utc(app):
    with app.test_request_context(), force_locale("es"):
        assert local_datetime(dt.datetime(2026, 10, 25, 1, 30), MADRID) == "25 oct 2026, 2:30"
