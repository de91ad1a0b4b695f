"""Reports for supervisors (issue 13, Permission.REPORTS): tickets opened and closed per week,
time logged per month (per client, contract and agent, billable and not), quoted against actual
hours per ticket type, quote approvals per month, hour bank use per contract.

One function per report takes the acting user and ReportFilters and returns plain rows, which
the page's table, its chart and the CSV download all show: one computation per report. Each
counts in the database (GROUP BY), never by loading the rows it counts. Days and weeks are the
company's (clock.company_zone): a timestamp falls in a week or month by comparing it with the
UTC bounds of that local period (a CASE in SQL, the same on SQLite and PostgreSQL).

What the filters select: the client and contract are the ticket's (Ticket.client_id,
Ticket.contract_id); the agent is the author of a time entry in the time reports, and the
ticket's assignee in the ticket and quote reports; hour banks are per contract (the agent does
not apply).
"""
from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, case, extract, func, select
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models.client import Client, Contract, TicketType
from app.models.enums import QuoteStatus, TicketStatus
from app.models.quote import Quote
from app.models.ticket import Ticket, TicketChange
from app.models.user import User
from app.models.worklog import TimeEntry
from app.services import clock
from app.services.billing import hour_banks
from app.services.billing.exports import check_period
from app.services.billing.hour_banks import BankPeriodSpan, BankUsage
from app.services.errors import ValidationFailed
from app.services.permissions import Actor, Permission, require, working_roles
from app.services.report_periods import (Period, key_of, month_start, months, utc_bounds,
                                          weeks)

# A period's weeks and months become one CASE branch each: three years keep that small.
PERIOD_MAX_DAYS = 3 * 366
DEFAULT_MONTHS = 3
HUNDREDTH = Decimal("0.01")


@dataclass(frozen=True)
class ReportFilters:
    """What every report selects: company-local days period_from to period_to (both included),
    and optionally one client, one contract, one agent (ids)."""

    period_from: dt.date
    period_to: dt.date
    client_id: int | None = None
    contract_id: int | None = None
    agent_id: int | None = None


@dataclass(frozen=True)
class ReportChoices:
    """What the filters offer: clients, contracts and the staff who work tickets, by name."""

    clients: list[Client]
    contracts: list[Contract]
    agents: list[User]


@dataclass(frozen=True)
class WeekTickets:
    """Tickets opened (created) and closed (moved to Closed) in one ISO week."""

    week: str
    first_day: dt.date
    opened: int
    closed: int


@dataclass(frozen=True)
class TimeLogged:
    """Minutes logged in one month on one client, contract or agent (name), billable or not."""

    month: str
    name: str
    billable_minutes: int
    non_billable_minutes: int

    @property
    def total_minutes(self) -> int:
        """Billable and not."""
        return self.billable_minutes + self.non_billable_minutes


@dataclass(frozen=True)
class QuotedActual:
    """Approved quotes (decided in the period) of one ticket type: how many tickets, the hours
    their quotes estimated and the hours logged on those tickets (at any date)."""

    ticket_type: str
    tickets: int
    quoted_hours: Decimal
    actual_hours: Decimal

    @property
    def difference_hours(self) -> Decimal:
        """Actual minus quoted: positive when the work took longer than quoted."""
        return self.actual_hours - self.quoted_hours


@dataclass(frozen=True)
class QuoteApprovals:
    """Quotes decided in one month: approved of decided (rate in percent, None when none was
    decided), and the hours from a quote's creation to its approval (median and mean)."""

    month: str
    decided: int
    approved: int
    approval_percent: Decimal | None
    median_hours_to_approval: Decimal | None
    mean_hours_to_approval: Decimal | None


@dataclass(frozen=True)
class HourBankUse:
    """One hour bank period of a contract ("2026-11", or "Contract term"): included, used,
    remaining and overage minutes, and the whole percent used (billing.hour_banks)."""

    client: str
    contract: str
    period: str
    included_minutes: int
    used_minutes: int
    remaining_minutes: int
    overage_minutes: int
    used_percent: int


def default_filters() -> ReportFilters:
    """The last three months up to today: from the first day of the month two months ago."""
    today = clock.today()
    first = month_start(today)
    for _ in range(DEFAULT_MONTHS - 1):
        first = month_start(first - dt.timedelta(days=1))
    return ReportFilters(period_from=first, period_to=today)


def check_access(actor: Actor) -> None:
    """Raise NotPermitted unless the actor may see reports (Permission.REPORTS: supervisors)."""
    require(actor, Permission.REPORTS)


def check_filters(actor: Actor, filters: ReportFilters) -> None:
    """Raise NotPermitted without Permission.REPORTS; ValidationFailed when the period ends
    before it starts or is longer than three years, or a client, contract or agent does not
    exist (field: which one)."""
    check_access(actor)
    check_period(filters.period_from, filters.period_to)
    if (filters.period_to - filters.period_from).days >= PERIOD_MAX_DAYS:
        raise ValidationFailed(_l("A report covers at most three years: choose a shorter "
                                  "period."), field="period_from")
    for model, value, field, label in (
            (Client, filters.client_id, "client", _l("Client")),
            (Contract, filters.contract_id, "contract", _l("Contract")),
            (User, filters.agent_id, "agent", _l("Agent"))):
        if value is not None and db.session.get(model, value) is None:
            raise ValidationFailed(_l("%(field)s: choose one of the options offered; the value "
                                      "sent is not one of them.", field=label), field=field)


def report_choices(actor: Actor) -> ReportChoices:
    """The clients, contracts (with their client, which names them) and agents (staff of a
    working role, active first) the filters offer. Raises NotPermitted without
    Permission.REPORTS."""
    check_access(actor)
    return ReportChoices(
        clients=list(db.session.scalars(select(Client).order_by(Client.name))),
        contracts=list(db.session.scalars(select(Contract).options(joinedload(Contract.client))
                                          .order_by(Contract.name))),
        agents=list(db.session.scalars(select(User).where(User.role.in_(working_roles()))
                                       .order_by(User.active.desc(), User.name))))


def tickets_per_week(actor: Actor, filters: ReportFilters) -> list[WeekTickets]:
    """Every ISO week of the period with the tickets created in it and the tickets moved to
    Closed in it (the history: a ticket closed, reopened and closed again in another week counts
    in both). Raises NotPermitted, ValidationFailed (check_filters)."""
    check_filters(actor, filters)
    periods = weeks(filters.period_from, filters.period_to)
    opened = _count_per_period(Ticket.created_at, Ticket.id, periods, _ticket_conditions(filters))
    closing = [TicketChange.ticket_id == Ticket.id, TicketChange.field == "status",
               TicketChange.new_value == TicketStatus.CLOSED.value]
    closed = _count_per_period(TicketChange.created_at, TicketChange.ticket_id, periods,
                               closing + _ticket_conditions(filters))
    return [WeekTickets(p.key, p.first, opened.get(p.key, 0), closed.get(p.key, 0))
            for p in periods]


def time_by_client(actor: Actor, filters: ReportFilters) -> list[TimeLogged]:
    """Minutes logged per month and client, billable and not (work_date in the period).
    Raises NotPermitted, ValidationFailed."""
    return _time_logged(actor, filters, Client, Client.id == Ticket.client_id)


def time_by_contract(actor: Actor, filters: ReportFilters) -> list[TimeLogged]:
    """Minutes logged per month and contract of the ticket, named with its client ("Soporte
    anual (Acme)": clients may name contracts alike; "No contract" for tickets without one),
    billable and not. Raises NotPermitted, ValidationFailed."""
    return _time_logged(actor, filters, Contract, Contract.id == Ticket.contract_id, outer=True,
                        owner=Client)


def time_by_agent(actor: Actor, filters: ReportFilters) -> list[TimeLogged]:
    """Minutes logged per month and author of the entries, billable and not.
    Raises NotPermitted, ValidationFailed."""
    return _time_logged(actor, filters, User, User.id == TimeEntry.user_id)


def quoted_vs_actual(actor: Actor, filters: ReportFilters) -> list[QuotedActual]:
    """Per ticket type ("No type" for none): the approved quotes decided in the period, their
    estimated hours, and every minute logged on their tickets, as hours. Raises NotPermitted,
    ValidationFailed."""
    check_filters(actor, filters)
    start, end = utc_bounds(filters.period_from, filters.period_to)
    approved = select(Quote.ticket_id, Quote.estimated_hours).join(
        Ticket, Ticket.id == Quote.ticket_id).where(
        Quote.status == QuoteStatus.APPROVED, Quote.decided_at >= start, Quote.decided_at < end,
        *_ticket_conditions(filters)).subquery()
    quoted = db.session.execute(
        select(Ticket.type_id, func.count(func.distinct(approved.c.ticket_id)),
               func.sum(approved.c.estimated_hours))
        .select_from(approved).join(Ticket, Ticket.id == approved.c.ticket_id)
        .group_by(Ticket.type_id)).all()
    logged = dict(db.session.execute(
        select(Ticket.type_id, func.sum(TimeEntry.minutes))
        .select_from(TimeEntry).join(Ticket, Ticket.id == TimeEntry.ticket_id)
        .where(TimeEntry.ticket_id.in_(select(approved.c.ticket_id)))
        .group_by(Ticket.type_id)).all())
    names = _type_names({type_id for type_id, _, _ in quoted})
    rows = [QuotedActual(names.get(type_id) or str(_l("No type")), tickets,
                         _rounded(hours), _hours(logged.get(type_id) or 0))
            for type_id, tickets, hours in quoted]
    return sorted(rows, key=lambda row: row.ticket_type.lower())


def quote_approvals(actor: Actor, filters: ReportFilters) -> list[QuoteApprovals]:
    """Every month of the period with the quotes decided in it (approved or rejected), the
    approval rate, and the median and mean hours from creation to approval of those approved.
    Raises NotPermitted, ValidationFailed."""
    check_filters(actor, filters)
    periods = months(filters.period_from, filters.period_to)
    start, end = utc_bounds(filters.period_from, filters.period_to)
    decided = select(key_of(Quote.decided_at, periods).label("period"), Quote.status,
                     Quote.created_at, Quote.decided_at).join(
        Ticket, Ticket.id == Quote.ticket_id).where(
        Quote.status.in_((QuoteStatus.APPROVED, QuoteStatus.REJECTED)),
        Quote.decided_at >= start, Quote.decided_at < end, *_ticket_conditions(filters)
    ).subquery()
    counts: dict[tuple[str, QuoteStatus], int] = {
        (period, QuoteStatus(status)): count for period, status, count in db.session.execute(
            select(decided.c.period, decided.c.status, func.count())
            .group_by(decided.c.period, decided.c.status))}
    # a median needs each approval's wait: one pair of timestamps per approved quote
    waits: dict[str, list[float]] = {}
    for period, created, decided_at in db.session.execute(
            select(decided.c.period, decided.c.created_at, decided.c.decided_at)
            .where(decided.c.status == QuoteStatus.APPROVED)):
        waits.setdefault(period, []).append(_seconds(created, decided_at) / 3600)
    return [_approvals(p.key, counts.get((p.key, QuoteStatus.APPROVED), 0),
                       counts.get((p.key, QuoteStatus.REJECTED), 0), waits.get(p.key, []))
            for p in periods]


def hour_bank_use(actor: Actor, filters: ReportFilters) -> list[HourBankUse]:
    """For each contract with an hour bank (of the client, or the contract, when filtered):
    each of its bank periods that overlaps the report's period, with the included, used,
    remaining and overage minutes and the used percent as app.services.billing.hour_banks counts
    them (its rules, not repeated here). Raises NotPermitted, ValidationFailed."""
    check_filters(actor, filters)
    query = select(Contract).join(Client, Client.id == Contract.client_id).where(
        Contract.included_hours.is_not(None)).order_by(Client.name, Contract.name, Contract.id)
    if filters.client_id is not None:
        query = query.where(Contract.client_id == filters.client_id)
    if filters.contract_id is not None:
        query = query.where(Contract.id == filters.contract_id)
    return [_bank_row(contract, hour_banks.usage(contract, period))
            for contract in db.session.scalars(query) if hour_banks.has_bank(contract)
            for period in _bank_periods(contract, filters)]


def _bank_periods(contract: Contract, filters: ReportFilters) -> list[BankPeriodSpan]:
    """The contract's bank periods holding a day of the report's period, in order: a month of
    the period each, or the contract's term once."""
    found: list[BankPeriodSpan] = []
    for month in months(filters.period_from, filters.period_to):
        period = hour_banks.period_of(contract, month.first)
        overlaps = (period.first_day is None or period.first_day <= filters.period_to) and (
            period.last_day is None or period.last_day >= filters.period_from)
        if overlaps and period not in found:
            found.append(period)
    return found


def _bank_row(contract: Contract, use: BankUsage) -> HourBankUse:
    whole_term = use.period.key == hour_banks.CONTRACT_PERIOD
    label = str(_l("Contract term")) if whole_term else use.period.key
    return HourBankUse(client=contract.client.name, contract=contract.name, period=label,
                       included_minutes=use.included_minutes, used_minutes=use.used_minutes,
                       remaining_minutes=use.remaining_minutes,
                       overage_minutes=use.overage_minutes, used_percent=use.percent)


def _time_logged(actor: Actor, filters: ReportFilters, entity, on: ColumnElement,
                 outer: bool = False, owner=None) -> list[TimeLogged]:
    """Minutes per (month of work_date, entity joined on `on`), billable and not; the entity
    named with its owner's name when given (the contract's client); a missing entity (outer
    join: a ticket without a contract) is "No contract"."""
    check_filters(actor, filters)
    year, month = extract("year", TimeEntry.work_date), extract("month", TimeEntry.work_date)
    billable = func.sum(case((TimeEntry.billable.is_(True), TimeEntry.minutes), else_=0))
    other = func.sum(case((TimeEntry.billable.is_(True), 0), else_=TimeEntry.minutes))
    keys = [year, month, entity.id, entity.name] + ([owner.name] if owner is not None else [])
    query = (select(billable, other, *keys)
             .select_from(TimeEntry).join(Ticket, Ticket.id == TimeEntry.ticket_id)
             .join(entity, on, isouter=outer))
    if owner is not None:
        query = query.join(owner, owner.id == entity.client_id, isouter=outer)
    query = query.where(TimeEntry.work_date >= filters.period_from,
                        TimeEntry.work_date <= filters.period_to,
                        *_ticket_conditions(filters, agent=TimeEntry.user_id)).group_by(*keys)
    rows = [TimeLogged(f"{int(y)}-{int(m):02d}", _named(name, *owned), int(b or 0), int(n or 0))
            for b, n, y, m, _id, name, *owned in db.session.execute(query)]
    return sorted(rows, key=lambda row: (row.month, row.name.lower()))


def _named(name: str | None, owner: str | None = None) -> str:
    """A row's name: "name (owner)" when it has an owner, "No contract" when it has no name."""
    if name is None:
        return str(_l("No contract"))
    return f"{name} ({owner})" if owner else name


def _ticket_conditions(filters: ReportFilters, agent: ColumnElement | None = None) -> list:
    """The filters as conditions on Ticket (the agent on `agent`, else the assignee)."""
    conditions = []
    if filters.client_id is not None:
        conditions.append(Ticket.client_id == filters.client_id)
    if filters.contract_id is not None:
        conditions.append(Ticket.contract_id == filters.contract_id)
    if filters.agent_id is not None:
        conditions.append((Ticket.assignee_id if agent is None else agent) == filters.agent_id)
    return conditions


def _count_per_period(moment: ColumnElement, counted: ColumnElement, periods: Sequence[Period],
                      conditions: list) -> dict[str, int]:
    """Distinct `counted` per period of `moment` (a UTC timestamp), within the report."""
    start, end = utc_bounds(periods[0].first, periods[-1].last)
    # grouped outside: PostgreSQL cannot tell a CASE of bound values in GROUP BY is the selected one
    rows = select(key_of(moment, periods).label("period"), counted.label("counted")).where(
        moment >= start, moment < end, *conditions).subquery()
    return dict(db.session.execute(select(rows.c.period, func.count(func.distinct(rows.c.counted)))
                                   .group_by(rows.c.period)).all())


def _approvals(key: str, approved: int, rejected: int, waits: list[float]) -> QuoteApprovals:
    decided = approved + rejected
    return QuoteApprovals(
        month=key, decided=decided, approved=approved,
        approval_percent=_rounded(Decimal(approved * 100) / decided) if decided else None,
        median_hours_to_approval=_rounded(statistics.median(waits)) if waits else None,
        mean_hours_to_approval=_rounded(statistics.fmean(waits)) if waits else None)


def _type_names(type_ids: set) -> dict[int, str]:
    ids = [type_id for type_id in type_ids if type_id is not None]
    if not ids:
        return {}
    return dict(db.session.execute(select(TicketType.id, TicketType.name)
                                   .where(TicketType.id.in_(ids))).all())


def _seconds(start: dt.datetime, end: dt.datetime) -> float:
    """Seconds between two timestamps (SQLite returns them without their zone: UTC)."""
    as_utc = [m if m.tzinfo else m.replace(tzinfo=dt.timezone.utc) for m in (start, end)]
    return (as_utc[1] - as_utc[0]).total_seconds()


def _hours(minutes: int) -> Decimal:
    return (Decimal(int(minutes)) / 60).quantize(HUNDREDTH, ROUND_HALF_UP)


def _rounded(value) -> Decimal:
    return Decimal(str(value)).quantize(HUNDREDTH, ROUND_HALF_UP)
