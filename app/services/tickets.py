"""Creating and editing tickets: required fields, references that must belong to the client, numbering."""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models.client import Client, Contact, Contract, Project, TicketType
from app.models.enums import PaymentStatus, TicketSource, TicketStatus, Urgency
from app.models.ticket import Ticket
from app.services import attachments, notes
from app.services.errors import ValidationFailed
from app.services.history import record_change
from app.services.notes import Upload
from app.services.numbering import format_ticket_number, next_ticket_sequence
from app.services.permissions import Actor, Permission, actor_user_id, require
from app.services.billing import basis
from app.services.workflow import require_open

SUBJECT_MAX = 255


@dataclass
class TicketFields:
    """The editable fields of a ticket, as plain values (ids, text, enums)."""

    client_id: int | None = None
    description: str = ""
    contact_id: int | None = None
    contract_id: int | None = None
    project_id: int | None = None
    type_id: int | None = None
    subject: str = ""
    urgency: Urgency | str = Urgency.MEDIUM


def create_ticket(actor: Actor, fields: TicketFields, source: TicketSource = TicketSource.WEB,
                  uploads: list[Upload] | None = None,
                  related_ticket: Ticket | None = None) -> Ticket:
    """Create a ticket with the next number; status New.

    Raises NotPermitted, ValidationFailed (missing client or description, a contact,
    contract or project of another client, unknown type or urgency, a file too large, too many
    files).
    """
    require(actor, Permission.CREATE)
    attachments.check_count(len(uploads or []))
    values = _validated(fields)
    sequence = next_ticket_sequence()
    ticket = Ticket(
        sequence=sequence,
        number=format_ticket_number(current_app.config["SOPORTE_TICKET_PREFIX"], sequence),
        status=TicketStatus.NEW,
        source=TicketSource(source),
        created_by_id=actor_user_id(actor),
        related_ticket_id=related_ticket.id if related_ticket is not None else None,
        **values,
    )
    ticket.payment_status = PaymentStatus.UNPAID
    basis.decide_at_creation(ticket)
    db.session.add(ticket)
    record_change(ticket, actor, "created", None, ticket.number)
    notes.attach(ticket, None, uploads)
    return ticket  # not flushed: the caller's commit (or next query) writes it in one go


def check_edit(actor: Actor, ticket: Ticket) -> None:
    """Raise NotPermitted or TicketClosed unless the actor may edit the ticket's data now."""
    require(actor, Permission.EDIT)
    require_open(ticket)


def edit_ticket(actor: Actor, ticket: Ticket, fields: TicketFields) -> list[str]:
    """Change a ticket's data; each changed field is recorded in the history.

    Returns the names of the fields that changed. Raises NotPermitted, TicketClosed,
    ValidationFailed (as create_ticket).
    """
    check_edit(actor, ticket)
    values = _validated(fields)
    changed = []
    for name, new in values.items():
        old = getattr(ticket, name)
        old_key = getattr(old, "id", old)
        new_key = getattr(new, "id", new)
        if old_key != new_key:
            setattr(ticket, name, new)
            record_change(ticket, actor, name, _display(old), _display(new))
            changed.append(name)
    if "contract" in changed:
        basis.follow_contract_while_new(actor, ticket)
    db.session.flush()
    return changed


def _display(value) -> str | None:
    """How a field's value is written in the history."""
    if value is None:
        return None
    if isinstance(value, Urgency):
        return value.value
    return str(value)


def _validated(fields: TicketFields) -> dict:
    """Check the fields and resolve ids into entities; raise ValidationFailed on the first problem."""
    if not fields.client_id:
        raise ValidationFailed(_l("Select the client: it is required."), field="client_id")
    client = db.session.get(Client, _as_int(fields.client_id, "client_id"))
    if client is None or not client.active:
        raise ValidationFailed(_l("The selected client does not exist or is inactive. "
                                  "Select another client."), field="client_id")
    description = (fields.description or "").strip()
    if not description:
        raise ValidationFailed(_l("Describe the problem or request: the description is required."),
                               field="description")
    subject = " ".join((fields.subject or "").split())[:SUBJECT_MAX]
    if not subject:
        subject = " ".join(description.split())[:80]
    try:
        urgency = Urgency(fields.urgency or Urgency.MEDIUM)
    except ValueError:
        raise ValidationFailed(_l("Choose an urgency: Low, Medium, High or Critical."),
                               field="urgency") from None
    return {
        "client": client,
        "contact": _of_client(Contact, fields.contact_id, client, "contact_id",
                              _l("The requester must be a contact of the selected client.")),
        "contract": _of_client(Contract, fields.contract_id, client, "contract_id",
                               _l("The contract must belong to the selected client.")),
        "project": _of_client(Project, fields.project_id, client, "project_id",
                              _l("The project must belong to the selected client.")),
        "type": _ticket_type(fields.type_id),
        "subject": subject,
        "description": description,
        "urgency": urgency,
    }


def _as_int(value, field: str) -> int:
    """An id given as int or numeric string."""
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValidationFailed(_l("Select a valid option."), field=field) from None


def _of_client(model, id_value, client: Client, field: str, message):
    """Load an optional record by id and check it belongs to the client."""
    if not id_value:
        return None
    record = db.session.get(model, _as_int(id_value, field))
    if record is None or record.client_id != client.id:
        raise ValidationFailed(message, field=field)
    return record


def _ticket_type(type_id) -> TicketType | None:
    """Load the optional ticket type."""
    if not type_id:
        return None
    ticket_type = db.session.get(TicketType, _as_int(type_id, "type_id"))
    if ticket_type is None or not ticket_type.active:
        raise ValidationFailed(_l("Select a valid ticket type."), field="type_id")
    return ticket_type
