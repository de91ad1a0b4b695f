"""The one computation of a ticket's service-level clocks (first response, next response,
resolution) from its own history: every view that shows a due time or time left (the list, the
ticket page, the API, the aging view, warnings, the digest) calls ticket_clocks.

The rules, in docs/service_levels.md: a clock counts business time (calendar_for) from its
start, less the pauses, against the ticket's current targets (target_for), so a change of
urgency or contract re-reads the whole history with the new target and keeps the time paused.
"""
from __future__ import annotations

import bisect
import datetime as dt
import math
from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.orm import load_only, selectinload

from app.extensions import db
from app.models.enums import ClockState, NoteKind, QuoteStatus, TicketStatus, Urgency
from app.models.quote import Quote
from app.models.ticket import Note, Ticket, TicketChange
from app.services import clock as the_clock
from app.services.sla.business_time import add_business_time, business_time_between
from app.services.sla.calendars import Calendar, calendar_for
from app.services.sla.targets import TargetTable, target_for, targets_for

S = TicketStatus
DONE = frozenset({S.RESOLVED, S.CLOSED})  # no clock of a ticket runs in these
Interval = tuple[dt.datetime, dt.datetime | None]  # None: still open
ZERO = dt.timedelta(0)
MINUTE = dt.timedelta(minutes=1)


@dataclass(frozen=True)
class Clock:
    """One clock: when it started, when it is (or was) due, business minutes left (negative
    when overdue, frozen once completed or paused), its state, its target, and when it was met
    (the public reply, the resolution) or None."""

    started_at: dt.datetime
    due: dt.datetime
    minutes_left: int
    state: ClockState
    target_minutes: int
    completed_at: dt.datetime | None = None


@dataclass(frozen=True)
class TicketClocks:
    """A ticket's clocks at one moment. next_response is None until a customer writes after
    the first public reply. `paused`: the customer must answer now (on hold, or a quote awaits
    their decision)."""

    first_response: Clock
    next_response: Clock | None
    resolution: Clock
    calendar: str
    paused: bool
    computed_at: dt.datetime


def ticket_clocks(ticket, now: dt.datetime | None = None,
                  targets: TargetTable | None = None, notes=None) -> TicketClocks:
    """The ticket's clocks at `now` (default: app.services.clock.now()); `targets`, the stored
    targets read once for many tickets (else one query); `notes`, the ticket's notes when read
    apart from it (anything with id, kind and created_at: the ticket page's plain rows), else
    ticket.notes.

    Reads only the ticket and what hangs from it: created_at, urgency and contract_id (the
    targets: one query of SlaTarget), contract/client calendar_id (calendar_for: one row when
    set), `changes` (the "status" lines: on hold, resolved, closed), `notes` (kind and
    created_at of PUBLIC_REPLY and CUSTOMER_EMAIL), `quotes` (created_at, decided_at, status).
    For many tickets, load those three relationships with selectinload first.
    """
    now = (now or the_clock.now()).astimezone(dt.timezone.utc)
    calendar = calendar_for(ticket)
    targets = targets.of(ticket) if targets is not None else target_for(ticket)
    history = _History(ticket, now, notes)
    pauses = history.pauses()
    first = _clock(calendar, ticket.created_at, targets.first_response_minutes,
                   history.answered_after(ticket.created_at, inclusive=True), pauses, now)
    following = None
    message = history.unanswered_cycle_start()
    if message is not None:
        following = _clock(calendar, message, targets.next_response_minutes,
                           history.answered_after(message), pauses, now)
    stop, resolved_pauses = history.resolution()
    resolution = _clock(calendar, ticket.created_at, targets.resolution_minutes, stop,
                        pauses + resolved_pauses, now)
    return TicketClocks(first, following, resolution, calendar.name,
                        paused=stop is None and _paused_at(now, pauses), computed_at=now)


def history_options() -> tuple:
    """The loader options that read what ticket_clocks needs of many tickets in three queries:
    their status changes, quotes, and of each note only its kind and time."""
    return (selectinload(Ticket.notes).options(load_only(Note.kind, Note.created_at,
                                                         Note.ticket_id)),
            selectinload(Ticket.changes), selectinload(Ticket.quotes))


# Built once: the same as plain rows (a new email on a ticket reads them on every commit;
# loaded as ORM collections they cost three times as much: 3.3 ms of the 8 ms of recording a
# reply on PostgreSQL). Each row has what _History reads of its kind.
_IDS = bindparam("ids", expanding=True)
_HISTORY_ROWS = (
    select(Note.ticket_id, Note.id, Note.kind, Note.created_at).where(Note.ticket_id.in_(_IDS)),
    select(TicketChange.ticket_id, TicketChange.id, TicketChange.field, TicketChange.old_value,
           TicketChange.new_value, TicketChange.created_at)
    .where(TicketChange.ticket_id.in_(_IDS), TicketChange.field == "status"),
    select(Quote.ticket_id, Quote.version, Quote.status, Quote.created_at, Quote.decided_at)
    .where(Quote.ticket_id.in_(_IDS)))


def history_rows(session, ticket_ids: list[int]) -> dict[int, tuple[list, list, list]]:
    """What ticket_clocks reads of each ticket's history (history_options' collections) as
    plain rows, by ticket id: its notes, status changes and quotes as stored (the rows the
    session's transaction flushed included)."""
    history = {ticket_id: ([], [], []) for ticket_id in ticket_ids}
    for position, statement in enumerate(_HISTORY_ROWS):
        for row in session.execute(statement, {"ids": list(ticket_ids)}):
            history[row.ticket_id][position].append(row)
    return history


def clocks_of(tickets, now: dt.datetime | None = None) -> dict[int, TicketClocks]:
    """Many tickets' clocks at one moment (a page of the list, of the aging view): their
    history read in three queries (history_options) and the stored targets in one."""
    if not tickets:
        return {}
    db.session.scalars(select(Ticket).where(Ticket.id.in_([ticket.id for ticket in tickets]))
                       .options(*history_options())).all()
    now, targets = now or the_clock.now(), TargetTable()
    return {ticket.id: ticket_clocks(ticket, now, targets) for ticket in tickets}


def pressing_clock(clocks: TicketClocks) -> tuple[str, Clock] | None:
    """The clock that is due first among those still counting or overdue (not met, not paused
    within its target), with its name (first_response, next_response, resolution); None when
    no clock runs. The list shows it, and Ticket.sla_due stores its due time."""
    running = [(name, clock) for name, clock in (
        ("first_response", clocks.first_response), ("next_response", clocks.next_response),
        ("resolution", clocks.resolution))
        if clock is not None and clock.completed_at is None
        and clock.state is not ClockState.PAUSED]
    return min(running, key=lambda item: item[1].due, default=None)


def explain(urgency: Urgency | str, opened: dt.datetime, calendar: Calendar,
            contract_id: int | None = None) -> dict[str, dt.datetime]:
    """The due times of a ticket of that urgency opened at `opened` on the calendar, nothing
    paused and nothing answered (`flask sla explain`): the same computation as ticket_clocks."""
    targets = targets_for(urgency, contract_id)
    return {name: _clock(calendar, opened, minutes, None, [], opened).due for name, minutes in (
        ("first_response_due", targets.first_response_minutes),
        ("next_response_due", targets.next_response_minutes),
        ("resolution_due", targets.resolution_minutes))}


def _clock(calendar: Calendar, start: dt.datetime, target_minutes: int,
           stop: dt.datetime | None, pauses: list[Interval], now: dt.datetime) -> Clock:
    """Count business time from start to stop (or now) outside the pauses; due is where the
    target is reached, or, not reached yet, the target's rest counted on from stop (or now)."""
    target = dt.timedelta(minutes=target_minutes)
    end = max(stop if stop is not None else now, start)
    elapsed, due = ZERO, None
    for first, last in _counting(start, end, pauses):
        span = business_time_between(calendar, first, last)
        if due is None and elapsed + span >= target:
            due = add_business_time(calendar, first, target - elapsed)
        elapsed += span
    left = target - elapsed
    if due is None:
        due = add_business_time(calendar, end, left)
    if stop is not None:
        state = ClockState.MET if elapsed <= target else ClockState.BREACHED
    elif elapsed > target:
        state = ClockState.BREACHED
    else:
        state = ClockState.PAUSED if _paused_at(now, pauses) else ClockState.RUNNING
    return Clock(started_at=start, due=due, minutes_left=math.floor(left / MINUTE), state=state,
                 target_minutes=target_minutes, completed_at=stop)


def _counting(start: dt.datetime, end: dt.datetime,
              pauses: list[Interval]) -> list[tuple[dt.datetime, dt.datetime]]:
    """[start, end] less the pauses, as ordered intervals."""
    intervals, cursor = [], start
    for first, last in sorted(pauses, key=lambda pause: pause[0]):
        if cursor >= end:
            break
        last = end if last is None else min(last, end)
        if last <= cursor:
            continue
        if first > cursor:
            intervals.append((cursor, min(first, end)))
        cursor = max(cursor, last)
    if cursor < end:
        intervals.append((cursor, end))
    return intervals


def _paused_at(moment: dt.datetime, pauses: list[Interval]) -> bool:
    return any(first <= moment and (last is None or last > moment) for first, last in pauses)


def _first_after(moments: list[dt.datetime], moment: dt.datetime,
                 inclusive: bool = False) -> dt.datetime | None:
    """The first of the sorted moments after `moment` (or at it, inclusive): a binary search, so
    a ticket of thousands of messages is read in proportion to them, not to their square."""
    index = (bisect.bisect_left if inclusive else bisect.bisect_right)(moments, moment)
    return moments[index] if index < len(moments) else None


class _History:
    """A ticket's history read once: status periods, public replies and customer messages in
    order, quotes."""

    def __init__(self, ticket, now: dt.datetime, notes=None):
        self.ticket = ticket
        self.now = now
        notes = sorted(ticket.notes if notes is None else notes,
                       key=lambda note: (note.created_at, note.id or 0))
        self.replies = [note.created_at for note in notes if note.kind is NoteKind.PUBLIC_REPLY]
        self.customer = [note.created_at for note in notes
                         if note.kind is NoteKind.CUSTOMER_EMAIL]
        self.periods = self._status_periods()

    def _status_periods(self) -> list[tuple[TicketStatus, dt.datetime, dt.datetime | None]]:
        """(status, from, until or None) since the ticket was opened."""
        moves = sorted((change for change in self.ticket.changes if change.field == "status"),
                       key=lambda change: (change.created_at, change.id or 0))
        if not moves:
            return [(TicketStatus(self.ticket.status), self.ticket.created_at, None)]
        periods = [(TicketStatus(moves[0].old_value or S.NEW), self.ticket.created_at,
                    moves[0].created_at)]
        for move, following in zip(moves, [*moves[1:], None]):
            periods.append((TicketStatus(move.new_value), move.created_at,
                            following.created_at if following else None))
        return periods

    def _customer_after(self, moment: dt.datetime) -> dt.datetime | None:
        return _first_after(self.customer, moment)

    def _until_customer(self, first: dt.datetime, last: dt.datetime | None) -> Interval:
        """A pause from `first` until `last`, or sooner when the customer writes."""
        wrote = self._customer_after(first)
        if wrote is not None and (last is None or wrote < last):
            return first, wrote
        return first, last

    def pauses(self) -> list[Interval]:
        """While the customer must answer: on hold, and from a quote's sending to its decision
        (or the next version); each ends early when the customer writes."""
        pauses = [self._until_customer(first, last) for status, first, last in self.periods
                  if status is S.ON_HOLD]
        quotes = sorted(self.ticket.quotes, key=lambda quote: quote.version)
        for quote, newer in zip(quotes, [*quotes[1:], None]):
            ended = quote.decided_at or (newer.created_at if newer is not None else None)
            if ended is None and quote.status is not QuoteStatus.QUOTED:
                ended = quote.created_at  # no decision known to wait for
            pauses.append(self._until_customer(quote.created_at, ended))
        return pauses

    def _done_after(self, moment: dt.datetime, inclusive: bool) -> dt.datetime | None:
        """The first time the ticket became Resolved or Closed after the moment."""
        return next((first for status, first, _ in self.periods if status in DONE
                     and (first >= moment if inclusive else first > moment)), None)

    def answered_after(self, moment: dt.datetime, inclusive: bool = False) -> dt.datetime | None:
        """When a response clock started at the moment stopped: the first public reply after
        it, or the ticket's resolution if that came first."""
        reply = _first_after(self.replies, moment, inclusive)
        done = self._done_after(moment, inclusive)
        return min(filter(None, (reply, done)), default=None)

    def unanswered_cycle_start(self) -> dt.datetime | None:
        """The start of the latest next-response cycle: the first customer message after the
        first public reply, then the first after each reply that answered a cycle; None when
        the customer has not written since the first reply."""
        if not self.replies:
            return None
        start = None
        for sent in self.customer:
            if sent <= self.replies[0]:
                continue
            if start is None or (self._reply_after(start) or self.now) < sent:
                start = sent
        return start

    def _reply_after(self, moment: dt.datetime) -> dt.datetime | None:
        return _first_after(self.replies, moment)

    def resolution(self) -> tuple[dt.datetime | None, list[Interval]]:
        """When the ticket was resolved (None while open), and the earlier resolved periods it
        was reopened from (not counted against the resolution target)."""
        runs: list[list] = []
        for status, first, last in self.periods:
            if status not in DONE:
                continue
            if runs and runs[-1][1] == first:
                runs[-1][1] = last  # Resolved, then Closed: one run
            else:
                runs.append([first, last])
        if runs and runs[-1][1] is None:
            return runs[-1][0], [tuple(run) for run in runs[:-1]]
        return None, [tuple(run) for run in runs]
