"""The outbox: every outgoing email is a row written in the transaction of the change that causes it.

Delivery (SMTP or .eml files) is the outbox worker's job; this module only
composes the message, gives it our own Message-ID and its threading headers.
"""
from __future__ import annotations

from email.utils import make_msgid

from flask import current_app
from sqlalchemy import select

from app.extensions import db
from app.mail.compose import header_safe, render_mail
from app.models.mail import OutboxMessage
from app.models.ticket import Ticket

AUTO_REPLIED = "auto-replied"
AUTO_GENERATED = "auto-generated"


def new_message_id() -> str:
    """A fresh Message-ID in the support address's domain."""
    address = current_app.config["SOPORTE_SUPPORT_ADDRESS"]
    return make_msgid(domain=address.rpartition("@")[2] or "localhost")


def conversation_ids(ticket: Ticket, address: str) -> list[str]:
    """Message-IDs we already sent to this address about this ticket, oldest first.

    Threading is per recipient: the customer's thread never points at staff mail.
    """
    pending = [m.message_id for m in db.session.new if isinstance(m, OutboxMessage)
               and m.ticket is ticket and m.to_address == address]
    if ticket.id is None:
        return pending
    with db.session.no_autoflush:  # the pending rows are read above: no flush needed here
        rows = db.session.execute(
            select(OutboxMessage.message_id)
            .where(OutboxMessage.ticket_id == ticket.id, OutboxMessage.to_address == address)
            .order_by(OutboxMessage.id)
        ).scalars()
        return list(rows) + pending


def enqueue_mail(
    kind: str,
    *,
    to_address: str,
    to_name: str = "",
    language: str = "es",
    ticket: Ticket | None = None,
    auto_submitted: str | None = None,
    attachment_ids: list[int] | None = None,
    **context,
) -> OutboxMessage:
    """Compose a mail of the given kind and add it to the outbox (the caller's transaction commits it)."""
    rendered = render_mail(kind, language, ticket=ticket, **context)
    subject = rendered.subject
    if ticket is not None and f"[{ticket.number}]" not in subject:
        subject = f"[{ticket.number}] {subject}"
    to_address = header_safe(to_address)
    thread = conversation_ids(ticket, to_address) if ticket is not None else []
    headers = {"X-Auto-Response-Suppress": "All"}
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
        in_reply_to=thread[-1] if thread else None,
        references=" ".join(thread[-20:]) or None,
        headers=headers,
        attachment_ids=list(attachment_ids or []),
    )
    db.session.add(message)
    return message
