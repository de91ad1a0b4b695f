"""Billing batches: a numbered run of a period's billable time, which locks the entries it
billed (no edit, no delete: app.services.worklog.require_not_billed) until a supervisor unlocks
it, recorded in the history of each ticket it billed.

Closing a period (choosing its entries, numbering the batch: `flask billing close`) is built on
create_batch; tests create batches with it directly.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models.client import Client
from app.models.user import User
from app.models.worklog import BillingBatch, TimeEntry
from app.services import clock, notes
from app.models.enums import NoteKind
from app.services.errors import InvalidTransition, ValidationFailed
from app.services.history import record_change
from app.services.permissions import Actor, Permission, require

UNLOCKED = "UNLOCKED"  # the history's new value when a batch is unlocked


def create_batch(actor: Actor, number: str, period_from: dt.date, period_to: dt.date,
                 entries: Iterable[TimeEntry], client: Client | None = None) -> BillingBatch:
    """A batch of these billable entries, each marked billed by it (recorded in the history of
    each ticket). Raises NotPermitted, ValidationFailed (period out of order; an entry not
    billable or already billed)."""
    require(actor, Permission.SET_BILLING)
    if period_to < period_from:
        raise ValidationFailed(_l("The period ends before it starts: check both dates."),
                               field="period_to")
    entries = list(entries)
    if any(not entry.billable or entry.billing_batch_id is not None for entry in entries):
        raise ValidationFailed(_l("Only billable time not billed yet can join a billing batch."),
                               field="entries")
    batch = BillingBatch(number=number, period_from=period_from, period_to=period_to,
                         client=client, created_by_id=_user_id(actor))
    db.session.add(batch)
    for entry in entries:
        entry.billing_batch = batch
    for ticket in {entry.ticket.id: entry.ticket for entry in entries}.values():
        record_change(ticket, actor, "billing_batch", None, number)
    db.session.flush()
    return batch


def check_unlock_batch(actor: Actor, batch: BillingBatch) -> None:
    """Raise NotPermitted (a supervisor unlocks) or InvalidTransition (unlocked already)."""
    require(actor, Permission.SET_BILLING)
    if not batch.is_locked:
        raise InvalidTransition(_l("This billing batch is unlocked already: its time can be "
                                   "changed."))


def unlock_batch(actor: Actor, batch: BillingBatch, note_text: str = "") -> None:
    """Unlock the batch: its entries may be changed or deleted again (they stay in the batch).
    Recorded with who and when on the batch, and in the history of each ticket it billed, with
    the optional note as the reason. Raises what check_unlock_batch raises."""
    check_unlock_batch(actor, batch)
    batch.unlocked_at, batch.unlocked_by_id = clock.now(), _user_id(actor)
    text = (note_text or "").strip()
    for ticket in {entry.ticket.id: entry.ticket for entry in batch.entries}.values():
        note = notes.create_note(ticket, NoteKind.INTERNAL, text, actor) if text else None
        record_change(ticket, actor, "billing_batch", batch.number, UNLOCKED, note=note)
    db.session.flush()


def _user_id(actor: Actor) -> int | None:
    return actor.id if isinstance(actor, User) else None
