"""Files a staff form sent (the `files` field), as the services' Upload values."""
from __future__ import annotations

from flask import request

from app.services.notes import Upload


def uploads_from_request(field: str = "files") -> list[Upload]:
    """Every non-empty file of the field, with its name and declared type as sent."""
    return [Upload(f.filename or "", f.stream, f.mimetype) for f in request.files.getlist(field)
            if f and f.filename]
