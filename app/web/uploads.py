"""Files a staff form sent (the `files` field), as the services' Upload values; and what to
say when a form comes back without them."""
from __future__ import annotations

from flask import flash, request
from flask_babel import gettext as _

from app.services.notes import Upload


def uploads_from_request(field: str = "files") -> list[Upload]:
    """Every non-empty file of the field, with its name and declared type as sent."""
    return [Upload(f.filename or "", f.stream, f.mimetype) for f in request.files.getlist(field)
            if f and f.filename]


def say_files_not_kept(field: str = "files") -> None:
    """A form shown again after a POST keeps what was typed, but a browser cannot be handed back
    the files it sent: name them, so they are attached again rather than silently lost."""
    names = [f.filename for f in request.files.getlist(field) if f and f.filename]
    if names:
        flash(_("The attached files were not kept: attach them again (%(names)s).",
                names=", ".join(names)), "error")
