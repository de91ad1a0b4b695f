"""Whether a billed ticket is paid: Unpaid or Paid (Not applicable on a free ticket), recorded
on the ticket by a supervisor, or following a billing batch marked paid (a ticket is Paid once
every line it bills is in a paid batch)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.extensions import db
from app.models.enums import PaymentStatus
from app.models.ticket import Ticket
from app.models.worklog import BillingBatch, TimeEntry
from app.services import clock
from app.services.billing import coverage
from app.services.errors import InvalidTransition, ValidationFailed
from app.services.history import record_change
from app.services.permissions import Actor, Permission, actor_user_id, require
from app.services.webhooks import events as webhook_events


PAYMENT_CHOICES = (PaymentStatus.UNPAID, PaymentStatus.PAID)


def check_set_payment(actor: Actor, ticket: Ticket) -> None:
    """Raise NotPermitted or InvalidTransition (a free ticket: Not applicable, kept by its
    billing basis) unless the actor may record whether the ticket is paid; closed tickets too."""
    require(actor, Permission.SET_BILLING)
    if ticket.is_free:
        raise InvalidTransition(
            _l("A free ticket is not billed: its payment status is Not applicable."),
            field="payment_status")


def set_payment_status(actor: Actor, ticket: Ticket, status: PaymentStatus | str) -> None:
    """Record whether a billed ticket is paid (one of PAYMENT_CHOICES); also allowed on closed
    tickets (payment comes late). Not applicable follows from the billing basis alone.

    Raises NotPermitted, InvalidTransition (a free ticket), ValidationFailed (unknown status,
    Not applicable on a billed ticket).
    """
    check_set_payment(actor, ticket)
    try:
        status = PaymentStatus(status)
    except ValueError:
        raise ValidationFailed(_l("Choose a payment status: Unpaid, Paid or Not applicable."),
                               field="payment_status") from None
    if status not in PAYMENT_CHOICES:
        raise ValidationFailed(_l("A billed ticket is Unpaid or Paid. Mark it free instead."),
                               field="payment_status")
    record_payment(ticket, actor, status)


def record_payment(ticket: Ticket, actor: Actor | None, status: PaymentStatus,
                   label: str | None = None) -> None:
    """The one way a ticket's payment status changes: stored, written in its history (`label`
    names a customer who acted) and announced to webhooks (ticket.billing_changed); nothing
    when it is that already."""
    if status is ticket.payment_status:
        return
    old, ticket.payment_status = ticket.payment_status, status
    record_change(ticket, actor, "payment_status", old, status, label=label)
    webhook_events.billing_changed(ticket, "payment_status", old.name if old else None,
                                   status.name, actor)


def check_mark_batch_paid(actor: Actor, batch: BillingBatch) -> None:
    """Raise NotPermitted (a supervisor records payments) or InvalidTransition (paid already)."""
    require(actor, Permission.SET_BILLING)
    if batch.paid_at is not None:
        raise InvalidTransition(_l("This billing batch is already marked paid."))


def mark_batch_paid(actor: Actor, batch: BillingBatch) -> list[Ticket]:
    """Record that the batch was paid (who and when). Each billed ticket it holds lines of
    becomes Paid once it is settled (is_settled), recorded in its history; the tickets that
    became Paid are returned. Raises what check_mark_batch_paid raises."""
    check_mark_batch_paid(actor, batch)
    batch.paid_at, batch.paid_by_id = clock.now(), actor_user_id(actor)
    db.session.flush()
    tickets = {line.ticket.id: line.ticket for line in [*batch.entries, *batch.quotes]}
    paid = []
    for ticket in sorted(tickets.values(), key=lambda t: t.id):
        if not ticket.is_free and ticket.payment_status is not PaymentStatus.PAID \
                and is_settled(ticket):
            record_payment(ticket, actor, PaymentStatus.PAID)
            paid.append(ticket)
    return paid


def is_settled(ticket: Ticket) -> bool:
    """Every line the ticket bills is in a paid batch: no billable time entry outside a batch or
    in an unpaid one, and its fixed-price quote (when it bills one) in a paid batch."""
    entries = db.session.execute(
        select(TimeEntry.billing_batch_id, BillingBatch.paid_at)
        .outerjoin(BillingBatch, TimeEntry.billing_batch_id == BillingBatch.id)
        .where(TimeEntry.ticket_id == ticket.id, TimeEntry.billable.is_(True))).all()
    if any(paid_at is None for _batch, paid_at in entries):
        return False
    quote = coverage.billing_quote(ticket) if coverage.quote_covers(ticket) else None
    if quote is not None:
        return quote.billing_batch is not None and quote.billing_batch.paid_at is not None
    return bool(entries)



def follow_billable_work(actor: Actor | None, entry: TimeEntry) -> None:
    """A Paid ticket that gets billable time not billed yet (logged, changed or marked
    billable) owes it: it is Unpaid again, recorded in its history."""
    ticket = entry.ticket
    if entry.billable and not entry.is_billed and ticket.payment_status is PaymentStatus.PAID:
        record_payment(ticket, actor, PaymentStatus.UNPAID)
