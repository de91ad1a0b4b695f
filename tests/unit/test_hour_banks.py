"""Contract hour banks (docs/billing.md, issue 13): periods by calendar month of the company's
zone or over the contract's term; time on the contract's covered tickets draws on the bank of
its day's period; time beyond it is billable at the overage rate; included, used, remaining."""
import datetime as dt
from decimal import Decimal

import pytest

from app.extensions import db
from app.models import Contract
from app.models.enums import BankPeriod
from app.services import quote_decisions, worklog
from app.services.billing import hour_banks
from app.services.errors import NotFound, NotPermitted, ValidationFailed
from app.services.permissions import CONSOLE
from tests import factories

D = Decimal
# 23:30 UTC on 31 October 2026 is 00:30 on 1 November in Madrid (CET, after the change)
NOW = dt.datetime(2026, 10, 31, 23, 30, tzinfo=dt.timezone.utc)


@pytest.fixture(autouse=True)
def fixed_clock(app):
    app.config.update(SOPORTE_FIXED_NOW=NOW, SOPORTE_TIMEZONE="Europe/Madrid",
                      SOPORTE_DEFAULT_HOURLY_RATE="50.00", SOPORTE_CURRENCY="EUR")


def _bank(world, hours="2", period=BankPeriod.MONTH, overage_rate=None):
    contract = world.covering_contract
    contract.included_hours, contract.bank_period = D(hours), period
    contract.overage_rate = D(overage_rate) if overage_rate else None
    db.session.commit()
    return contract


def _ticket(world):
    ticket = factories.new_ticket(world, contract_id=world.covering_contract.id)
    assert ticket.billing_contract_id == world.covering_contract.id
    return ticket


def _log(world, ticket, minutes, day=None):
    entry = worklog.log_time(world.agent, ticket, minutes // 60, minutes % 60, work_date=day)
    db.session.commit()
    return entry


def test_a_monthly_period_is_the_calendar_month_of_the_day():
    contract = Contract(bank_period=BankPeriod.MONTH, included_hours=D("10"))
    period = hour_banks.period_of(contract, dt.date(2028, 2, 14))
    assert (period.key, period.first_day, period.last_day) == (
        "2028-02", dt.date(2028, 2, 1), dt.date(2028, 2, 29))
    december = hour_banks.period_of(contract, dt.date(2026, 12, 31))
    assert (december.key, december.first_day, december.last_day) == (
        "2026-12", dt.date(2026, 12, 1), dt.date(2026, 12, 31))
    keys = [p.key for p in hour_banks.previous_periods(contract, dt.date(2026, 3, 5), 6)]
    assert keys == ["2026-03", "2026-02", "2026-01", "2025-12", "2025-11", "2025-10", "2025-09"]


def test_a_contract_period_is_the_contracts_term_with_open_ends():
    contract = Contract(bank_period=BankPeriod.CONTRACT, included_hours=D("40"),
                        starts_on=dt.date(2026, 3, 1))
    period = hour_banks.period_of(contract, dt.date(2026, 11, 2))
    assert (period.key, period.first_day, period.last_day) == ("contract", dt.date(2026, 3, 1),
                                                               None)
    assert period.contains(dt.date(2030, 1, 1)) and not period.contains(dt.date(2026, 2, 28))
    assert len(hour_banks.previous_periods(contract, dt.date(2026, 11, 2), 6)) == 1


def test_the_bank_covers_time_until_it_is_used_then_the_overage_rate_bills(world):
    contract = _bank(world, hours="2", overage_rate="80.00")
    ticket = _ticket(world)
    within = _log(world, ticket, 90)
    across = _log(world, ticket, 45)
    beyond = _log(world, ticket, 15)
    assert (within.covered_minutes, within.rate, within.amount, within.billable) == (
        90, D("50.00"), D("0.00"), False)
    assert (across.covered_minutes, across.rate, across.amount, across.billable) == (
        30, D("80.00"), D("20.00"), True)
    assert (beyond.covered_minutes, beyond.rate, beyond.amount, beyond.billable) == (
        0, D("80.00"), D("20.00"), True)
    usage = hour_banks.current_usage(contract)
    assert (usage.period.key, usage.included_minutes, usage.used_minutes, usage.covered_minutes,
            usage.remaining_minutes, usage.percent) == ("2026-11", 120, 150, 120, 0, 125)


def test_without_an_overage_rate_time_beyond_the_bank_is_valued_at_the_tickets_rate(world):
    _bank(world, hours="1")
    world.covering_contract.hourly_rate, world.covering_contract.currency = D("33.33"), "USD"
    ticket = _ticket(world)
    entry = _log(world, ticket, 150)
    assert (entry.covered_minutes, entry.rate, entry.currency, entry.amount, entry.billable) == (
        60, D("33.33"), "USD", D("50.00"), True)  # 90 min: 49.995 half up


def test_the_1st_and_the_31st_draw_on_different_months_in_the_companys_zone(world):
    contract = _bank(world, hours="1")
    ticket = _ticket(world)
    first = _log(world, ticket, 60)  # today: 1 November in Madrid (31 October in UTC)
    assert first.work_date == dt.date(2026, 11, 1) and first.covered_minutes == 60
    thirty_first = _log(world, ticket, 60, day=dt.date(2026, 10, 31))
    assert thirty_first.covered_minutes == 60  # October's bank was untouched
    november = _log(world, ticket, 30)
    assert (november.covered_minutes, november.billable) == (0, True)
    october = hour_banks.usage(contract, hour_banks.period_of(contract, dt.date(2026, 10, 31)))
    assert (october.used_minutes, october.remaining_minutes) == (60, 0)
    assert hour_banks.current_usage(contract).used_minutes == 90


def test_only_time_on_tickets_the_contract_covers_is_used(world):
    contract = _bank(world, hours="10")
    covered = _ticket(world)
    _log(world, covered, 60)
    quoted = factories.new_ticket(world, contract_id=world.contract.id)  # another contract
    factories.quote(world, quoted)
    quote_decisions.decide_by_customer(quoted.current_quote.id, 1, True)
    _log(world, quoted, 120)
    assert hour_banks.current_usage(contract).used_minutes == 60


def test_a_term_bank_counts_only_days_in_the_term(world):
    contract = _bank(world, hours="1", period=BankPeriod.CONTRACT)
    contract.starts_on = dt.date(2026, 10, 1)
    db.session.commit()
    ticket = _ticket(world)
    assert _log(world, ticket, 30, day=dt.date(2026, 10, 15)).covered_minutes == 30
    assert _log(world, ticket, 40).covered_minutes == 30
    before = _log(world, ticket, 10, day=dt.date(2026, 9, 30))  # before the term: not included
    assert (before.covered_minutes, before.billable) == (0, True)
    usage = hour_banks.current_usage(contract)
    assert (usage.period.key, usage.used_minutes, usage.remaining_minutes) == ("contract", 70, 0)


def test_a_contract_without_a_bank_is_unlimited_support(world):
    ticket = _ticket(world)
    entry = _log(world, ticket, 600)
    assert (entry.covered_minutes, entry.amount, entry.billable) == (0, D("500.00"), False)
    assert not hour_banks.has_bank(world.covering_contract)


def test_the_contract_page_reads_the_bank_for_viewers_only(world):
    contract = _bank(world, hours="1.5")
    _log(world, _ticket(world), 45)
    bank = hour_banks.contract_bank(world.viewer, contract.id)
    assert [u.period.key for u in bank.periods] == [
        "2026-11", "2026-10", "2026-09", "2026-08", "2026-07", "2026-06", "2026-05"]
    assert (bank.current.included_minutes, bank.current.used_minutes,
            bank.current.remaining_minutes, bank.current.percent) == (90, 45, 45, 50)
    assert hour_banks.contract_bank(world.viewer, world.contract.id).periods == []
    with pytest.raises(NotFound):
        hour_banks.contract_bank(world.viewer, 999999)
    with pytest.raises(NotPermitted):  # the console manages users, it reads no tickets
        hour_banks.contract_bank(CONSOLE, contract.id)


@pytest.mark.parametrize("typed, expected", [
    ("10", D("10.00")), ("7,5", D("7.50")), (" 0.25 ", D("0.25")), (D("3"), D("3.00")),
    (12, D("12.00")), ("", None), (None, None),
])
def test_included_hours_as_typed(typed, expected):
    assert hour_banks.parse_included_hours(typed) == expected


@pytest.mark.parametrize("typed", ["0", "-1", "1.234", "diez", "NaN", "100000.01", 7.5, True])
def test_bad_included_hours_are_refused_naming_the_field(typed):
    with pytest.raises(ValidationFailed) as raised:
        hour_banks.parse_included_hours(typed)
    assert raised.value.field == "included_hours"


def test_a_bank_has_both_hours_and_period_or_neither():
    assert hour_banks.parse_bank_period("month") is BankPeriod.MONTH
    assert hour_banks.parse_bank_period("") is None
    with pytest.raises(ValidationFailed):
        hour_banks.parse_bank_period("WEEK")
    hour_banks.check_bank(None, None)
    hour_banks.check_bank(D("10"), BankPeriod.CONTRACT)
    with pytest.raises(ValidationFailed) as raised:
        hour_banks.check_bank(D("10"), None)
    assert raised.value.field == "bank_period"
    with pytest.raises(ValidationFailed) as raised:
        hour_banks.check_bank(None, BankPeriod.MONTH)
    assert raised.value.field == "included_hours"
