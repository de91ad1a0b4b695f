"""Billing flags of a ticket: free (no quote needed) or billed, and its payment status."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.models.enums import NoteKind, PaymentStatus, TicketStatus
from app.models.ticket import Ticket
from app.services import notes
from app.services.errors import InvalidTransition, ValidationFailed
from app.services.history import record_change
from app.services.quotes import awaits_decision
from app.services.permissions import Actor, Permission, require
from app.services.workflow import is_free, require_open


def mark_free(actor: Actor, ticket: Ticket, free: bool, note_text: str = "") -> None:
    """Mark the ticket free (work may start without a quote) or billed again.

    Raises NotPermitted, TicketClosed, InvalidTransition (a quote awaits the
    customer's decision; billing again after work started).
    """
    require(actor, Permission.SET_BILLING)
    require_open(ticket)
    if free == ticket.is_free:
        return
    if awaits_decision(ticket.current_quote):
        raise InvalidTransition(
            _l("A quote is waiting for the customer's decision. Record the decision first."))
    if not free and ticket.status is not TicketStatus.NEW:
        raise InvalidTransition(
            _l("A ticket can be made billed again only while it is New, before work starts."))
    note = notes.create_note(ticket, NoteKind.INTERNAL, note_text.strip(), actor) \
        if (note_text or "").strip() else None
    ticket.is_free = free
    record_change(ticket, actor, "is_free", not free, free, note=note)
    new_payment = PaymentStatus.NOT_APPLICABLE if is_free(ticket) else PaymentStatus.UNPAID
    if new_payment is not ticket.payment_status:
        record_change(ticket, actor, "payment_status", ticket.payment_status, new_payment)
        ticket.payment_status = new_payment


def set_payment_status(actor: Actor, ticket: Ticket, status: PaymentStatus | str) -> None:
    """Record whether a billed ticket is paid; also allowed on closed tickets (payment comes late).

    Raises NotPermitted, ValidationFailed (unknown status; Paid/Unpaid on a free ticket,
    Not applicable on a billed one).
    """
    require(actor, Permission.SET_BILLING)
    try:
        status = PaymentStatus(status)
    except ValueError:
        raise ValidationFailed(_l("Choose a payment status: Unpaid, Paid or Not applicable."),
                               field="payment_status") from None
    if is_free(ticket) and status is not PaymentStatus.NOT_APPLICABLE:
        raise ValidationFailed(_l("A free ticket is not billed: its payment status is Not applicable."),
                               field="payment_status")
    if not is_free(ticket) and status is PaymentStatus.NOT_APPLICABLE:
        raise ValidationFailed(_l("A billed ticket is Unpaid or Paid. Mark it free instead."),
                               field="payment_status")
    if status is not ticket.payment_status:
        record_change(ticket, actor, "payment_status", ticket.payment_status, status)
        ticket.payment_status = status
