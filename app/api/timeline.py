"""A ticket's timeline and files as the API answers them (app.api.file_schemas): the events of
app.services.ticket_view.timeline, each with its kind, time, who, text and files; a history line
reads as on the ticket page (app.web.tickets.history_lines), in the caller's language."""
from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _

from app.models.enums import NoteKind
from app.models.ticket import Attachment, Note, Ticket
from app.models.user import User
from app.services.ticket_view import TimelineEvent
from app.web.tickets.history_lines import describe, who

NOTE_KINDS = {NoteKind.CUSTOMER_EMAIL: "customer_email", NoteKind.PUBLIC_REPLY: "public_reply",
              NoteKind.INTERNAL: "internal_note", NoteKind.SYSTEM: "system_note"}


def attachment_body(ticket: Ticket, attachment: Attachment) -> dict:
    """One file as the API lists it, with where to download it."""
    return {"id": attachment.id, "filename": attachment.filename, "size": attachment.size,
            "sniffed_type": attachment.sniffed_type, "note_id": attachment.note_id,
            "inline": bool(attachment.inline), "created_at": attachment.created_at,
            "download_url": url_for("api-ticket-files.AttachmentFile", number=ticket.number,
                                    attachment_id=attachment.id)}


def timeline_body(events: list[TimelineEvent]) -> list[dict]:
    """The timeline's events, in their order, as TimelineEventSchema reads them."""
    return [_event_body(event) for event in events]


def _event_body(event: TimelineEvent) -> dict:
    body = {"at": event.at, "note_id": None, "note_kind": None, "attachment_ids": [],
            "change": None, "quote": None, "time": None}
    if event.note is not None:
        note = event.note
        body.update(kind=NOTE_KINDS.get(note.kind, "system_note"), who=_note_author(note),
                    text=note.body_text or "", note_id=note.id, note_kind=note.kind,
                    attachment_ids=[attachment.id for attachment in event.attachments])
    elif event.change is not None:
        change = event.change
        body.update(kind="change", who=_person(change.actor_user, name=who(change)),
                    text=describe(change), change=change)
    elif event.quote is not None:
        quote = event.quote
        body.update(kind="quote", who=_person(quote.created_by), text=quote.message or "",
                    quote=quote)
    else:
        entry = event.entry
        body.update(kind="time", who=_person(entry.user), text=entry.note or "", time=entry)
    return body


def _note_author(note: Note) -> dict:
    """The note's author: the staff user, else the customer's contact, else the system."""
    if note.author_user is not None:
        return _person(note.author_user)
    contact = note.author_contact
    if contact is not None:
        return {"user_id": None, "contact_id": contact.id, "name": contact.name or contact.email}
    return {"user_id": None, "contact_id": None, "name": _("System")}


def _person(user: User | None, name: str | None = None) -> dict:
    if user is None:
        return {"user_id": None, "contact_id": None, "name": name or _("System")}
    return {"user_id": user.id, "contact_id": None, "name": name or user.name}
