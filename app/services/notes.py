"""The ticket's conversation: internal notes, public replies, and mail to the requester."""
from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO

from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models.enums import NoteKind
from app.models.mail import OutboxMessage
from app.models.ticket import Note, Ticket
from app.models.user import User
from app.services import attachments as attachment_store
from app.services import clock, portal_links, presence
from app.services.contacts import requester_language
from app.services.errors import ValidationFailed
from app.services.history import record_change
from app.services.outbox import AUTO_GENERATED, enqueue_mail
from app.services.permissions import Actor, Permission, actor_user_id, require
from app.services.workflow import require_open
from app.services.webhooks import events as webhook_events
from app.storage import StoredBlob


@dataclass(frozen=True)
class Upload:
    """A file handed to a service: its name as given, its bytes (a stream, or already in the
    attachment store), its declared type."""

    filename: str
    stream: BinaryIO | None
    content_type: str | None = None
    content_id: str | None = None  # inline images of an email, referenced as cid:
    inline: bool = False
    stored: StoredBlob | None = None  # written ahead of time by the mail reader


def create_note(ticket: Ticket, kind: NoteKind, text: str, actor: Actor | None,
                html: str | None = None) -> Note:
    """Add a note to the ticket's timeline (no checks: callers enforce their own rules), and
    mark who spoke last: a customer's message or a public reply."""
    note = Note(
        ticket=ticket,
        kind=kind,
        body_text=text,
        body_html=html,
        author_user_id=actor_user_id(actor),
        created_at=clock.now(),
    )
    if kind is NoteKind.CUSTOMER_EMAIL:
        ticket.last_customer_message_at = note.created_at
    elif kind is NoteKind.PUBLIC_REPLY:
        ticket.last_staff_reply_at = note.created_at
    db.session.add(note)
    return note


def check_add_note(actor: Actor, ticket: Ticket) -> None:
    """Raise NotPermitted or TicketClosed unless the actor may add an internal note now."""
    require(actor, Permission.NOTE)
    require_open(ticket)


def add_internal_note(actor: Actor, ticket: Ticket, text: str,
                      uploads: list[Upload] | None = None) -> Note:
    """Add a note only staff can see.

    Raises NotPermitted, TicketClosed, ValidationFailed (empty, too many files).
    """
    check_add_note(actor, ticket)
    attachment_store.check_count(len(uploads or []))
    note = create_note(ticket, NoteKind.INTERNAL, _required_text(text), actor)
    attach(ticket, note, uploads)
    webhook_events.note_added(note)
    return note


def check_reply(actor: Actor, ticket: Ticket) -> None:
    """Raise NotPermitted, TicketClosed or ValidationFailed (no requester) unless the actor may
    reply to the ticket's requester now."""
    require(actor, Permission.REPLY)
    require_open(ticket)
    if ticket.contact is None:
        raise ValidationFailed(
            _l("This ticket has no requester to reply to. Set the requester contact first."),
            field="contact",
        )


def reply_publicly(actor: Actor, ticket: Ticket, text: str,
                   uploads: list[Upload] | None = None, seen_through: int | None = None,
                   confirmed: bool = False) -> Note:
    """Reply to the requester by email (with attachments) and keep the reply in the timeline.
    `seen_through` is the newest customer message the author saw (the reply guard:
    presence.check_reply_current), `confirmed` sends over newer ones anyway.

    Raises NotPermitted, TicketClosed, ValidationFailed (empty text, no requester, too many
    files), NewerCustomerMessage (the customer wrote since, not confirmed).
    """
    check_reply(actor, ticket)
    attachment_store.check_count(len(uploads or []))
    text = _required_text(text)
    presence.check_reply_current(ticket, seen_through, confirmed)
    note = create_note(ticket, NoteKind.PUBLIC_REPLY, text, actor)
    files = attach(ticket, note, uploads)
    db.session.flush()
    mail_requester(ticket, "public_reply", note=note,
                   attachment_ids=[a.id for a in files], auto_submitted=None,
                   author=actor if isinstance(actor, User) else None)
    record_change(ticket, actor, "reply", None, note.id, note=note)
    webhook_events.note_added(note)
    return note


def mail_requester(ticket: Ticket, kind: str, auto_submitted: str | None = AUTO_GENERATED,
                   attachment_ids: list[int] | None = None, **context) -> OutboxMessage | None:
    """Queue a mail of the given kind to the ticket's requester, in the requester's language,
    with the requester's "view the ticket" link (portal_links)."""
    contact = ticket.contact
    if contact is None:
        return None
    return enqueue_mail(
        kind,
        to_address=contact.email,
        to_name=contact.name,
        language=requester_language(ticket),
        ticket=ticket,
        auto_submitted=auto_submitted,
        attachment_ids=attachment_ids,
        portal_url=portal_links.link_for(contact, ticket),
        **context,
    )


def attach(ticket: Ticket, note: Note, uploads: list[Upload] | None) -> list:
    """Store each upload as an attachment of the note."""
    return [
        attachment_store.store_file(ticket, u.filename, u.stored or u.stream, u.content_type,
                                    note=note, content_id=u.content_id, inline=u.inline)
        for u in uploads or []
    ]


def _required_text(text: str) -> str:
    """The note's text, or ValidationFailed when it is empty."""
    text = (text or "").strip()
    if not text:
        raise ValidationFailed(_l("Write the text of the note."), field="text")
    return text
