"""Billing batches: a numbered run of a period's billable time and fixed-price quotes, which
locks the entries it billed (no edit, no delete: app.services.worklog.require_not_billed) until a
supervisor unlocks it, recorded in the history of each ticket it billed.

close_period (`flask billing close`) takes a period's lines not billed yet
(app.services.billing.exports.billing_lines) into a batch numbered LOTE-<year>-<NNNN>;
create_batch makes a batch of given rows (tests use it directly). Both mark the rows with
UPDATEs, never loading a period's entries as objects.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models.client import Client, Contract
from app.models.quote import Quote
from app.models.ticket import Ticket, TicketCounter
from app.models.user import User
from app.models.worklog import BillingBatch, TimeEntry
from app.services import clock, notes
from app.models.enums import NoteKind, QuoteStatus
from app.services.errors import InvalidTransition, NotFound, ValidationFailed
from app.services.history import record_change
from app.services.permissions import Actor, Permission, require

UNLOCKED = "UNLOCKED"  # the history's new value when a batch is unlocked
NUMBER_PREFIX = "LOTE-"
# A ticket_counter row that only serialises closings (its value counts them): two supervisors
# closing at once would otherwise take the same lines and the same number.
CLOSING_COUNTER = "billing_batch"
CHUNK = 500  # ids per IN (...) when marking lines and loading their tickets


def create_batch(actor: Actor, number: str, period_from: dt.date, period_to: dt.date,
                 entries: Iterable[TimeEntry], client: Client | None = None,
                 quotes: Iterable[Quote] = (), contract: Contract | None = None) -> BillingBatch:
    """A batch of these billable entries and approved quotes, each marked billed by it
    (recorded in the history of each ticket). Raises NotPermitted, ValidationFailed (period out
    of order; an entry not billable or already billed; a quote not approved or already
    billed)."""
    require(actor, Permission.SET_BILLING)
    if period_to < period_from:
        raise ValidationFailed(_l("The period ends before it starts: check both dates."),
                               field="period_to")
    entries, quotes = list(entries), list(quotes)
    db.session.flush()  # the rows' ids, and their state as the database has it
    return _bill(actor, BillingBatch(number=number, period_from=period_from,
                                     period_to=period_to, client=client, contract=contract,
                                     created_by_id=_user_id(actor)),
                 [entry.id for entry in entries], [quote.id for quote in quotes])


def _bill(actor: Actor, batch: BillingBatch, entry_ids: list[int],
          quote_ids: list[int]) -> BillingBatch:
    """Add the batch and mark these entries and quotes billed by it, with one UPDATE per
    chunk of ids (a period of 100,000 entries loads none of them), each only if it is still
    billable / approved and not billed; a line that is not (changed meanwhile, or never so)
    refuses the whole batch with ValidationFailed. One history line per ticket billed."""
    db.session.add(batch)
    db.session.flush()
    for model, ids, billable, refusal, field in (
            (TimeEntry, entry_ids, TimeEntry.billable.is_(True),
             _l("Only billable time not billed yet can join a billing batch."), "entries"),
            (Quote, quote_ids, Quote.status == QuoteStatus.APPROVED,
             _l("Only approved quotes not billed yet can join a billing batch."), "quotes")):
        for chunk in _chunks(list(dict.fromkeys(ids))):
            marked = db.session.execute(
                update(model).where(model.id.in_(chunk), billable,
                                    model.billing_batch_id.is_(None))
                .values(billing_batch_id=batch.id)
                .execution_options(synchronize_session=False)).rowcount
            if marked != len(chunk):
                raise ValidationFailed(refusal, field=field)
    _forget_billing_state(batch, set(entry_ids), set(quote_ids))
    for ticket in _billed_tickets(batch):
        record_change(ticket, actor, "billing_batch", None, batch.number)
    db.session.flush()
    return batch


def _billed_tickets(batch: BillingBatch) -> Iterator[Ticket]:
    """The tickets whose time or quote the batch billed, by id, loaded a chunk at a time (the
    history lines added meanwhile are flushed between chunks)."""
    ticket_ids = db.session.scalars(
        select(TimeEntry.ticket_id).where(TimeEntry.billing_batch_id == batch.id)
        .union(select(Quote.ticket_id).where(Quote.billing_batch_id == batch.id))).all()
    for chunk in _chunks(sorted(ticket_ids)):
        yield from db.session.scalars(select(Ticket).where(Ticket.id.in_(chunk))
                                      .order_by(Ticket.id)).all()
        db.session.flush()


def _forget_billing_state(batch: BillingBatch, entry_ids: set[int], quote_ids: set[int]) -> None:
    """Expire what the session holds of the rows just marked (their batch, the batch's lines):
    read again, they show the UPDATEs."""
    db.session.expire(batch, ["entries", "quotes"])
    for row in list(db.session.identity_map.values()):
        if (isinstance(row, TimeEntry) and row.id in entry_ids) or \
                (isinstance(row, Quote) and row.id in quote_ids):
            db.session.expire(row, ["billing_batch_id", "billing_batch"])


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start:start + CHUNK]


def close_period(actor: Actor, period_from: dt.date, period_to: dt.date,
                 client: Client | None = None, contract: Contract | None = None) -> BillingBatch:
    """Take the period's lines not billed yet (the export's: billing_lines with the same
    filters) into a new batch numbered LOTE-<year>-<NNNN>, the next of the company's current
    year, for the client's / contract's tickets when given. Raises NotPermitted (a supervisor
    closes), ValidationFailed (period out of order; nothing to bill)."""
    from app.services.billing.exports import QUOTE, billing_lines, check_period

    require(actor, Permission.SET_BILLING)
    check_period(period_from, period_to, client, contract)
    _serialise_closing()
    entry_ids, quote_ids = [], []
    for line in billing_lines(period_from, period_to, client=client, contract=contract):
        (quote_ids if line.kind == QUOTE else entry_ids).append(line.source_id)
    if not entry_ids and not quote_ids:
        raise ValidationFailed(_l(
            "Nothing to bill from %(start)s to %(end)s: no billable time or fixed-price quote "
            "of the period is left unbilled. Check the dates and the client or contract.",
            start=period_from.isoformat(), end=period_to.isoformat()), field="period_from")
    batch = BillingBatch(number=next_batch_number(), period_from=period_from,
                         period_to=period_to, client=client or (contract.client if contract
                                                                else None),
                         contract=contract, created_by_id=_user_id(actor))
    return _bill(actor, batch, entry_ids, quote_ids)


def next_batch_number() -> str:
    """LOTE-<year>-<NNNN>: the next after the highest number of the company's current year
    (numbers restart each year; more than 9,999 in a year keep all their digits)."""
    year_prefix = f"{NUMBER_PREFIX}{clock.today().year}-"
    numbers = db.session.scalars(select(BillingBatch.number)
                                 .where(BillingBatch.number.startswith(year_prefix)))
    highest = max((int(n[len(year_prefix):]) for n in numbers
                   if n[len(year_prefix):].isdigit()), default=0)
    return f"{year_prefix}{highest + 1:04d}"


def _serialise_closing() -> None:
    """Hold the closing counter's row lock (PostgreSQL) or the write lock (SQLite, BEGIN
    IMMEDIATE) until the transaction ends: closings queue, each sees the lines the previous
    one billed."""
    bumped = db.session.execute(update(TicketCounter)
                                .where(TicketCounter.name == CLOSING_COUNTER)
                                .values(value=TicketCounter.value + 1)).rowcount
    if not bumped:
        try:
            with db.session.begin_nested():
                db.session.add(TicketCounter(name=CLOSING_COUNTER, value=0))
        except IntegrityError:
            pass  # another closing created it first
        _serialise_closing()


def get_batch(actor: Actor, batch_id: int) -> BillingBatch:
    """The batch with this id, for a supervisor. Raises NotPermitted, NotFound."""
    require(actor, Permission.SET_BILLING)
    batch = db.session.get(BillingBatch, batch_id)
    if batch is None:
        raise NotFound(_l("There is no billing batch %(number)s.", number=batch_id), field="id")
    return batch


def recent_batches(actor: Actor, limit: int = 20) -> list[BillingBatch]:
    """The newest batches first, at most `limit`, for a supervisor. Raises NotPermitted."""
    require(actor, Permission.SET_BILLING)
    return list(db.session.scalars(select(BillingBatch)
                                   .order_by(BillingBatch.created_at.desc(),
                                             BillingBatch.id.desc()).limit(limit)))


def batch_by_number(number: str) -> BillingBatch:
    """The batch with this number (e.g. LOTE-2026-0001, any letter case). Raises NotFound."""
    number = (number or "").strip().upper()
    batch = db.session.scalar(select(BillingBatch)
                              .where(func.upper(BillingBatch.number) == number))
    if batch is None:
        raise NotFound(_l("There is no billing batch %(number)s.", number=number),
                      field="number")
    return batch


def check_unlock_batch(actor: Actor, batch: BillingBatch) -> None:
    """Raise NotPermitted (a supervisor unlocks) or InvalidTransition (unlocked already; paid:
    what the customer paid for stays as it was billed)."""
    require(actor, Permission.SET_BILLING)
    if not batch.is_locked:
        raise InvalidTransition(_l("This billing batch is unlocked already: its time can be "
                                   "changed."))
    if batch.paid_at is not None:
        raise InvalidTransition(_l("This billing batch is paid: what was paid for stays as it "
                                   "was billed. Log a correction as new time instead."))


def unlock_batch(actor: Actor, batch: BillingBatch, note_text: str = "") -> None:
    """Unlock the batch: its entries may be changed or deleted again (they stay in the batch).
    Recorded with who and when on the batch, and in the history of each ticket it billed, with
    the optional note as the reason. Raises what check_unlock_batch raises."""
    check_unlock_batch(actor, batch)
    batch.unlocked_at, batch.unlocked_by_id = clock.now(), _user_id(actor)
    text = (note_text or "").strip()
    for ticket in _billed_tickets(batch):
        note = notes.create_note(ticket, NoteKind.INTERNAL, text, actor) if text else None
        record_change(ticket, actor, "billing_batch", batch.number, UNLOCKED, note=note)
    db.session.flush()


def _user_id(actor: Actor) -> int | None:
    return actor.id if isinstance(actor, User) else None
