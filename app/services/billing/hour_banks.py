"""Contract hour banks (docs/billing.md): support hours included per period, and how much of
them the contract's covered tickets used.

A bank is counted per calendar month of the company's time zone (BankPeriod.MONTH: a time
entry's work_date is already the company's day) or over the contract's whole term
(BankPeriod.CONTRACT: starts_on to ends_on, either end open). Used minutes are all the minutes
of time entries dated in the period on tickets covered by the contract (billing basis CONTRACT,
billing_contract_id the contract). One computation (`usage`) serves the ticket page, the
contract page, the warnings and the reports.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from types import SimpleNamespace
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.extensions import db
from app.models.client import Contract
from app.models.enums import BankPeriod, BillingBasis
from app.models.ticket import Ticket
from app.models.worklog import TimeEntry
from app.services import clock
from app.services.billing import rates
from app.services.errors import NotFound, ValidationFailed
from app.services.permissions import Actor, Permission, require

CENT = Decimal("0.01")
# A bank holds at most this many hours per period (the column holds 8 digits, 2 decimals).
MAX_INCLUDED_HOURS = Decimal("100000.00")
CONTRACT_PERIOD = "contract"  # the key of a bank counted over the contract's whole term


@dataclass(frozen=True)
class BankPeriodSpan:
    """One period of a contract's bank: its key ("2026-11", or "contract" for the whole term)
    and its first and last days (None: open)."""

    key: str
    first_day: dt.date | None
    last_day: dt.date | None

    def contains(self, day: dt.date) -> bool:
        """Whether the company's day falls in the period."""
        return (self.first_day is None or day >= self.first_day) and (
            self.last_day is None or day <= self.last_day)


@dataclass(frozen=True)
class BankUsage:
    """A bank in one period: included, used, covered (used within the bank) and remaining
    minutes (never negative), and the percent used (whole, rounded down: 80 means ≥ 80 %)."""

    period: BankPeriodSpan
    included_minutes: int
    used_minutes: int

    @property
    def covered_minutes(self) -> int:
        """Used minutes the bank covers."""
        return min(self.used_minutes, self.included_minutes)

    @property
    def overage_minutes(self) -> int:
        """Used minutes beyond the bank."""
        return max(self.used_minutes - self.included_minutes, 0)

    @property
    def remaining_minutes(self) -> int:
        """What is left of the bank (0 once it is used up)."""
        return max(self.included_minutes - self.used_minutes, 0)

    @property
    def percent(self) -> int:
        """Used as a whole percent of included, rounded down."""
        return self.used_minutes * 100 // self.included_minutes if self.included_minutes else 0

    def reached(self, threshold: int) -> bool:
        """Used is at least `threshold` percent of included (exact, in minutes)."""
        return self.included_minutes > 0 and \
            self.used_minutes * 100 >= self.included_minutes * threshold


def minutes_of_hours(hours: Decimal) -> int:
    """Decimal hours (two decimals) as whole minutes, rounded half up (1.25 h: 75 min)."""
    return int((Decimal(hours) * 60).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def has_bank(contract: Contract | None) -> bool:
    """Whether the contract includes an hour bank."""
    return contract is not None and contract.included_hours is not None \
        and contract.bank_period is not None


def period_of(contract: Contract, day: dt.date) -> BankPeriodSpan:
    """The bank period holding the company's day: its calendar month (MONTH), or the contract's
    term (CONTRACT, open ends allowed)."""
    if contract.bank_period is BankPeriod.CONTRACT:
        return BankPeriodSpan(CONTRACT_PERIOD, contract.starts_on, contract.ends_on)
    first = day.replace(day=1)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    return BankPeriodSpan(f"{day.year:04d}-{day.month:02d}", first,
                          following - dt.timedelta(days=1))


def previous_periods(contract: Contract, day: dt.date, count: int) -> list[BankPeriodSpan]:
    """The period holding the day and the `count` before it, newest first (one period for a
    bank counted over the contract's term)."""
    period = period_of(contract, day)
    periods = [period]
    while contract.bank_period is BankPeriod.MONTH and len(periods) <= count:
        period = period_of(contract, period.first_day - dt.timedelta(days=1))
        periods.append(period)
    return periods


def used_minutes(contract: Contract, period: BankPeriodSpan,
                 exclude: TimeEntry | None = None) -> int:
    """Minutes of time entries dated in the period on tickets the contract covers (without the
    excluded entry: the one being valued)."""
    query = select(func.coalesce(func.sum(TimeEntry.minutes), 0)).join(Ticket).where(
        Ticket.billing_basis == BillingBasis.CONTRACT, Ticket.billing_contract_id == contract.id)
    if period.first_day is not None:
        query = query.where(TimeEntry.work_date >= period.first_day)
    if period.last_day is not None:
        query = query.where(TimeEntry.work_date <= period.last_day)
    if exclude is not None and exclude.id is not None:
        query = query.where(TimeEntry.id != exclude.id)
    return int(db.session.scalar(query) or 0)


def usage(contract: Contract, period: BankPeriodSpan) -> BankUsage:
    """The contract's bank in the period: included, used, covered, remaining, percent (a contract
    without a bank includes 0)."""
    included = minutes_of_hours(contract.included_hours) if has_bank(contract) else 0
    return BankUsage(period, included, used_minutes(contract, period))


def current_usage(contract: Contract) -> BankUsage:
    """The bank in today's period (the company's day, app.services.clock)."""
    return usage(contract, period_of(contract, clock.today()))


@dataclass(frozen=True)
class ContractBank:
    """The contract page: the contract, its bank now and in the periods before (newest first;
    empty without a bank), and the currency its time is valued in (app.services.billing.rates)."""

    contract: Contract
    periods: list[BankUsage]
    currency: str

    @property
    def current(self) -> BankUsage | None:
        """Today's period, or None without a bank."""
        return self.periods[0] if self.periods else None


def contract_bank(actor: Actor, contract_id: int, history: int = 6) -> ContractBank:
    """The contract's bank for whoever may view tickets: today's period and the `history`
    periods before it. Raises NotPermitted, NotFound."""
    require(actor, Permission.VIEW)
    contract = db.session.get(Contract, contract_id)
    if contract is None:
        raise NotFound(_l("There is no contract %(id)s.", id=contract_id), field="id")
    # the rate rule reads a ticket's contract and client: this contract's tickets
    _rate, currency = rates.rate_for(SimpleNamespace(contract=contract, client=contract.client))
    if not has_bank(contract):
        return ContractBank(contract, [], currency)
    periods = previous_periods(contract, clock.today(), history)
    return ContractBank(contract, [usage(contract, period) for period in periods], currency)


def parse_included_hours(value, field: str = "included_hours") -> Decimal | None:
    """Included hours as typed (blank or None: no bank) as a Decimal; ValidationFailed unless
    positive, at most two decimals and at most MAX_INCLUDED_HOURS. A float is refused."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    message = _l("Write the included hours as a number, for example 10 or 7.5.")
    if isinstance(value, (float, bool)):
        raise ValidationFailed(message, field=field)
    try:
        hours = Decimal(str(value).strip().replace(",", ".") if isinstance(value, str) else value)
    except (InvalidOperation, TypeError, ValueError):
        raise ValidationFailed(message, field=field) from None
    if not hours.is_finite():
        raise ValidationFailed(message, field=field)
    if hours <= 0 or hours > MAX_INCLUDED_HOURS:
        raise ValidationFailed(_l("The included hours must be more than 0 and at most "
                                  "%(max)s.", max=f"{MAX_INCLUDED_HOURS:.0f}"), field=field)
    if hours != hours.quantize(CENT):
        raise ValidationFailed(_l("The included hours can have at most two decimals."),
                               field=field)
    return hours.quantize(CENT)


def parse_bank_period(value, field: str = "bank_period") -> BankPeriod | None:
    """A bank period as typed (MONTH or CONTRACT; blank or None: none); ValidationFailed
    otherwise."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        return BankPeriod(value.strip().upper() if isinstance(value, str) else value)
    except ValueError:
        raise ValidationFailed(_l("Choose how the hour bank is counted: per month or per "
                                  "contract period."), field=field) from None


def check_bank(included_hours: Decimal | None, bank_period: BankPeriod | None) -> None:
    """An hour bank has both its included hours and its period, or neither; ValidationFailed
    (naming the missing one) otherwise."""
    if included_hours is not None and bank_period is None:
        raise ValidationFailed(_l("Choose how the hour bank is counted: per month or per "
                                  "contract period."), field="bank_period")
    if bank_period is not None and included_hours is None:
        raise ValidationFailed(_l("Write the hours the bank includes per period, or choose no "
                                  "period."), field="included_hours")
