"""The aging of open tickets (issue 14): how many open tickets (neither Resolved nor Closed) have
waited how many business days, per urgency, and a page of them, oldest first, with the time since
the customer last wrote, since staff last answered, and their most pressing service-level clock
(ticket_clocks, the one computation: the same values as the list and the ticket page).

A ticket's age is counted in working days of its own calendar (calendar_for): the days after the
local day it was opened, up to and including today (the one clock's), that have business hours
and are not holidays (Calendar.windows_on). Opened today: 0; opened on Friday and read on
Monday: 1 on a Monday-to-Friday calendar, 3 on a 24/7 one. Ages fall in BUCKETS.

The counts read only a few columns of the open tickets, never whole tickets; each ticket's age
comes from a table per calendar (one per distinct calendar, built once) by its local day.
Requires Permission.VIEW (NotPermitted otherwise).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from types import SimpleNamespace

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import aliased, selectinload

from app.extensions import db
from app.models.client import Client, Contract
from app.models.enums import Urgency
from app.models.ticket import Ticket
from app.services import clock
from app.services.errors import ValidationFailed
from app.services.permissions import Actor, Permission, require
from app.services.sla.calendars import Calendar, calendar_for
from app.services.sla.clocks import DONE, TicketClocks, clocks_of, pressing_clock
from app.services.sla.ticket_levels import ClockLine, clock_line

PER_PAGE = 50


@dataclass(frozen=True)
class Bucket:
    """A range of ages in business days, `first` to `last` inclusive (None: no upper end);
    `key` is how a URL names it."""

    key: str
    first: int
    last: int | None

    @property
    def label(self) -> str:
        """The range as the page shows it: "0", "2–3", "8+"."""
        if self.last is None:
            return f"{self.first}+"
        return str(self.first) if self.first == self.last else f"{self.first}–{self.last}"

    @property
    def count(self) -> int:
        """The number that chooses the singular or the plural of "%(num)s business days" for
        the label (its last day, or its first when it has no end)."""
        return self.first if self.last is None else self.last

    def holds(self, days: int) -> bool:
        """Whether an age of `days` business days falls in this range."""
        return self.first <= days and (self.last is None or days <= self.last)


# Opened this business day; yesterday's; within the week; within about two weeks; older.
BUCKETS = (Bucket("0", 0, 0), Bucket("1", 1, 1), Bucket("2-3", 2, 3), Bucket("4-7", 4, 7),
           Bucket("8+", 8, None))
# Most urgent first: the matrix's rows.
URGENCIES = (Urgency.CRITICAL, Urgency.HIGH, Urgency.MEDIUM, Urgency.LOW)


def bucket_named(key: str | None) -> Bucket | None:
    """The bucket a URL names by its key (None when empty). Raises ValidationFailed (field
    bucket) for a key that is none of BUCKETS'."""
    if key is None or key == "":
        return None
    for bucket in BUCKETS:
        if bucket.key == key:
            return bucket
    raise ValidationFailed(_l("Age: choose one of the ranges of business days offered "
                              "(%(ranges)s).", ranges=", ".join(b.key for b in BUCKETS)),
                           field="bucket")


def bucket_of(days: int) -> Bucket:
    """The bucket an age in business days falls in."""
    return next(bucket for bucket in BUCKETS if bucket.holds(days))


@dataclass
class AgingFilters:
    """Which open tickets: of a client, a contract, an urgency, an assignee (each None: any);
    `bucket` narrows the page (not the counts) to one range of ages."""

    client_id: int | None = None
    contract_id: int | None = None
    urgency: Urgency | None = None
    assignee_id: int | None = None
    bucket: Bucket | None = None
    page: int = 1
    per_page: int = PER_PAGE


@dataclass(frozen=True)
class AgingRow:
    """One ticket of the page: the ticket (client, assignee and contract loaded), its age in
    business days, its clocks now and the line of the most pressing one, or None."""

    ticket: Ticket
    age_days: int
    clocks: TicketClocks
    pressing: ClockLine | None


@dataclass
class Aging:
    """The counts per (bucket key, urgency) with their totals, and one page of tickets."""

    counts: dict[tuple[str, Urgency], int]
    by_bucket: dict[str, int]
    by_urgency: dict[Urgency, int]
    total: int
    rows: list[AgingRow]
    matching: int  # tickets the page's filters select (bucket included)
    page: int
    pages: int
    computed_at: dt.datetime
    buckets: tuple[Bucket, ...] = BUCKETS
    urgencies: tuple[Urgency, ...] = URGENCIES
    filters: AgingFilters = field(default_factory=AgingFilters)


class WorkingDays:
    """Ages in working days on one calendar as of a day: the count of working days after a day
    up to and including `today`, from a running table extended backwards once (each day of the
    calendar is asked whether it works once, however many tickets are aged)."""

    def __init__(self, calendar: Calendar, today: dt.date):
        self.calendar = calendar
        self.today = today
        self._counts = [0]  # _counts[k]: working days in (today - k, today]

    def after(self, day: dt.date) -> int:
        """Working days after `day` up to and including today (0 for today or later)."""
        back = (self.today - day).days
        while len(self._counts) <= back:
            gone = self.today - dt.timedelta(days=len(self._counts) - 1)
            self._counts.append(self._counts[-1] + bool(self.calendar.windows_on(gone)))
        return self._counts[max(back, 0)]


class _Ages:
    """Each ticket's age by its calendar's ids (contract's, client's) and opening moment; the
    calendar of each pair of ids is read once (calendar_for) and its ages kept."""

    def __init__(self, now: dt.datetime):
        self.now = now
        self._tables: dict[tuple[int | None, int | None], WorkingDays] = {}
        self._ages: dict[tuple[tuple[int | None, int | None], dt.date], int] = {}

    def of(self, contract_calendar: int | None, client_calendar: int | None,
           opened: dt.datetime) -> int:
        """The age in business days of a ticket opened at `opened` whose contract and client
        have these calendar ids."""
        key = (contract_calendar, client_calendar)
        table = self._tables.get(key)
        if table is None:
            calendar = calendar_for(SimpleNamespace(
                contract=SimpleNamespace(calendar_id=contract_calendar),
                client=SimpleNamespace(calendar_id=client_calendar)))
            table = WorkingDays(calendar, self.now.astimezone(calendar.zone).date())
            self._tables[key] = table
        day = clock.local(_aware(opened), table.calendar.zone).date()
        found = self._ages.get((key, day))
        if found is None:
            found = self._ages[(key, day)] = table.after(day)
        return found


def ticket_age(ticket: Ticket, now: dt.datetime | None = None) -> int:
    """One ticket's age in business days on its calendar at `now` (default: the one clock)."""
    calendar = calendar_for(ticket)
    moment = now or clock.now()
    table = WorkingDays(calendar, moment.astimezone(calendar.zone).date())
    return table.after(clock.local(_aware(ticket.created_at), calendar.zone).date())


def aging(actor: Actor, filters: AgingFilters) -> Aging:
    """The open tickets the filters select, counted by age bucket and urgency, and the page of
    them (the filters' bucket and urgency), oldest first: by age in business days, then by
    opening. Raises NotPermitted without the view permission; ValidationFailed when the
    configured calendar is malformed (naming the setting)."""
    require(actor, Permission.VIEW)
    now = clock.now()
    ages = _Ages(now)
    counts: dict[tuple[str, Urgency], int] = {}
    chosen: list[tuple[int, dt.datetime, int]] = []  # (age, opened, id) of the page's bucket
    for ticket_id, opened, urgency, contract_calendar, client_calendar in db.session.execute(
            _open_ticket_columns(filters)):
        days = ages.of(contract_calendar, client_calendar, opened)
        bucket = bucket_of(days)
        urgency = Urgency(urgency)
        counts[(bucket.key, urgency)] = counts.get((bucket.key, urgency), 0) + 1
        if filters.bucket is None or filters.bucket is bucket:
            chosen.append((days, _aware(opened), ticket_id))
    chosen.sort(key=lambda item: (-item[0], item[1], item[2]))
    per_page = max(1, filters.per_page)
    pages = max(1, -(-len(chosen) // per_page))
    page = min(max(1, filters.page), pages)
    shown = chosen[(page - 1) * per_page: page * per_page]
    return Aging(
        counts=counts,
        by_bucket={bucket.key: sum(counts.get((bucket.key, u), 0) for u in URGENCIES)
                   for bucket in BUCKETS},
        by_urgency={u: sum(counts.get((bucket.key, u), 0) for bucket in BUCKETS)
                    for u in URGENCIES},
        total=sum(counts.values()), rows=_rows(shown, now), matching=len(chosen), page=page,
        pages=pages, computed_at=now, filters=filters)


def _open_ticket_columns(filters: AgingFilters):
    """The columns the ages need of each open ticket the filters select: id, opening, urgency,
    and its contract's and client's calendar ids."""
    contract = aliased(Contract)
    query = (select(Ticket.id, Ticket.created_at, Ticket.urgency, contract.calendar_id,
                    Client.calendar_id)
             .join(Client, Client.id == Ticket.client_id)
             .outerjoin(contract, contract.id == Ticket.contract_id)
             .where(Ticket.status.not_in(DONE)))
    if filters.client_id:
        query = query.where(Ticket.client_id == filters.client_id)
    if filters.contract_id:
        query = query.where(Ticket.contract_id == filters.contract_id)
    if filters.urgency:
        query = query.where(Ticket.urgency == filters.urgency)
    if filters.assignee_id:
        query = query.where(Ticket.assignee_id == filters.assignee_id)
    return query


def _rows(shown: list[tuple[int, dt.datetime, int]], now: dt.datetime) -> list[AgingRow]:
    """The page's tickets in order, with what they show, their history read in a few queries
    (of a note, only its kind and time) for ticket_clocks."""
    if not shown:
        return []
    ids = [ticket_id for _, _, ticket_id in shown]
    tickets = {ticket.id: ticket for ticket in db.session.scalars(
        select(Ticket).where(Ticket.id.in_(ids)).options(
            selectinload(Ticket.client), selectinload(Ticket.assignee),
            selectinload(Ticket.contract)))}
    clocks = clocks_of(list(tickets.values()), now)
    return [AgingRow(tickets[ticket_id], days, clocks[ticket_id], _line(clocks[ticket_id]))
            for days, _, ticket_id in shown]


def _line(clocks: TicketClocks) -> ClockLine | None:
    pressing = pressing_clock(clocks)
    return clock_line(*pressing) if pressing else None


def _aware(moment: dt.datetime) -> dt.datetime:
    """A stored moment as an aware one (a naive one is UTC, as every column stores)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)
