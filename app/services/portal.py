"""What a customer sees and does on their ticket's page, opened by a signed link (no account).

The page shows the ticket's status in plain words and what happens next, the public
conversation (the customer's mail and staff's public replies: never an internal note nor a
system event) with its files, the quote with its decision while it waits, and the contact's
other open tickets of the same client, each with its own link. A reply from the page is the same
as an email from that contact (customer_mail.receive): a note on the ticket, or a new linked
ticket when it is closed.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.extensions import db
from app.models.client import Contact
from app.models.enums import NoteKind, TicketStatus
from app.models.quote import Quote
from app.models.ticket import Note, Ticket
from app.received_mail import split_quoted
from app.services import attachments as attachment_store
from app.services.attachment_downloads import Download, attachment_for_download
from app.services.customer_mail import CustomerEmail, receive
from app.services.errors import NotFound, ValidationFailed
from app.services.notes import Upload
from app.services.permissions import SYSTEM
from app.services.portal_links import link_for, open_link
from app.services.quote_links import expires_at as quote_expires_at
from app.services.quote_links import make_token as quote_token
from app.services.quotes import awaits_decision
from app.services.ticket_view import opening_email

# The notes a customer may read: their own mail and staff's public replies.
SHOWN_KINDS = (NoteKind.CUSTOMER_EMAIL, NoteKind.PUBLIC_REPLY)
REPLY_MAX_CHARS = 20000
OTHER_TICKETS_MAX = 50

S = TicketStatus
# Each status in plain words, and what happens next.
STATUS_WORDS = {
    S.NEW: (_l("We received your request."),
            _l("We are looking at it. We will answer you here and by email, or send you a quote "
               "if the work is billed.")),
    S.QUOTED: (_l("We sent you a quote."),
               _l("Approve or reject it below. We start the work once you approve it.")),
    S.APPROVED: (_l("You approved the quote."),
                 _l("We will start the work soon and tell you when it is done.")),
    S.IN_PROGRESS: (_l("We are working on it."),
                    _l("We will write to you when it is solved or if we need something from "
                       "you.")),
    S.ON_HOLD: (_l("The work is paused."),
                _l("We are waiting for something, often an answer from you: read our latest "
                   "message and reply below.")),
    S.RESOLVED: (_l("We solved it."),
                 _l("If the problem is not solved, reply below and we will reopen the ticket. "
                    "Otherwise we will close it.")),
    S.CLOSED: (_l("This ticket is closed."),
               _l("If you write again about this, we will open a new ticket linked to this "
                  "one.")),
}


@dataclass(frozen=True)
class PortalMessage:
    """A message of the conversation: what its author wrote, and the quoted history below it
    (shown folded)."""

    note: Note
    text: str
    quoted: str


@dataclass(frozen=True)
class OtherTicket:
    """Another open ticket of the contact, with its own link."""

    ticket: Ticket
    url: str


@dataclass(frozen=True)
class PortalPage:
    """Everything the customer's ticket page shows."""

    contact: Contact
    ticket: Ticket
    status_words: str
    next_step: str
    opening: Note | None  # the email the ticket was opened from (else: the description first)
    messages: list[PortalMessage]  # oldest first, the opening email included
    quote: Quote | None  # the quote waiting for the customer's decision
    quote_token: str | None
    others: list[OtherTicket]
    quote_expires_at: dt.datetime | None = None  # when the quote's links stop working


def ticket_page(token: str) -> PortalPage:
    """The page a link opens. Raises LinkProblem (see portal_links.open_link)."""
    access = open_link(token)
    ticket, contact = access.ticket, access.contact
    words, next_step = STATUS_WORDS[ticket.status]
    quote = ticket.current_quote if awaits_decision(ticket.current_quote) else None
    return PortalPage(
        contact=contact, ticket=ticket, status_words=str(words), next_step=str(next_step),
        opening=opening_email(ticket),
        messages=[PortalMessage(note, *split_quoted(note.body_text)) for note in
                  public_messages(ticket)], quote=quote,
        quote_token=quote_token(quote) if quote is not None else None,
        quote_expires_at=quote_expires_at(quote) if quote is not None else None,
        others=[OtherTicket(other, link_for(contact, other))
                for other in other_open_tickets(contact, ticket)])


def public_messages(ticket: Ticket) -> list[Note]:
    """The ticket's customer mail and public replies, oldest first: never an internal note."""
    return list(db.session.scalars(
        select(Note).where(Note.ticket_id == ticket.id, Note.kind.in_(SHOWN_KINDS))
        .order_by(Note.created_at, Note.id)))


def other_open_tickets(contact: Contact, ticket: Ticket) -> list[Ticket]:
    """The contact's other tickets that are not closed, of the contact's own client, newest
    first."""
    return list(db.session.scalars(
        select(Ticket).where(Ticket.contact_id == contact.id,
                             Ticket.client_id == contact.client_id,
                             Ticket.id != ticket.id, Ticket.status != TicketStatus.CLOSED)
        .order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(OTHER_TICKETS_MAX)))


@dataclass(frozen=True)
class PortalReply:
    """Where a reply from the page landed: the contact's ticket, new when the linked one was
    closed."""

    contact: Contact
    ticket: Ticket
    created: bool


def reply(token: str, text: str, uploads: list[Upload] | None = None) -> PortalReply:
    """The customer's reply from the page, as an email from that contact would be: a note on the
    ticket with its files (reopening a resolved ticket), or a new ticket linked to a closed one.

    Raises LinkProblem (the link), ValidationFailed (empty or too long, too many or too large
    files).
    """
    access = open_link(token)
    text = (text or "").strip()
    if not text:
        raise ValidationFailed(_l("Write your message before sending it."), field="text")
    if len(text) > REPLY_MAX_CHARS:
        raise ValidationFailed(_l("Your message is longer than %(limit)s characters. Shorten it, "
                                  "or send the rest in another message.",
                                  limit=REPLY_MAX_CHARS), field="text")
    attachment_store.check_count(len(uploads or []))
    ticket = access.ticket
    result = receive(access.contact, CustomerEmail(subject=ticket.subject, text=text, html=None,
                                                   uploads=list(uploads or [])), ticket=ticket)
    return PortalReply(access.contact, result.ticket, result.created)


def attachment_download(token: str, attachment_id: int) -> Download:
    """A file the link's page shows (an attachment of the ticket's customer mail or public
    replies); NotFound for any other, as if it did not exist. Raises LinkProblem (the link)."""
    access = open_link(token)
    download = attachment_for_download(SYSTEM, attachment_id, access.ticket)
    note = download.attachment.note
    if note is None or note.kind not in SHOWN_KINDS:
        raise NotFound(_l("This file does not exist (any more). Go back to the ticket and choose "
                          "it again."), field="attachment")
    return download
