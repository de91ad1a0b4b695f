"""Whether a billed ticket is paid: Unpaid or Paid (Not applicable on a free ticket)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.models.enums import PaymentStatus
from app.models.ticket import Ticket
from app.services.errors import ValidationFailed
from app.services.history import record_change
from app.services.permissions import Actor, Permission, require
from app.services.workflow import is_free


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
