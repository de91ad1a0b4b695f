"""The ticket's history: every change recorded with who, when, from what, to what, and its note."""
from __future__ import annotations

import enum

from app.extensions import db
from app.models.ticket import Note, Ticket, TicketChange
from app.services.permissions import Actor, actor_label, actor_user_id


CUSTOMER_PREFIX = "customer "


def customer_label(address: str) -> str:
    """How the history names a customer who acted (through the quote link, by email)."""
    return f"{CUSTOMER_PREFIX}{address}"


def customer_address(label: str | None) -> str | None:
    """The customer's address in a label made by customer_label, else None."""
    if label and label.startswith(CUSTOMER_PREFIX):
        return label.removeprefix(CUSTOMER_PREFIX)
    return None


def _as_text(value) -> str | None:
    """The stored form of a changed value (enum members by their value)."""
    if value is None:
        return None
    if isinstance(value, enum.Enum):
        return str(value.value)
    return str(value)


def record_change(
    ticket: Ticket,
    actor: Actor | None,
    field: str,
    old=None,
    new=None,
    note: Note | None = None,
    label: str | None = None,
) -> TicketChange:
    """Append one history line to the ticket (flushes nothing; the caller's transaction owns it)."""
    change = TicketChange(
        ticket=ticket,
        actor_user_id=actor_user_id(actor),
        actor_label=label or actor_label(actor),
        field=field,
        old_value=_as_text(old),
        new_value=_as_text(new),
        note=note,
    )
    db.session.add(change)
    return change
