"""Whether a billed ticket is paid: Unpaid or Paid (Not applicable on a free ticket)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.models.enums import PaymentStatus
from app.models.ticket import Ticket
from app.services.errors import InvalidTransition, ValidationFailed
from app.services.history import record_change
from app.services.permissions import Actor, Permission, require


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
    if status is not ticket.payment_status:
        record_change(ticket, actor, "payment_status", ticket.payment_status, status)
        ticket.payment_status = status
