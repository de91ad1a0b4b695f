"""One ticket as every adapter shows it (the dashboard's ticket page, the API): the ticket, its
timeline oldest first, its files outside any note, the email it was opened from, and whether
(and why) it needs an assignee.

The timeline merges the ticket's notes (with their files), history changes, quote versions and
time entries by when they happened; the history line of a customer's email is folded into the
note that email became, a reply's line into its note, a "time" line into its time entry, a
"quote" line into the quote version it saved. A quote version shows what was sent (its decision
is a history line of its own, at its own time). Files are split into images a page may preview
(their bytes are a type shown inline, the rule of attachment_downloads) and the others.
Presentation (sanitising a note's HTML, URLs) is the adapter's.
Requires Permission.VIEW.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models.enums import NoteKind, TicketSource
from app.models.quote import Quote
from app.models.ticket import Attachment, Note, Ticket, TicketChange
from app.models.worklog import TimeEntry
from app.services.attachment_downloads import INLINE_IMAGE_TYPES
from app.services.errors import NotFound
from app.services.permissions import Actor, Permission, require
from app.services.reassignment import AssigneeNeed, assignee_need


@dataclass(frozen=True)
class TimelineEvent:
    """One thing that happened to a ticket; `kind` says which of the fields is set."""

    at: dt.datetime
    kind: str  # "note", "change", "quote" or "time"
    note: Note | None = None
    attachments: list[Attachment] = field(default_factory=list)  # the note's, inline ones too
    change: TicketChange | None = None
    quote: Quote | None = None
    entry: TimeEntry | None = None

    @property
    def files(self) -> list[Attachment]:
        """The note's files shown as downloads (inline images are shown in its body)."""
        return [attachment for attachment in self.attachments if not attachment.inline]

    @property
    def images(self) -> list[Attachment]:
        """The note's files a page may show as thumbnails."""
        return [attachment for attachment in self.files if previewable(attachment)]

    @property
    def documents(self) -> list[Attachment]:
        """The note's files shown only as download links."""
        return [attachment for attachment in self.files if not previewable(attachment)]


@dataclass(frozen=True)
class TicketView:
    """A ticket with what its page shows."""

    ticket: Ticket
    timeline: list[TimelineEvent]
    loose_files: list[Attachment]  # attached to the ticket, not to a note
    assignee_need: AssigneeNeed | None  # open, and nobody who can work it has it
    opening_email: Note | None = None  # the email the ticket was opened from, when it still
    # is the description (the conversation starts with it instead of repeating it)

    @property
    def loose_images(self) -> list[Attachment]:
        """The ticket's own files a page may show as thumbnails."""
        return [attachment for attachment in self.loose_files if previewable(attachment)]

    @property
    def loose_documents(self) -> list[Attachment]:
        """The ticket's own files shown only as download links."""
        return [attachment for attachment in self.loose_files if not previewable(attachment)]

    @property
    def needs_new_assignee(self) -> bool:
        """Open and still assigned to someone who can no longer work it (the page's marker)."""
        return self.assignee_need is AssigneeNeed.REASSIGN

    @property
    def newest_customer_message_id(self) -> int:
        """The id of the newest customer message the page shows, 0 when it shows none: the
        reply form's `seen_through` (app.services.presence.check_reply_current). Read from the
        notes loaded for the page, so what the guard compares is what the page showed."""
        return max((note.id for note in self.ticket.notes
                    if note.kind is NoteKind.CUSTOMER_EMAIL), default=0)


def ticket_by_number(actor: Actor, number: str) -> Ticket:
    """The ticket with this number, for an action on it (the action checks its own rule).
    Raises NotPermitted without the view permission, NotFound when no ticket has the number."""
    require(actor, Permission.VIEW)
    return _by_number(number)


def _by_number(number: str, *options) -> Ticket:
    ticket = db.session.execute(
        select(Ticket).where(Ticket.number == number).options(*options)).scalar_one_or_none()
    if ticket is None:
        raise NotFound(_l("This page does not exist: there is no ticket %(number)s. Check the "
                          "number, or find the ticket in the list.", number=number),
                       field="number")
    return ticket


def ticket_view(actor: Actor, number: str) -> TicketView:
    """The ticket with this number and its timeline. Raises NotPermitted without the view
    permission, NotFound when no ticket has the number."""
    require(actor, Permission.VIEW)
    ticket = _by_number(
        number,
        selectinload(Ticket.notes).selectinload(Note.author_user),
        selectinload(Ticket.notes).selectinload(Note.author_contact),
        selectinload(Ticket.changes).selectinload(TicketChange.actor_user),
        selectinload(Ticket.quotes), selectinload(Ticket.attachments),
        selectinload(Ticket.time_entries).selectinload(TimeEntry.user),
        selectinload(Ticket.assignee),
        selectinload(Ticket.created_by))
    loose = [attachment for attachment in ticket.attachments if attachment.note_id is None]
    return TicketView(ticket, timeline(ticket), loose, assignee_need(ticket),
                      opening_email(ticket))


def previewable(attachment: Attachment) -> bool:
    """Whether a page may show the file as an image: its bytes (not what the sender declared)
    are a type the download serves inline."""
    return (attachment.sniffed_type or "") in INLINE_IMAGE_TYPES


def opening_email(ticket: Ticket) -> Note | None:
    """The customer's email a ticket that came by email was opened from, while its description
    is still the one that email gave it (never edited); None otherwise."""
    if ticket.source is not TicketSource.EMAIL:
        return None
    if any(change.field == "description" for change in ticket.changes):
        return None
    first = min(ticket.notes, key=lambda note: (note.created_at, note.id), default=None)
    return first if first is not None and first.kind is NoteKind.CUSTOMER_EMAIL else None


def timeline(ticket: Ticket) -> list[TimelineEvent]:
    """Everything that happened to the ticket, oldest first (at the same moment: notes, changes,
    quotes, time, each in the order they were saved)."""
    by_note: dict[int | None, list[Attachment]] = {}
    for attachment in ticket.attachments:
        by_note.setdefault(attachment.note_id, []).append(attachment)
    events = [TimelineEvent(note.created_at, "note", note=note,
                            attachments=by_note.get(note.id, [])) for note in ticket.notes]
    events += [TimelineEvent(change.created_at, "change", change=change)
               for change in ticket.changes if not _folded_into_note(change)]
    events += [TimelineEvent(quote.created_at, "quote", quote=quote) for quote in ticket.quotes]
    events += [TimelineEvent(entry.created_at, "time", entry=entry)
               for entry in ticket.time_entries]
    return sorted(events, key=lambda event: event.at)


def _folded_into_note(change: TicketChange) -> bool:
    """A customer's email and a public reply are shown by their notes, logged time by its time
    entry, a saved quote by its version: their history lines would say it twice."""
    if change.field in ("time", "quote"):
        return True
    return change.note_id is not None and change.field in ("customer_email", "reply")
