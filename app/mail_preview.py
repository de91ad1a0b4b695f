"""A stored inbound message read for display (the triage page): its text, sanitized like a
ticket's notes (app.received_mail), and its attachments by name and size.

The raw source is the file the mail poller kept (app.storage.raw_mail_store: SOPORTE_MAIL_DIR/raw,
by SHA-256); the app does not import the poller, so it reads that file itself with the stdlib
`email` package. Reading is bounded (at most READ_MAX bytes of the source, TEXT_MAX characters
of text, ATTACHMENTS_MAX names) and never raises: a message that cannot be read comes back with
its error, for the page to say so.
"""
from __future__ import annotations

import email
import email.policy
from dataclasses import dataclass, field
from pathlib import Path

from flask_babel import gettext
from markupsafe import Markup

from app.received_mail import safe_html
from app.storage import raw_mail_store

READ_MAX = 256 * 1024  # bytes of the raw source read per message (the page lists up to 200)
TEXT_MAX = 5000  # characters of text shown
ATTACHMENTS_MAX = 50
PARTS_MAX = 200  # MIME parts walked: a message of thousands of parts is not read to the end


@dataclass(frozen=True)
class Attachment:
    """An attachment as listed: its file name and its decoded size in bytes."""

    name: str
    size: int


@dataclass(frozen=True)
class MessagePreview:
    """What the page shows of a message: its plain text, or (with no plain part) its sanitized
    HTML; its attachments; whether only its start was read; or the error that stopped reading."""

    text: str = ""
    html: Markup = Markup("")
    attachments: list[Attachment] = field(default_factory=list)
    truncated: bool = False
    error: str | None = None


def raw_path(sha256: str | None) -> Path | None:
    """Where the poller kept a message's raw source (None when it kept none)."""
    if not sha256:
        return None
    return raw_mail_store().path_for(sha256)


def preview(path: Path | None) -> MessagePreview:
    """The message stored at `path`, read for display; never raises (the error is returned)."""
    try:
        if path is None:
            return MessagePreview(error=gettext("its source was not stored"))
        with open(path, "rb") as source:
            raw = source.read(READ_MAX + 1)
        return _read(raw[:READ_MAX], truncated=len(raw) > READ_MAX)
    except Exception as error:  # any unreadable file or message: the page says so, never fails
        return MessagePreview(error=f"{type(error).__name__}: {error}"[:300])


def _read(raw: bytes, truncated: bool) -> MessagePreview:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    text = html = None
    attachments: list[Attachment] = []
    for index, part in enumerate(message.walk()):
        if index >= PARTS_MAX:
            truncated = True
            break
        if part.is_multipart():
            continue
        if part.get_content_disposition() == "attachment" or part.get_filename():
            if len(attachments) < ATTACHMENTS_MAX:
                payload = part.get_payload(decode=True) or b""
                attachments.append(Attachment(part.get_filename() or "", len(payload)))
            continue
        if part.get_content_type() == "text/plain" and text is None:
            text = _decoded(part)
        elif part.get_content_type() == "text/html" and html is None:
            html = _decoded(part)
    if text is not None:
        return MessagePreview(text=_clipped(text), attachments=attachments, truncated=truncated)
    shown = Markup(safe_html(_clipped(html or ""), lambda content_id: None))
    return MessagePreview(html=shown, attachments=attachments, truncated=truncated)


def _decoded(part) -> str:
    """A text part's content; an unknown or wrong charset is read as UTF-8 with replacements."""
    try:
        return part.get_content()
    except (LookupError, UnicodeError):
        return (part.get_payload(decode=True) or b"").decode("utf-8", "replace")


def _clipped(text: str) -> str:
    return text if len(text) <= TEXT_MAX else text[:TEXT_MAX] + " …"
