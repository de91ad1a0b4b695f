"""Webhook events: what happened, written in the transaction of the change (outbox style).

Each emitter below is called by the service where its change happens; it writes the event's
row and one delivery per active endpoint subscribed to its type, and the worker sends them
after the commit: a change rolled back takes its event with it, and nothing is sent inline.
With no endpoint subscribed nothing is written (and nothing is flushed).

The body is JSON {"type", "timestamp", "data"}; data names the ticket (number, status, the
ids of its client, contact, assignee …) and the thing changed, by ids and enum names only (no
text of notes, no secrets). Event types:

- ticket.created, ticket.status_changed (every move: workflow.move_to), ticket.assigned
  (also unassigned: assignee_id null), quote.sent, quote.decided (staff-recorded or the
  customer's link: decision_channel);
- note.added: an internal note, or a customer's email added to an open ticket (kind
  CUSTOMER_EMAIL); reply.added: a public reply to the requester. A note written as part of
  another action (a status change's explanation, a closing resolution, a recorded decision,
  a new ticket's first email) travels as that action's event (note_id), not as its own;
- time.logged;
- ticket.updated: its fields edited, each with its value before and after (references by id,
  urgency by name; the subject and description only as changed, their text is not sent);
- ticket.billing_changed: its billing basis or payment status changed, whoever changed it.
"""
from __future__ import annotations

import json
import secrets
from collections.abc import Callable

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.extensions import db
from app.models.enums import NoteKind
from app.models.webhook import WebhookDelivery, WebhookEndpoint, WebhookEvent
from app.services import clock
from app.services.permissions import actor_user_id
from app.services.transaction_reads import kept

TICKET_CREATED = "ticket.created"
STATUS_CHANGED = "ticket.status_changed"
ASSIGNED = "ticket.assigned"
QUOTE_SENT = "quote.sent"
QUOTE_DECIDED = "quote.decided"
NOTE_ADDED = "note.added"
REPLY_ADDED = "reply.added"
TIME_LOGGED = "time.logged"
TICKET_UPDATED = "ticket.updated"
BILLING_CHANGED = "ticket.billing_changed"

# Every type, in the order the dashboard lists them, with its label.
EVENT_TYPES = {
    TICKET_CREATED: _l("Ticket created"),
    STATUS_CHANGED: _l("Status changed"),
    ASSIGNED: _l("Ticket assigned"),
    QUOTE_SENT: _l("Quote sent"),
    QUOTE_DECIDED: _l("Quote decided"),
    NOTE_ADDED: _l("Note added"),
    REPLY_ADDED: _l("Reply added"),
    TIME_LOGGED: _l("Time logged"),
    TICKET_UPDATED: _l("Ticket edited"),
    BILLING_CHANGED: _l("Billing or payment changed"),
}

# Built once: every change asks it (not building it and its cache key again each time).
_ACTIVE_ENDPOINTS = select(WebhookEndpoint).where(WebhookEndpoint.active.is_(True)) \
    .order_by(WebhookEndpoint.id)


def emit(event_type: str, data: Callable[[], dict]) -> WebhookEvent | None:
    """Write an event of this type, and a delivery to each active endpoint subscribed to it, in
    the caller's transaction. `data` is called after a flush, so the ids it names exist.
    Returns the event, or None when no endpoint wants it (then nothing is written)."""
    with db.session.no_autoflush:
        endpoints = [endpoint for endpoint in kept(
            db.session, "active webhook endpoints",
            lambda: tuple(db.session.scalars(_ACTIVE_ENDPOINTS)), (WebhookEndpoint,))
            if endpoint.receives(event_type)]
    if not endpoints:
        return None
    db.session.flush()
    now = clock.now()
    body = {"type": event_type,
            "timestamp": now.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "data": data()}
    event = WebhookEvent(event_id=new_event_id(), type=event_type, created_at=now,
                         payload=json.dumps(body, ensure_ascii=False, separators=(",", ":")))
    db.session.add(event)
    db.session.add_all(WebhookDelivery(endpoint=endpoint, event=event, next_attempt_at=now,
                                       created_at=now) for endpoint in endpoints)
    return event


def new_event_id() -> str:
    """A fresh webhook-id: "msg_" and 128 random bits."""
    return "msg_" + secrets.token_hex(16)


def ticket_ref(ticket) -> dict:
    """The ticket as every event names it."""
    return {"number": ticket.number, "status": ticket.status.name,
            "urgency": ticket.urgency.name if ticket.urgency else None,
            "client_id": ticket.client_id, "contact_id": ticket.contact_id,
            "assignee_id": ticket.assignee_id, "type_id": ticket.type_id}


def quote_ref(quote) -> dict:
    """A quote as its events name it (amounts as decimal strings)."""
    return {"id": quote.id, "version": quote.version, "status": quote.status.name,
            "price": str(quote.price), "currency": quote.currency,
            "estimated_hours": str(quote.estimated_hours),
            "decision_channel": quote.decision_channel.name if quote.decision_channel else None}


def ticket_created(ticket, actor) -> None:
    """ticket.created: a new ticket (the dashboard, the API, an email)."""
    emit(TICKET_CREATED, lambda: {"ticket": ticket_ref(ticket),
                                  "source": ticket.source.name,
                                  "actor_user_id": actor_user_id(actor)})


def status_changed(ticket, old, new, actor, note=None) -> None:
    """ticket.status_changed: any move of the workflow (workflow.move_to)."""
    emit(STATUS_CHANGED, lambda: {"ticket": ticket_ref(ticket), "old_status": old.name,
                                  "new_status": new.name, "actor_user_id": actor_user_id(actor),
                                  "note_id": note.id if note is not None else None})


def ticket_assigned(ticket, old_assignee, actor) -> None:
    """ticket.assigned: a new assignee, or none (assignee_id null)."""
    emit(ASSIGNED, lambda: {"ticket": ticket_ref(ticket), "assignee_id": ticket.assignee_id,
                            "old_assignee_id": old_assignee.id if old_assignee else None,
                            "actor_user_id": actor_user_id(actor)})


def quote_sent(quote, actor) -> None:
    """quote.sent: a quote version saved and mailed to the requester."""
    emit(QUOTE_SENT, lambda: {"ticket": ticket_ref(quote.ticket), "quote": quote_ref(quote),
                              "actor_user_id": actor_user_id(actor)})


def quote_decided(quote, actor) -> None:
    """quote.decided: approved or rejected, by the customer's link or recorded by staff."""
    emit(QUOTE_DECIDED, lambda: {"ticket": ticket_ref(quote.ticket), "quote": quote_ref(quote),
                                 "actor_user_id": actor_user_id(actor)})


def note_added(note) -> None:
    """reply.added for a public reply, note.added for any other note."""
    kind = REPLY_ADDED if note.kind is NoteKind.PUBLIC_REPLY else NOTE_ADDED
    emit(kind, lambda: {"ticket": ticket_ref(note.ticket),
                        "note": {"id": note.id, "kind": note.kind.name,
                                 "author_user_id": note.author_user_id,
                                 "author_contact_id": note.author_contact_id}})


TEXT_FIELDS = ("subject", "description")  # said to have changed; their text is not sent


def ticket_updated(ticket, changes: dict[str, tuple], actor) -> None:
    """ticket.updated: the ticket's data edited (tickets.edit_ticket: subject, description,
    urgency, type, requester, contract, project), each changed field with its value before and
    after (references by id, urgency by name); a text field only as {"changed": true}."""
    emit(TICKET_UPDATED, lambda: {
        "ticket": ticket_ref(ticket), "actor_user_id": actor_user_id(actor),
        "changes": {field: {"changed": True} if field in TEXT_FIELDS else {"old": old, "new": new}
                    for field, (old, new) in changes.items()}})


def billing_changed(ticket, field: str, old: str | None, new: str | None, actor) -> None:
    """ticket.billing_changed: its billing basis (FREE, CONTRACT:<id>, QUOTE:<version>, BILLED)
    or its payment status (UNPAID, PAID, NOT_APPLICABLE) changed, whatever changed it (staff, a
    billing batch paid, billable time logged on a paid ticket, a quote approved)."""
    emit(BILLING_CHANGED, lambda: {"ticket": ticket_ref(ticket), "field": field, "old": old,
                                   "new": new, "actor_user_id": actor_user_id(actor)})


def time_logged(entry) -> None:
    """time.logged: minutes of work on the ticket."""
    emit(TIME_LOGGED, lambda: {"ticket": ticket_ref(entry.ticket), "time_entry": {
        "id": entry.id, "user_id": entry.user_id, "minutes": entry.minutes,
        "work_date": entry.work_date.isoformat(),
        "ticket_total_minutes": entry.ticket.total_minutes}})
