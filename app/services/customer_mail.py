"""A customer's email arriving: a new ticket, a note on its ticket, a reopened or a linked ticket.

The mail poller decides which ticket an email belongs to (threading); the
rules of what that email does to the ticket live here.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from flask import current_app

from app.models.client import Contact
from app.models.enums import NoteKind, TicketSource
from app.models.ticket import Note, Ticket
from app.services import notes, tickets
from app.services.history import customer_label, record_change
from app.services.notes import Upload
from app.services.notifications import announce_unassigned
from app.services.numbering import subject_token_pattern
from app.services.outbox import AUTO_REPLIED, CustomerMessage
from app.services.permissions import SYSTEM
from app.services.tickets import TicketFields
from app.services.workflow import CUSTOMER_REPLY, move_to
from app.services.webhooks import events as webhook_events


# The markers mail programs put before the subject of a reply or a forward, in any letter case:
# Re, Fwd/Fw, RV (Spanish Outlook), Rif (Italian), AW and WG (German), SV (Nordic); with a count
# as in "Re[2]:" or "Re^2:", a space or none before the colon. The colon is required, so words
# that merely start with them ("Resumen", "Reenvío", "Awards") stay.
_REPLY_MARKER = re.compile(r"(?:re|fwd?|rv|rif|aw|wg|sv)\s*(?:\[\d+\]|\^\d+)?\s*[:：]\s*", re.I)


def ticket_subject(subject: str) -> str:
    """The title of a ticket opened by an email: its subject without our ticket tokens
    (`[TCK-000123]`, written as the poller reads them: any case and spacing, fullwidth
    brackets) and without the reply and forward markers before it, however many. Empty when
    nothing else is left (the ticket then takes the start of its description)."""
    token = subject_token_pattern(current_app.config["SOPORTE_TICKET_PREFIX"])
    text = " ".join(token.sub(" ", subject or "").split())
    while marker := _REPLY_MARKER.match(text):
        text = text[marker.end():]
    return text


@dataclass(frozen=True)
class CustomerEmail:
    """The parts of an email that become a ticket or a note, and what our answer must name."""

    subject: str
    text: str
    html: str | None
    uploads: list[Upload]
    message_id: str | None = None  # the customer's Message-ID: our acknowledgement answers it
    conversation_key: str | None = None  # Outlook's conversation (hex), continued by our answer
    acknowledge: bool = True  # False when the sender asked for no automatic reply


@dataclass(frozen=True)
class IntakeResult:
    """The ticket the email landed on, its note (None for a new ticket), and whether it is new."""

    ticket: Ticket
    note: Note | None
    created: bool


def receive(contact: Contact, mail: CustomerEmail, ticket: Ticket | None = None,
            later: list[Callable[[], object]] | None = None) -> IntakeResult:
    """Apply a customer's email: a note on the ticket, or a new ticket whose first note it is.

    A reply to a resolved ticket reopens it; a reply to a closed ticket opens a
    new ticket linked to the closed one. A new ticket is acknowledged by email, in reply to the
    customer's message, unless the sender asked for no automatic reply; it arrives unassigned,
    so the supervisors are told (notifications.announce_unassigned). With `later`, the
    acknowledgement is not queued now but added to it, as a callable the caller must call once
    it has flushed (the mail's link names the ticket's id): for a caller that writes many
    emails with one flush.
    """
    label = customer_label(contact.email)
    if ticket is not None and not ticket.is_closed:
        note = _email_note(ticket, contact, mail)
        record_change(ticket, SYSTEM, "customer_email", None, None, note=note, label=label)
        webhook_events.note_added(note)
        if ticket.status in CUSTOMER_REPLY:
            move_to(ticket, CUSTOMER_REPLY[ticket.status], SYSTEM, note, label=label)
        return IntakeResult(ticket, note, created=False)
    subject = ticket_subject(mail.subject)
    new = tickets.create_ticket(
        SYSTEM,
        TicketFields(client_id=contact.client_id, contact_id=contact.id,
                     description=mail.text.strip() or subject or "-",
                     subject=subject,
                     contract_id=ticket.contract_id if ticket is not None else None,
                     project_id=ticket.project_id if ticket is not None else None),
        source=TicketSource.EMAIL,
        related_ticket=ticket,
    )
    note = _email_note(new, contact, mail)
    announce_unassigned(new)
    if mail.acknowledge:
        acknowledge = partial(notes.mail_requester, new, "acknowledgement",
                              auto_submitted=AUTO_REPLIED,
                              answering=CustomerMessage(mail.message_id, mail.conversation_key,
                                                        opens_ticket=True))
        if later is None:
            acknowledge()
        else:
            later.append(acknowledge)
    return IntakeResult(new, note, created=True)


def _email_note(ticket: Ticket, contact: Contact, mail: CustomerEmail) -> Note:
    """The email as a note of the timeline, with its attachments and inline images."""
    note = notes.create_note(ticket, NoteKind.CUSTOMER_EMAIL, mail.text, SYSTEM, html=mail.html)
    note.author_contact = contact
    notes.attach(ticket, note, mail.uploads)
    return note
