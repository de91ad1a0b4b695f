"""Ticket.sla_due kept equal to the due time of the ticket's most pressing running clock as
ticket_clocks computes it (pressing_clock), so the list can sort by it and filter "overdue" and
"due today" with an index. Every view still shows ticket_clocks itself; this is only its index.

A running clock's due time moves only when the ticket's history moves (a reply, a customer
message, a status change, a quote sent or decided, a new urgency or contract), so it is kept:
- on every commit that touched a ticket's history, whatever door made it (the dashboard, the
  API, the poller, the CLI): `watch` listens to the session, collects the tickets whose history
  a flush wrote, and stores their due times just before the commit;
- by `flask sla tick` (store_times), for the tickets it reads: those whose check time has
  come, and every open ticket after an edited target, calendar or holiday (what no ticket's
  history shows), once a day, and after an upgrade.

Ticket.sla_check_at (app.services.sla.check_times: the next moment the tick has something to do
for the ticket) is computed from the same clocks and stored in the same UPDATE.

It is written with a Core UPDATE: not an edit of the ticket, it bumps neither its version (no
one's save is refused for it) nor its last update.

A ticket inserted by the committing transaction (an email's new ticket, a ticket made on the
dashboard) has no history but what this session wrote for it, so its clocks are computed from
those rows as they stand (`_Written`), with no read of its history; any other ticket's history
is read again from the database (refresh_dues). Both rely on what the hook relies on anyway: a
ticket's history is written through the session (no Core INSERT of notes, changes or quotes).
"""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable

from sqlalchemy import bindparam, event, inspect, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from app.models.enums import NoteKind
from app.models.quote import Quote
from app.models.sla import SlaTarget
from app.models.ticket import Note, Ticket, TicketChange
from app.services.errors import ValidationFailed
from app.services import clock as the_clock
from app.services.sla.check_times import check_at_of, warn_percent
from app.services.sla.clocks import DONE, TicketClocks, history_rows, pressing_clock, \
    ticket_clocks
from app.services.sla.targets import TargetTable
from app.services.transaction_reads import kept

log = logging.getLogger(__name__)

PENDING = "sla_due_tickets"  # Session.info key: ids of tickets whose history a flush wrote
WRITTEN = "sla_due_written"  # Session.info key: {id: _Written} of the tickets this one inserted
HISTORY = (Note, TicketChange, Quote)  # the rows a ticket's clocks read (ticket_clocks)
# The ticket's own fields its clocks read (created_at, urgency and contract: the targets and
# calendar; client: the calendar; status: pauses and resolution).
TICKET_FIELDS = ("status", "urgency", "contract_id", "client_id", "created_at")


def due_of(clocks: TicketClocks) -> dt.datetime | None:
    """What Ticket.sla_due holds for these clocks: the most pressing running clock's due."""
    pressing = pressing_clock(clocks)
    return pressing[1].due if pressing else None


def store_times(session: Session, ticket: Ticket, due: dt.datetime | None,
                check_at: dt.datetime | None) -> int:
    """Store the ticket's due time and check time (one UPDATE) where either differs; 1 when
    one changed."""
    return _store(session, ticket, due, check_at)


def refresh_dues(session: Session, ticket_ids: Iterable[int],
                 targets: TargetTable | None = None) -> int:
    """Compute the tickets' clocks again (now) from their history as stored, and store their
    due times; how many changed. `targets`: the stored targets when already read. A ticket
    whose calendar cannot be read keeps its value (the tick logs the same and tries again)."""
    ids = sorted(set(ticket_ids))
    if not ids:
        return 0
    tickets = session.scalars(
        select(Ticket).where(Ticket.id.in_(ids)).execution_options(populate_existing=True)).all()
    stored = history_rows(session, ids)
    now, targets = the_clock.now(), targets or TargetTable()
    return sum(_store_clocks(session, ticket, _TicketHistory(ticket, *stored[ticket.id]), now,
                             targets) for ticket in tickets)


def _store_clocks(session: Session, ticket: Ticket, history, now: dt.datetime,
                  targets: TargetTable) -> int:
    """Store the due time of the ticket's clocks computed from `history` (the ticket, or what
    stands for it with the same attributes); 1 when it changed. A ticket whose calendar cannot
    be read keeps its value (the tick logs the same and tries again)."""
    if ticket.status in DONE:
        return _store(session, ticket, None, None)
    try:
        clocks = ticket_clocks(history, now, targets)
        return _store(session, ticket, due_of(clocks), check_at_of(history, clocks, warn_percent()))
    except (ValueError, ValidationFailed) as error:
        log.warning("service-level due time of %s not stored: %s", ticket.number, error)
        return 0


# Built once: every commit that touched a ticket's history runs it.
_STORE_TIMES = update(Ticket.__table__).where(Ticket.__table__.c.id == bindparam("ticket_id")) \
    .values(sla_due=bindparam("due"), sla_check_at=bindparam("check_at"),
            updated_at=Ticket.__table__.c.updated_at)


def _store(session: Session, ticket: Ticket, due: dt.datetime | None,
           check_at: dt.datetime | None) -> int:
    if ticket.sla_due == due and ticket.sla_check_at == check_at:
        return 0
    session.execute(_STORE_TIMES, {"ticket_id": ticket.id, "due": due, "check_at": check_at})
    set_committed_value(ticket, "sla_due", due)
    set_committed_value(ticket, "sla_check_at", check_at)
    return 1


def watch(session_factory) -> None:
    """Keep sla_due on every commit of sessions made by `session_factory` (once)."""
    if not event.contains(session_factory, "after_flush", _collect):
        event.listen(session_factory, "after_flush", _collect)
        event.listen(session_factory, "before_commit", _refresh_collected)
        event.listen(session_factory, "after_transaction_end", _forget)


def _collect(session: Session, _flush_context) -> None:
    """Note the tickets whose history this flush wrote (new, changed and deleted rows), and
    of the tickets this transaction inserted, every history row written for them."""
    pending = session.info.setdefault(PENDING, set())
    written = session.info.setdefault(WRITTEN, {})
    for instance in session.new:
        if isinstance(instance, Ticket):
            written[instance.id] = _Written(instance)
    for instance in (*session.new, *session.dirty, *session.deleted):
        ticket_id = _touched_ticket(instance)
        if ticket_id is not None:
            pending.add(ticket_id)
        if isinstance(instance, HISTORY) and instance.ticket_id in written:
            written[instance.ticket_id].rows[id(instance)] = instance


def _forget(session: Session, transaction) -> None:
    """At the end of the outermost transaction (committed: stored; rolled back: nothing to
    store), not of a savepoint, whose rollback leaves the outer transaction's tickets to do."""
    if transaction.parent is None:
        session.info.pop(PENDING, None)
        session.info.pop(WRITTEN, None)


def _touched_ticket(instance) -> int | None:
    if isinstance(instance, Ticket):
        state = inspect(instance)
        if state.pending or any(state.attrs[name].history.has_changes()
                                for name in TICKET_FIELDS):
            return instance.id
        return None
    if isinstance(instance, Note):
        return instance.ticket_id if instance.kind in (NoteKind.PUBLIC_REPLY,
                                                       NoteKind.CUSTOMER_EMAIL) else None
    if isinstance(instance, TicketChange):
        return instance.ticket_id if instance.field == "status" else None
    if isinstance(instance, Quote):
        return instance.ticket_id
    return None


def _refresh_collected(session: Session) -> None:
    """Before the commit: flush what is pending, then store the collected tickets' due times
    (in the same transaction)."""
    if not session.info.get(PENDING) and not session.new and not session.dirty \
            and not session.deleted:
        return
    session.flush()
    ids = session.info.pop(PENDING, set())
    ids.discard(None)
    written = session.info.pop(WRITTEN, {})
    new = [written[ticket_id] for ticket_id in ids if ticket_id in written]
    if new:
        now, targets = the_clock.now(), _targets(session)
        for entry in new:
            if inspect(entry.ticket).persistent:  # not undone by a savepoint's rollback
                _store_clocks(session, entry.ticket, entry.history(), now, targets)
    if ids - written.keys():
        refresh_dues(session, ids - written.keys(), _targets(session))


def _targets(session: Session) -> TargetTable:
    """The stored targets, read once per transaction (its commit stores every due time with
    them; app.services.transaction_reads): kept for a whole poller's round, a target edited
    meanwhile could reach the tickets it created after the tick had swept for that edit, and
    stay wrong until a later sweep. This session's own edit, or a rollback, makes it read them
    again."""
    return kept(session, "service-level targets", TargetTable, (SlaTarget,))


class _Written:
    """A ticket inserted by this transaction and the history rows this session wrote for it:
    its whole history, so its clocks need no read. history() is the ticket as ticket_clocks
    reads it, with the rows as they stand (deleted ones, and those a rolled-back savepoint
    undid, left out; one moved to another ticket too)."""

    def __init__(self, ticket: Ticket):
        self.ticket = ticket
        self.rows: dict[int, object] = {}  # by identity: a row flushed twice is one row

    def history(self) -> "_TicketHistory":
        rows = [row for row in self.rows.values()
                if inspect(row).persistent and row.ticket_id == self.ticket.id]
        return _TicketHistory(self.ticket, *([row for row in rows if isinstance(row, kind)]
                                             for kind in HISTORY))


class _TicketHistory:
    """The ticket's own attributes, with notes, changes and quotes given (not loaded)."""

    def __init__(self, ticket: Ticket, notes: list, changes: list, quotes: list):
        self._ticket, self.notes, self.changes, self.quotes = ticket, notes, changes, quotes

    def __getattr__(self, name: str):
        return getattr(self._ticket, name)
