"""The outbox: every outgoing email is a row written in the transaction of the change causing it.

Delivery (SMTP or .eml files) is the outbox worker's job; this module only
composes the message, gives it our own Message-ID and its threading headers: mail to a
customer answers the customer's latest message on the ticket (In-Reply-To), names the
conversation before it (References) and continues their Outlook conversation (Thread-Index),
so the customer's mail program shows one conversation.
"""
from __future__ import annotations

import base64
import datetime as dt
import secrets
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import func, or_, select, update

from app.extensions import db
from app.mail.compose import header_safe, render_mail
from app.models.columns import utcnow
from app.models.enums import InboundOutcome, OutboxStatus
from app.models.mail import InboundMessage, OutboxMessage
from app.models.ticket import Ticket

AUTO_REPLIED = "auto-replied"
AUTO_GENERATED = "auto-generated"
MAX_REFERENCES = 20


@dataclass(frozen=True)
class CustomerMessage:
    """The customer's email a mail answers, when it is not recorded yet (the acknowledgement is
    written in the transaction that records it)."""

    message_id: str | None
    conversation_key: str | None = None  # hex of the first 22 bytes of Outlook's Thread-Index
    # True when this message opened the ticket, in this transaction, and nothing was mailed to
    # its sender about it before: no stored mail of either side to read (saves two queries)
    opens_ticket: bool = False


@dataclass(frozen=True)
class Conversation:
    """The threading headers of one outgoing mail."""

    in_reply_to: str | None
    references: list[str]
    thread_index: str | None  # base64, for Outlook


def new_message_id() -> str:
    """A fresh Message-ID in the support address's domain: 128 random bits from the operating
    system (secrets). Not make_msgid's: its random part comes from the `random` module, whose
    state a seeded or forked process shares with another (two replies got the same id), and
    its length (over 78 characters) gets a bare id folded by mail programs that quote it."""
    address = current_app.config["SOPORTE_SUPPORT_ADDRESS"]
    return f"<{secrets.token_hex(16)}@{address.rpartition('@')[2] or 'localhost'}>"


def conversation(ticket: Ticket, address: str,
                 answering: CustomerMessage | None = None) -> Conversation:
    """The threading headers of mail to this address about this ticket.

    It answers the latest message of that customer on the ticket (or, when the customer wrote
    none, our last mail to them); References lists the earlier mail of both sides, oldest first,
    ending with the answered message. Threading is per recipient: the customer's thread never
    points at staff mail.
    """
    now = utcnow()
    stored = ticket.id is not None and not (answering is not None and answering.opens_ticket)
    ours, theirs, key = _our_mail(ticket, address, now, stored), [], None
    if stored:
        for row in _their_mail(ticket, address):
            if row.message_id:
                theirs.append((row.received_at, row.message_id))
            key = row.thread_index or key
    if answering is not None:
        if answering.message_id:
            theirs.append((now, answering.message_id))
        key = answering.conversation_key or key
    answered = theirs[-1][1] if theirs else (ours[-1][1] if ours else None)
    # A message we answered came before our answer, also when both were stored in one
    # transaction (an acknowledgement's row is written before the email's record).
    answered_at = {}
    for created_at, _mid, in_reply_to in ours:
        answered_at[in_reply_to] = min(created_at, answered_at.get(in_reply_to, created_at))
    timeline = [(created_at, 1, mid) for created_at, mid, _ in ours] + \
        [(min(at, answered_at.get(mid, at)), 0, mid) for at, mid in theirs]
    earlier = [mid for _, _, mid in sorted(timeline, key=lambda entry: entry[:2])
               if mid != answered]
    references = list(dict.fromkeys(earlier))[-(MAX_REFERENCES - 1):] + \
        ([answered] if answered else [])
    return Conversation(answered, references, _thread_index(key))


def _our_mail(ticket: Ticket, address: str, now, stored: bool = True) -> list[tuple]:
    """(created_at, Message-ID, In-Reply-To) of our mail to this address on the ticket, pending
    rows of this transaction included, in the order written; only those when nothing of it
    can be stored yet (`stored` False)."""
    pending = [(m.created_at or now, m.message_id, m.in_reply_to) for m in db.session.new
               if isinstance(m, OutboxMessage) and m.ticket is ticket and m.to_address == address]
    if not stored:
        return pending
    with db.session.no_autoflush:  # the pending rows are read above: no flush needed here
        return list(db.session.execute(
            select(OutboxMessage.created_at, OutboxMessage.message_id, OutboxMessage.in_reply_to)
            .where(OutboxMessage.ticket_id == ticket.id, OutboxMessage.to_address == address)
            .order_by(OutboxMessage.id))) + pending


def _their_mail(ticket: Ticket, address: str) -> list:
    """The emails this address wrote on the ticket (tickets and notes), oldest first."""
    with db.session.no_autoflush:
        return list(db.session.execute(
            select(InboundMessage.received_at, InboundMessage.message_id,
                   InboundMessage.thread_index)
            .where(InboundMessage.ticket_id == ticket.id,
                   InboundMessage.from_address == func.lower(address),
                   InboundMessage.outcome.in_([InboundOutcome.TICKET, InboundOutcome.NOTE]))
            .order_by(InboundMessage.id)))


def _thread_index(key: str | None) -> str | None:
    """An Outlook Thread-Index that continues the conversation with this key (22 bytes, hex)."""
    try:
        raw = bytes.fromhex(key or "")
    except ValueError:
        return None
    return base64.b64encode(raw).decode("ascii") if len(raw) == 22 else None


def enqueue_mail(
    kind: str,
    *,
    to_address: str,
    to_name: str = "",
    language: str = "es",
    ticket: Ticket | None = None,
    auto_submitted: str | None = None,
    attachment_ids: list[int] | None = None,
    answering: CustomerMessage | None = None,
    **context,
) -> OutboxMessage:
    """Compose a mail of the given kind and add it to the outbox (the caller's transaction commits
    it); `answering` names the customer's message when it is not recorded yet."""
    rendered = render_mail(kind, language, ticket=ticket, **context)
    subject = rendered.subject
    if ticket is not None and f"[{ticket.number}]" not in subject:
        subject = f"[{ticket.number}] {subject}"
    to_address = header_safe(to_address)
    thread = conversation(ticket, to_address, answering) if ticket is not None \
        else Conversation(None, [], None)
    headers = {"X-Auto-Response-Suppress": "All"}
    if thread.thread_index:
        headers["Thread-Index"] = thread.thread_index
    if auto_submitted:
        headers["Auto-Submitted"] = auto_submitted
    message = OutboxMessage(
        ticket=ticket,
        kind=kind,
        to_address=to_address,
        to_name=header_safe(to_name),
        subject=header_safe(subject),
        body_text=rendered.text,
        body_html=rendered.html,
        message_id=new_message_id(),
        in_reply_to=thread.in_reply_to,
        references=" ".join(thread.references) or None,
        headers=headers,
        attachment_ids=list(attachment_ids or []),
    )
    db.session.add(message)
    return message


PRUNE_CHUNK = 1000  # sent messages emptied per statement


def prune_sent_bodies(now=None) -> int:
    """Empty the bodies of up to PRUNE_CHUNK messages sent more than SOPORTE_OUTBOX_KEEP_DAYS
    ago (0: never), keeping each row's Message-ID, In-Reply-To and References, which thread the
    customer's replies and our next mail; failed and pending mail keep everything. Returns how
    many were emptied: the caller commits and calls again until none is left, so no transaction
    holds more than one chunk."""
    days = current_app.config.get("SOPORTE_OUTBOX_KEEP_DAYS", 0)
    if days <= 0:
        return 0
    cutoff = (now or utcnow()) - dt.timedelta(days=days)
    ids = list(db.session.scalars(select(OutboxMessage.id).where(
        OutboxMessage.status == OutboxStatus.SENT, OutboxMessage.sent_at < cutoff,
        or_(OutboxMessage.body_text != "", OutboxMessage.body_html.is_not(None)))
        .order_by(OutboxMessage.id).limit(PRUNE_CHUNK)))
    if ids:
        db.session.execute(update(OutboxMessage).where(OutboxMessage.id.in_(ids)).values(
            body_text="", body_html=None, attachment_ids=[]), execution_options={
                "synchronize_session": False})
    return len(ids)
