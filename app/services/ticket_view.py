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

The page shows a long conversation in parts (ticket_page_view, timeline_part): the newest
PART_SIZE events, and before them the count of earlier ones with a Cursor to load the part
before; the email the ticket was opened from stays pinned above them. It reads every note's id,
kind and time as plain rows (note_stamps: what the service-level clocks read too; as loaded
Notes, the 2,000 of a long conversation cost more than the page's time), and the text and files
of the shown notes only. Requires Permission.VIEW.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models.enums import NoteKind, TicketSource
from app.models.quote import Quote
from app.models.ticket import Attachment, Note, Ticket, TicketChange
from app.models.worklog import TimeEntry
from app.services.attachment_downloads import INLINE_IMAGE_TYPES
from app.services.errors import NotFound, ValidationFailed
from app.services.permissions import Actor, Permission, require
from app.services.reassignment import AssigneeNeed, assignee_need


PART_SIZE = 50  # events the page shows at once: the newest first, each earlier part on demand
# the order of events at the same moment: notes, changes, quotes, time (each by id)
RANK = {"note": 0, "change": 1, "quote": 2, "time": 3}
FIELD = {"note": "note", "change": "change", "quote": "quote", "time": "entry"}  # TimelineEvent's
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
MICROSECOND = dt.timedelta(microseconds=1)


@dataclass(frozen=True, order=True)
class Cursor:
    """An event's place in the timeline's order (its time, its kind's RANK, its id): a part
    "before" it holds the events that come earlier. Written `kind-id-microseconds` in a URL."""

    at: dt.datetime
    rank: int
    id: int

    def __str__(self) -> str:
        kind = next(name for name, rank in RANK.items() if rank == self.rank)
        return f"{kind}-{self.id}-{(self.at - EPOCH) // MICROSECOND}"

    @classmethod
    def parse(cls, text: str) -> "Cursor":
        """The cursor a URL's `before` names. Raises ValidationFailed when it is not one."""
        try:
            kind, number, micros = text.split("-")
            return cls(EPOCH + int(micros) * MICROSECOND, RANK[kind], int(number))
        except (ValueError, KeyError, OverflowError):
            raise ValidationFailed(_l("This link to earlier messages is not valid. Open the "
                                      "ticket again and use “Load earlier messages”."),
                                   field="before") from None


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
    def cursor(self) -> Cursor:
        """The event's place in the timeline's order."""
        item = self.note or self.change or self.quote or self.entry
        return Cursor(self.at, RANK[self.kind], item.id or 0)

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
    earlier: int = 0  # events before the timeline's first that it does not show
    opening_event: TimelineEvent | None = None  # the opening email with its files, pinned
    # above a part of the timeline (ticket_page_view), which then leaves it out
    later: bool = False  # the timeline is an earlier part: newer events follow it
    # the ticket's notes as the page read them (note_stamps: id, kind and time), which its
    # clocks read too (ticket_service_levels' `notes`); None: ticket.notes
    notes: list | None = None

    @property
    def earlier_cursor(self) -> str | None:
        """The `before` of the part that comes before this timeline; None when none does."""
        return str(self.timeline[0].cursor) if self.earlier and self.timeline else None

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
        """The id of the newest customer message of the ticket as the page read it, 0 when it
        has none: the reply form's `seen_through` (app.services.presence.check_reply_current).
        Read from the notes loaded for the page (the newest part shows it, or it is in an
        earlier part the page loads on demand), so the guard stops a reply over any message
        that came after."""
        notes = self.ticket.notes if self.notes is None else self.notes
        return max((note.id for note in notes if note.kind is NoteKind.CUSTOMER_EMAIL),
                   default=0)


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


def ticket_page_view(actor: Actor, number: str, before: str | None = None) -> TicketView:
    """The ticket page: the ticket with the newest PART_SIZE events of its timeline (with
    `before`, the part before that cursor), the count of earlier ones, its opening email pinned
    above them. Reads every note's id, kind and time only (note_stamps; the service-level
    clocks read them too), the text, authors and files of the shown notes. Raises NotPermitted,
    NotFound, and ValidationFailed for a `before` that is not a cursor."""
    require(actor, Permission.VIEW)
    cursor = Cursor.parse(before) if before else None
    ticket, stamps = _with_history(number)
    opening = opening_email(ticket, stamps)
    chosen, earlier = _part(ticket, stamps, cursor, opening)
    notes = _with_text([opening, *(event.note for event in chosen)])
    files = _attachments(ticket, list(notes), loose=True)
    pinned = None
    if opening is not None:
        opening = notes[opening.id]
        pinned = TimelineEvent(opening.created_at, "note", note=opening,
                               attachments=files.get(opening.id, []))
    return TicketView(ticket, _events(chosen, files, notes), files.get(None, []),
                      assignee_need(ticket), opening, earlier=earlier, opening_event=pinned,
                      later=cursor is not None, notes=stamps)


def timeline_part(actor: Actor, number: str, before: str) -> TicketView:
    """The PART_SIZE events before the cursor `before` and the count of those before them (the
    page's "Load earlier messages"); the opening email is left out (the page pins it). Raises
    NotPermitted, NotFound, ValidationFailed for a `before` that is not a cursor."""
    require(actor, Permission.VIEW)
    cursor = Cursor.parse(before or "")
    ticket, stamps = _with_history(number)
    chosen, earlier = _part(ticket, stamps, cursor, opening_email(ticket, stamps))
    notes = _with_text([event.note for event in chosen])
    files = _attachments(ticket, list(notes), loose=False)
    return TicketView(ticket, _events(chosen, files, notes), [], None, earlier=earlier,
                      later=True, notes=stamps)


def _with_history(number: str) -> tuple[Ticket, list]:
    """The ticket with what its clocks read (its status changes with their authors, its quotes)
    and its time entries, and its notes' stamps (note_stamps)."""
    ticket = _by_number(
        number,
        selectinload(Ticket.changes).selectinload(TicketChange.actor_user),
        selectinload(Ticket.quotes),
        selectinload(Ticket.time_entries).selectinload(TimeEntry.user),
        selectinload(Ticket.assignee), selectinload(Ticket.created_by))
    return ticket, note_stamps(ticket)


def note_stamps(ticket: Ticket) -> list:
    """The ticket's notes as plain rows of id, kind and created_at, in id order: what the
    clocks, the timeline's order and the opening email read of every note, without loading
    each as a Note."""
    return list(db.session.execute(select(Note.id, Note.kind, Note.created_at)
                                   .where(Note.ticket_id == ticket.id).order_by(Note.id)))


def _part(ticket: Ticket, notes: list, cursor: Cursor | None,
          opening) -> tuple[list[TimelineEvent], int]:
    """The newest PART_SIZE events before the cursor (all of them without one), the opening
    email left out, oldest first (notes as their stamps, without text or files yet), and how
    many come before. Sorts plain (time, rank, id) keys: a long conversation has thousands."""
    limit = (cursor.at, cursor.rank, cursor.id) if cursor is not None else None
    skipped = opening.id if opening is not None else None
    keyed = [(at, rank, item_id, kind, item) for at, rank, item_id, kind, item
             in _keys(ticket, notes)
             if not (kind == "note" and item_id == skipped)
             and (limit is None or (at, rank, item_id) < limit)]
    keyed.sort()  # (time, rank, id) never ties: the rows themselves are never compared
    chosen = [TimelineEvent(at, kind, **{FIELD[kind]: item})
              for at, _rank, _id, kind, item in keyed[-PART_SIZE:]]
    return chosen, len(keyed) - len(chosen)


def _keys(ticket: Ticket, notes: list | None = None):
    """Each event of the ticket as (time, rank, id, kind, the row), in no order; `notes`, the
    ticket's notes when read apart (stamps), else ticket.notes."""
    for kind, items in (("note", ticket.notes if notes is None else notes),
                        ("quote", ticket.quotes),
                        ("change", [change for change in ticket.changes
                                    if not _folded_into_note(change)]),
                        ("time", ticket.time_entries)):
        rank = RANK[kind]
        for item in items:
            yield item.created_at, rank, item.id or 0, kind, item


def _with_text(stamps: list) -> dict[int, Note]:
    """The notes of these stamps (or notes; None left out) with their text and authors, by
    id."""
    ids = [stamp.id for stamp in stamps if stamp is not None]
    if not ids:
        return {}
    return {note.id: note for note in db.session.scalars(
        select(Note).where(Note.id.in_(ids)).options(
            selectinload(Note.author_user), selectinload(Note.author_contact)))}


def _attachments(ticket: Ticket, note_ids: list[int],
                 loose: bool) -> dict[int | None, list[Attachment]]:
    """The files of these notes, and with `loose` the ticket's own (key None), by note id."""
    ids = list(note_ids)
    which = [Attachment.note_id.in_(ids)] + ([Attachment.note_id.is_(None)] if loose else [])
    by_note: dict[int | None, list[Attachment]] = {}
    for attachment in db.session.scalars(select(Attachment).where(
            Attachment.ticket_id == ticket.id, or_(*which)).order_by(Attachment.id)):
        by_note.setdefault(attachment.note_id, []).append(attachment)
    return by_note


def _events(events: list[TimelineEvent], files: dict[int | None, list[Attachment]],
            notes: dict[int, Note] | None = None) -> list[TimelineEvent]:
    """The events, each note's with its files (and, given `notes` by id, the loaded note in
    place of its stamp)."""
    return [TimelineEvent(event.at, "note",
                          note=event.note if notes is None else notes[event.note.id],
                          attachments=files.get(event.note.id, []))
            if event.note is not None else event for event in events]


def previewable(attachment: Attachment) -> bool:
    """Whether a page may show the file as an image: its bytes (not what the sender declared)
    are a type the download serves inline."""
    return (attachment.sniffed_type or "") in INLINE_IMAGE_TYPES


def opening_email(ticket: Ticket, notes: list | None = None) -> Note | None:
    """The customer's email a ticket that came by email was opened from, while its description
    is still the one that email gave it (never edited); None otherwise. Of `notes` (the
    ticket's notes read apart: then the stamp of it) when given, else of ticket.notes."""
    if ticket.source is not TicketSource.EMAIL:
        return None
    if any(change.field == "description" for change in ticket.changes):
        return None
    first = min(ticket.notes if notes is None else notes,
                key=lambda note: (note.created_at, note.id), default=None)
    return first if first is not None and first.kind is NoteKind.CUSTOMER_EMAIL else None


def timeline(ticket: Ticket) -> list[TimelineEvent]:
    """Everything that happened to the ticket, oldest first (at the same moment: notes, changes,
    quotes, time, each in the order they were saved)."""
    by_note: dict[int | None, list[Attachment]] = {}
    for attachment in ticket.attachments:
        by_note.setdefault(attachment.note_id, []).append(attachment)
    return _events(sorted(_bare_events(ticket), key=lambda event: event.cursor), by_note)


def _bare_events(ticket: Ticket) -> list[TimelineEvent]:
    """The ticket's events in no order, notes without their files."""
    return [TimelineEvent(at, kind, **{FIELD[kind]: item})
            for at, _rank, _id, kind, item in _keys(ticket)]


def _folded_into_note(change: TicketChange) -> bool:
    """A customer's email and a public reply are shown by their notes, logged time by its time
    entry, a saved quote by its version: their history lines would say it twice."""
    if change.field in ("time", "quote"):
        return True
    return change.note_id is not None and change.field in ("customer_email", "reply")
