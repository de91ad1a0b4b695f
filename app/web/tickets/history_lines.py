"""How a history entry reads on the ticket page: the field's label and its values in the
user's language ("Status: New → Quoted"), not the stored field names and codes."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.extensions import db
from app.models.enums import LabeledEnum, PaymentStatus, QuoteStatus, TicketStatus, Urgency
from app.models.client import Contract
from app.models.ticket import TicketChange
from app.models.user import User
from app.services.history import customer_address
from app.services.quote_decisions import reply_refusal
from app.services.permissions import SYSTEM
from app.web.number_format import duration

FIELD_LABELS = {
    "status": _l("Status"),
    "assignee": _l("Assigned to"),
    "quote_status": _l("Quote"),
    "payment_status": _l("Payment"),
    "is_free": _l("Billing"),
    "billing_basis": _l("Billing"),
    "time": _l("Time logged"),
    "time_entry": _l("Time entry"),
    "time_billable": _l("Billable time"),
    "billing_batch": _l("Billing batch"),
    "billing_by_time": _l("Billed by time"),
    "bill_overage": _l("Time beyond the quote billed"),
    "urgency": _l("Urgency"),
    "client": _l("Client"),
    "contact": _l("Requester"),
    "contract": _l("Contract"),
    "project": _l("Project"),
    "type": _l("Type"),
    "subject": _l("Subject"),
    "description": _l("Description"),
}
ENUMS: dict[str, type[LabeledEnum]] = {
    "status": TicketStatus, "quote_status": QuoteStatus, "payment_status": PaymentStatus,
    "urgency": Urgency,
}


def who(change: TicketChange) -> str:
    """Who made the change: the staff member, the customer (by address) or the system."""
    if change.actor_user is not None:
        return change.actor_user.name
    address = customer_address(change.actor_label)
    if address is not None:
        return _("Customer %(address)s", address=address)
    label = change.actor_label or ""
    return _("System") if label in ("", SYSTEM.label) else label


def describe(change: TicketChange) -> str:
    """One line for the timeline, in the current user's language."""
    field, old, new = change.field, change.old_value, change.new_value
    if field == "created":
        return _("Created the ticket %(number)s", number=new)
    if field == "reply":
        return _("Replied to the customer")
    if field == "customer_email":
        return _("Email from the customer")
    if field == "quote_reply":
        return _("Decided quote version %(version)s by replying to the quote email", version=new)
    if field == "quote_reply_refused":
        return _("A reply to the quote email did not count as a decision: %(reason)s",
                 reason=reply_refusal(new, old))
    if field == "portal_link":
        return _("Sent a new ticket link to %(address)s", address=new)
    if field == "quote":
        if old:
            return _("Quote version %(new)s replaces version %(old)s", new=new, old=old)
        return _("Quote version %(new)s sent to the customer", new=new)
    label = FIELD_LABELS.get(field, field)
    return f"{label}: {_value(field, old)} → {_value(field, new)}"


def _value(field: str, value: str | None) -> str:
    if value is None or value == "":
        return "—"
    if field in ENUMS:
        try:
            return str(ENUMS[field](value).label)
        except ValueError:
            return value  # a value from an older version of the enum: shown as stored
    if field == "is_free":
        return _("Free") if value == "True" else _("Billed")
    if field == "billing_basis":
        return basis_line(value)
    if field == "assignee":
        name = db.session.scalar(select(User.name).where(User.email == value))
        return name or value
    if field == "time_billable":  # "#<entry id>: True"
        entry, _sep, flag = value.partition(": ")
        return f"{entry} " + (_("Billable") if flag == "True" else _("Not billable"))
    if field in ("billing_by_time", "bill_overage"):
        return _("Yes") if value == "True" else _("No")
    if field == "billing_batch" and value == "UNLOCKED":
        return _("Unlocked")
    if field == "time":
        minutes = int(value) if value.isdigit() else 0
        return duration(minutes)
    return value


def basis_line(value: str) -> str:
    """A stored billing basis (FREE, CONTRACT:<id>, QUOTE:<version>, BILLED) as a reader says it:
    the contract by its name."""
    kind, _sep, detail = value.partition(":")
    if kind == "FREE":
        return _("Free")
    if kind == "CONTRACT":
        name = db.session.scalar(select(Contract.name).where(Contract.id == int(detail))) \
            if detail.isdigit() else None
        return _("Covered by the contract %(name)s", name=name or detail)
    if kind == "QUOTE":
        return _("Billed under quote v%(version)s", version=detail)
    if kind == "BILLED":
        return _("Billed: waiting for an approved quote")
    return value  # a value from an older version: shown as stored
