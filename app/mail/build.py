"""Turn an outbox row into a MIME message: text and HTML, attachments, and our headers."""
from __future__ import annotations

from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate

from flask import current_app
from sqlalchemy import select

from app.extensions import db
from app.mail.compose import header_safe
from app.models.mail import OutboxMessage
from app.models.ticket import Attachment
from app.services.attachments import attachment_store
from app.services.branding import current_brand, inline_logo


def build_message(row: OutboxMessage) -> EmailMessage:
    """The email for an outbox row, with From (the company's name as its administrator set it,
    else SOPORTE_SUPPORT_NAME), threading and loop-prevention headers."""
    config = current_app.config
    message = EmailMessage()
    message["From"] = Address(header_safe(current_brand().name),
                              addr_spec=config["SOPORTE_SUPPORT_ADDRESS"])
    message["To"] = Address(header_safe(row.to_name), addr_spec=header_safe(row.to_address)) \
        if row.to_name else header_safe(row.to_address)
    message["Subject"] = header_safe(row.subject)
    message["Date"] = formatdate(row.created_at.timestamp(), localtime=False)
    message["Message-ID"] = row.message_id
    if row.in_reply_to:
        message["In-Reply-To"] = row.in_reply_to
    if row.references:
        message["References"] = row.references
    for name, value in (row.headers or {}).items():
        message[name] = header_safe(value)
    message["X-Soporte-Loop"] = config["SOPORTE_SUPPORT_ADDRESS"]  # our mail coming back is a loop
    message.set_content(row.body_text)
    if row.body_html:
        message.add_alternative(row.body_html, subtype="html")
        _add_inline_logo(message, row.body_html)
    if row.attachment_ids:
        store = attachment_store()
        attachments = db.session.scalars(select(Attachment).where(
            Attachment.id.in_(row.attachment_ids)).order_by(Attachment.id))
        for attachment in attachments:
            maintype, _, subtype = (attachment.declared_type or "application/octet-stream") \
                .partition("/")
            with store.open(attachment.sha256) as fp:
                message.add_attachment(fp.read(), maintype=maintype or "application",
                                       subtype=subtype or "octet-stream",
                                       filename=attachment.filename)
    return message


def _add_inline_logo(message: EmailMessage, html: str) -> None:
    """The company's logo inside the message, next to the HTML that shows it by Content-ID
    (multipart/related): mail programs show it without loading remote content
    (app.services.branding.inline_logo)."""
    logo = inline_logo(html)
    if logo is None:
        return
    cid, data, subtype = logo
    message.get_body(("html",)).add_related(data, maintype="image", subtype=subtype,
                                            cid=f"<{cid}>", disposition="inline")
