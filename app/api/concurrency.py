"""Optimistic concurrency for the API: a ticket's ETag is its version (lock_version), a write
sent with `If-Match` is made only if the ticket is still that version, and of two writes sent
with the same version exactly one is made.

`ticket_for_write` reads the ticket for a write and checks `If-Match` (412 for another version,
428 where the header is required and missing). `written` runs the write: its ticket row is
always updated (so the version moves and the ETag changes, even for a note), and the update is
made only where the row still has the version that was read, so a concurrent writer that read
the same version fails its update and gets 412 with nothing saved.
"""
from __future__ import annotations

import re
from typing import Callable, TypeVar

from flask import abort, request
from sqlalchemy.orm.exc import StaleDataError

from app.extensions import db
from app.models.ticket import Ticket
from app.models.user import User
from app.services import clock
from app.services.errors import Conflict
from app.services.ticket_view import ticket_by_number
from app.web.errors import CHANGED_MEANWHILE

T = TypeVar("T")
_ETAG = re.compile(r'\s*(?:W/)?"([0-9]{1,10})"\s*')
ETAG_HEADER = {"ETag": {"description": "the ticket's version after the change, for the next "
                                       "If-Match", "schema": {"type": "string"}}}
IF_MATCH_PARAMETER = {"name": "If-Match", "in": "header", "schema": {"type": "string"},
                      "description": "the ticket's ETag as last read: the change is made only "
                                     "if the ticket is still that version (else 412)"}


def etag(ticket: Ticket) -> str:
    """The ticket's ETag: its version, quoted."""
    return f'"{ticket.lock_version}"'


def expected_version(required: bool) -> int | None:
    """The version `If-Match` names; None without the header (or for "*", any version).
    Aborts 428 when it is required and missing, 412 when it names no version of a ticket."""
    header = request.headers.get("If-Match")
    if header is None or not header.strip():
        if required:
            abort(428)
        return None
    if header.strip() == "*":
        return None
    versions = [_ETAG.fullmatch(part) for part in header.split(",")]
    if not all(versions):
        abort(412)
    if len(versions) != 1:  # the API gives one ETag at a time: a list is not a version read
        abort(412)
    return int(versions[0].group(1))


def ticket_for_write(user: User, number: str, *, if_match_required: bool = False) -> Ticket:
    """The ticket with this number, checked against `If-Match` (412 for another version)."""
    wanted = expected_version(if_match_required)
    ticket = ticket_by_number(user, number)
    if wanted is not None and wanted != ticket.lock_version:
        abort(412)
    return ticket


def written(ticket: Ticket, write: Callable[[], T]) -> T:
    """Run one write of the ticket and commit it; the ticket's version moves. A concurrent
    writer's change since the ticket was read (the service's Conflict, or the versioned
    update matching no row) answers 412 when the caller sent If-Match, else 409; nothing of
    this write is saved either way."""
    try:
        result = write()
        ticket.updated_at = clock.now()  # the row is updated, so its version moves
        db.session.flush()
    except (Conflict, StaleDataError) as error:
        db.session.rollback()
        if request.headers.get("If-Match"):
            abort(412)
        if isinstance(error, Conflict):
            raise
        raise Conflict(CHANGED_MEANWHILE) from None
    db.session.commit()
    return result
