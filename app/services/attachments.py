"""Attachment storage: files kept on disk under their SHA-256, never under the name they came with.

The original name is cleaned (no folders, no control or bidi characters) and
kept only as metadata; the declared and the sniffed content type are both kept.
"""
from __future__ import annotations

import re
import unicodedata
from typing import BinaryIO

import filetype
from flask import current_app
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models.ticket import Attachment, Note, Ticket
from app.services.errors import ValidationFailed
from app.storage import BlobStore, StoredBlob, TooLarge

_BIDI_AND_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
MAX_NAME_LENGTH = 200


def clean_filename(name: str | None) -> str:
    """A display-safe file name: last path segment only, no control/bidi characters, bounded length."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = _BIDI_AND_INVISIBLE.sub("", name)
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip(" .")
    if not name:
        return "attachment"
    if len(name) > MAX_NAME_LENGTH:
        stem, dot, ext = name.rpartition(".")
        ext = ext[:20] if dot else ""
        name = (stem or name)[: MAX_NAME_LENGTH - len(ext) - 1] + (("." + ext) if ext else "")
    return name


def check_count(count: int) -> None:
    """A person attaches at most SOPORTE_ATTACHMENT_MAX_COUNT files to one ticket, note or reply
    (mail from customers is not limited here: its size limit is the poller's).

    Raises ValidationFailed naming the maximum.
    """
    limit = current_app.config["SOPORTE_ATTACHMENT_MAX_COUNT"]
    if count > limit:
        raise ValidationFailed(
            _l("Attach at most %(limit)s files at a time (you chose %(count)s). Choose the files "
               "again and send the rest in another note.", limit=limit, count=count),
            field="attachments")


def attachment_store() -> BlobStore:
    """The store under SOPORTE_ATTACHMENT_DIR."""
    return BlobStore(current_app.config["SOPORTE_ATTACHMENT_DIR"])


def store_file(
    ticket: Ticket,
    filename: str | None,
    content: BinaryIO | StoredBlob,
    declared_type: str | None = None,
    note: Note | None = None,
    content_id: str | None = None,
    inline: bool = False,
) -> Attachment:
    """Write the stream to storage (streamed, size-limited), or take a blob already written
    there, and add its Attachment row.

    Raises ValidationFailed when the file is larger than SOPORTE_ATTACHMENT_MAX_BYTES.
    """
    limit = current_app.config["SOPORTE_ATTACHMENT_MAX_BYTES"]
    try:
        if isinstance(content, StoredBlob):
            if not attachment_store().path_for(content.sha256).is_file():
                raise ValueError(f"blob {content.sha256} is not in the attachment store")
            if content.size > limit:
                raise TooLarge(content.size)
            blob = content
        else:
            blob = attachment_store().put_stream(content, limit)
    except TooLarge:
        raise ValidationFailed(
            _l("The file %(name)s is larger than the limit of %(mb)s MB.",
               name=clean_filename(filename), mb=limit // (1024 * 1024)),
            field="attachments",
        ) from None
    kind = filetype.guess(blob.head)
    attachment = Attachment(
        ticket=ticket,
        note=note,
        filename=clean_filename(filename),
        declared_type=(declared_type or "application/octet-stream")[:255],
        sniffed_type=kind.mime if kind else None,
        size=blob.size,
        sha256=blob.sha256,
        content_id=content_id,
        inline=inline,
    )
    db.session.add(attachment)
    return attachment
