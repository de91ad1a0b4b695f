"""An attachment fetched for download by any adapter (dashboard, API), with its permission check:
the file's row, where its bytes are, and whether it is an image safe to show inline."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models.columns import INTEGER_MAX
from app.models.ticket import Attachment, Ticket
from app.services.attachments import attachment_store
from app.services.errors import NotFound
from app.services.permissions import Actor, Permission, require

# Sniffed types a browser may show in the page; anything else is only ever downloaded.
INLINE_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})


@dataclass(frozen=True)
class Download:
    """An attachment and the file that holds its bytes."""

    attachment: Attachment
    path: Path

    @property
    def image_type(self) -> str | None:
        """The image's type when its content is a known image type (from the bytes, not from
        what the sender declared), else None."""
        sniffed = self.attachment.sniffed_type or ""
        return sniffed if sniffed in INLINE_IMAGE_TYPES else None


def attachment_for_download(actor: Actor, attachment_id: int,
                            ticket: Ticket | None = None) -> Download:
    """The attachment with this id and its stored file; with a ticket, only a file of that
    ticket. Raises NotPermitted without the view permission, NotFound for an id no attachment
    has, a file of another ticket than the one given, or one whose bytes are no longer stored
    (removed from the store by hand, or never restored from a backup)."""
    require(actor, Permission.VIEW)
    item = db.session.get(Attachment, attachment_id) if 1 <= attachment_id <= INTEGER_MAX else None
    if item is None:
        raise NotFound(_l("This file does not exist (any more). Go back to the ticket and choose "
                          "it again."), field="attachment")
    if ticket is not None and item.ticket_id != ticket.id:
        raise NotFound(_l("There is no file %(id)s on the ticket %(number)s.",
                          id=attachment_id, number=ticket.number), field="attachment")
    path = attachment_store().path_for(item.sha256)
    if not path.is_file():
        raise NotFound(_l("This file's contents are no longer stored on the server. Ask an "
                          "administrator to restore it, or ask the sender for it again."),
                       field="attachment")
    return Download(item, path)
