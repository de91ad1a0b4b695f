"""Creating and editing tickets: required fields, references that must belong to the client, numbering."""
from __future__ import annotations

from dataclasses import dataclass, replace

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from app.extensions import db
from app.models.client import Client, Contact, Contract, Project, TicketType
from app.models.enums import PaymentStatus, TicketSource, TicketStatus, Urgency
from app.models.ticket import Ticket
from app.services import attachments, clock, notes
from app.services.errors import Conflict, ValidationFailed
from app.services.history import record_change
from app.services.notes import Upload
from app.services.numbering import format_ticket_number, next_ticket_sequence
from app.services.permissions import Actor, Permission, actor_user_id, require
from app.services.billing import basis
from app.services.workflow import require_open
from app.services.webhooks import events as webhook_events

SUBJECT_MAX = 255
CHANGED_MEANWHILE = _l("Someone else changed this ticket while you were editing it; their "
                       "change is kept. Check the ticket as it is now and make your change again.")
NO_LONGER_ACTIVE = _l("That choice is no longer active: choose an active one, or keep the "
                      "ticket's current value.")


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
    if ticket.source is TicketSource.EMAIL:  # the description is the customer's first message
        ticket.last_customer_message_at = clock.now()
    ticket.payment_status = PaymentStatus.UNPAID
    basis.decide_at_creation(ticket)
    db.session.add(ticket)
    record_change(ticket, actor, "created", None, ticket.number)
    notes.attach(ticket, None, uploads)
    webhook_events.ticket_created(ticket, actor)  # flushes only when an endpoint wants it
    return ticket  # not flushed: the caller's commit (or next query) writes it in one go


def check_edit(actor: Actor, ticket: Ticket) -> None:
    """Raise NotPermitted or TicketClosed unless the actor may edit the ticket's data now."""
    require(actor, Permission.EDIT)
    require_open(ticket)


def edit_ticket(actor: Actor, ticket: Ticket, fields: TicketFields,
                expected_version: int | None = None) -> list[str]:
    """Change a ticket's data (never its client); each changed field is recorded in the history.
    A reference the ticket already has may stay although it is inactive now; a new one must be
    active and belong to the ticket's client.

    `expected_version` is the ticket's lock_version when the editor read it: when the ticket
    changed since (or changes while this is saved), nothing is saved.
    Returns the names of the fields that changed. Raises NotPermitted, TicketClosed,
    Conflict (changed meanwhile), ValidationFailed (as create_ticket; an inactive new choice).
    """
    check_edit(actor, ticket)
    if expected_version is not None and expected_version != ticket.lock_version:
        raise Conflict(CHANGED_MEANWHILE)
    if fields.client_id in (None, "") or str(fields.client_id) == str(ticket.client_id):
        fields = replace(fields, client_id=ticket.client_id)
    else:
        raise ValidationFailed(_l("A ticket stays with its client. For work of another client, "
                                  "create a new ticket for that client."), field="client_id")
    values = _validated(fields, current=ticket)
    changed, announced = [], {}
    for name, new in values.items():
        old = getattr(ticket, name)
        old_key = getattr(old, "id", old)
        new_key = getattr(new, "id", new)
        if old_key != new_key:
            setattr(ticket, name, new)
            record_change(ticket, actor, name, _display(old), _display(new))
            changed.append(name)
            announced[f"{name}_id" if hasattr(old, "id") or hasattr(new, "id") else name] = (
                getattr(old_key, "name", old_key), getattr(new_key, "name", new_key))
    try:
        db.session.flush()  # first: the version check answers a concurrent save with Conflict
    except StaleDataError:  # another transaction saved the ticket between our read and write
        raise Conflict(CHANGED_MEANWHILE) from None
    if announced:  # the edit, then what follows from it (a new contract's billing basis)
        webhook_events.ticket_updated(ticket, announced, actor)
    if "contract" in changed:
        basis.follow_contract_while_new(actor, ticket)
    return changed


@dataclass
class EditOptions:
    """What an edit of a ticket may choose: the active records of its client (contacts,
    contracts, projects) and the active types, each list with the ticket's current one even
    when it is inactive now."""

    contacts: list[Contact]
    contracts: list[Contract]
    projects: list[Project]
    types: list[TicketType]


def edit_options(ticket: Ticket) -> EditOptions:
    """The choices an edit of this ticket offers (the rule edit_ticket applies)."""
    def offered(model, current, *where):
        rows = list(db.session.scalars(select(model).where(model.active.is_(True), *where)
                                       .order_by(model.name, model.id)))
        if current is not None and current not in rows:
            rows.insert(0, current)
        return rows

    return EditOptions(
        contacts=offered(Contact, ticket.contact, Contact.client_id == ticket.client_id),
        contracts=offered(Contract, ticket.contract, Contract.client_id == ticket.client_id),
        projects=offered(Project, ticket.project, Project.client_id == ticket.client_id),
        types=offered(TicketType, ticket.type))


def _display(value) -> str | None:
    """How a field's value is written in the history."""
    if value is None:
        return None
    if isinstance(value, Urgency):
        return value.value
    return str(value)


def _validated(fields: TicketFields, current: Ticket | None = None) -> dict:
    """Check the fields and resolve ids into entities; raise ValidationFailed on the first problem.
    With `current` (an edit), what the ticket already refers to is accepted although inactive,
    and a new contact, contract or project must be active too."""
    if not fields.client_id:
        raise ValidationFailed(_l("Select the client: it is required."), field="client_id")
    client = db.session.get(Client, _as_int(fields.client_id, "client_id"))
    kept = current is not None and client is not None and client.id == current.client_id
    if client is None or not (client.active or kept):
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
                              _l("The requester must be a contact of the selected client."),
                              current),
        "contract": _of_client(Contract, fields.contract_id, client, "contract_id",
                               _l("The contract must belong to the selected client."), current),
        "project": _of_client(Project, fields.project_id, client, "project_id",
                              _l("The project must belong to the selected client."), current),
        "type": _ticket_type(fields.type_id, current),
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


def _of_client(model, id_value, client: Client, field: str, message,
               current: Ticket | None = None):
    """Load an optional record by id and check it belongs to the client (and, in an edit, that
    a record the ticket does not refer to yet is active)."""
    if not id_value:
        return None
    record = db.session.get(model, _as_int(id_value, field))
    if record is None or record.client_id != client.id:
        raise ValidationFailed(message, field=field)
    if current is not None and not record.active and not _refers_to(current, record):
        raise ValidationFailed(NO_LONGER_ACTIVE, field=field)
    return record


def _ticket_type(type_id, current: Ticket | None = None) -> TicketType | None:
    """Load the optional ticket type: an active one, or the one the edited ticket has."""
    if not type_id:
        return None
    ticket_type = db.session.get(TicketType, _as_int(type_id, "type_id"))
    if ticket_type is None or not (ticket_type.active or (current is not None
                                                          and current.type_id == ticket_type.id)):
        raise ValidationFailed(_l("Select a valid ticket type."), field="type_id")
    return ticket_type


def _refers_to(ticket: Ticket, record) -> bool:
    """Whether the ticket already refers to this contact, contract or project."""
    return record in (ticket.contact, ticket.contract, ticket.project)
