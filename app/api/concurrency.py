"""Optimistic concurrency for the API: a ticket's ETag is its version (lock_version), a write
sent with `If-Match` is made only if the ticket is still that version, and of two writes sent
with the same version exactly one is made.

`ticket_for_write` reads the ticket for a write and locks its row until the write commits
(PostgreSQL: FOR NO KEY UPDATE, the lock an UPDATE takes; SQLite: every transaction is already
the only writer, app.database), so writers of one ticket take turns and each sees the one
before it. It then answers what the request would get without `If-Match` first (404, and the
action's own check: 403, 409; RFC 9110 §13.2.1), then checks `If-Match` (428 where required and
missing, 412 for another version). `written` runs the write: the ticket's row is updated once
(so the version moves by one and the ETag changes, even for a note), with the version that was
read in the UPDATE's WHERE as a second guard (a writer that did not lock, such as the
dashboard, made meanwhile: 412 when the caller sent If-Match, else 409); nothing of a refused
write is saved.
"""
from __future__ import annotations

import re
from typing import Callable, TypeVar

from flask import abort, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import literal
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm.exc import StaleDataError

from app.extensions import db
from app.models.columns import UTCDateTime
from app.models.ticket import Ticket
from app.models.user import User
from app.services import clock
from app.services.errors import Conflict, NotFound, ValidationFailed
from app.services.ticket_view import ticket_by_number
from app.web.errors import CHANGED_MEANWHILE

T = TypeVar("T")
_ETAG = re.compile(r'\s*(?:W/)?"([0-9]{1,10})"\s*')
_NUMBER = re.compile(r"[A-Za-z0-9_-]{1,32}")
# PostgreSQL's answers to two transactions that could not both go ahead (serialization
# failure, deadlock): the same as a version that moved.
_CONCURRENT_SQLSTATES = frozenset({"40001", "40P01"})
ETAG_HEADER = {"ETag": {"description": "the ticket's version after the change, for the next "
                                       "If-Match", "schema": {"type": "string"}}}
IF_MATCH_PARAMETER = {"name": "If-Match", "in": "header", "schema": {"type": "string"},
                      "description": "the ticket's ETag as last read: the change is made only "
                                     "if the ticket is still that version (else 412)"}
IF_MATCH_REQUIRED = {**IF_MATCH_PARAMETER, "required": True,
                     "description": "the ticket's ETag as last read (required: 428 without "
                                    "it): the change is made only if the ticket is still that "
                                    "version (else 412)"}

BAD_IF_MATCH = _l("Send in If-Match the ticket's ETag exactly as the API gave it, quotes "
                  "included, for example \"3\".")

Check = Callable[[User, Ticket], object]


def etag(ticket: Ticket) -> str:
    """The ticket's ETag: its version, quoted."""
    return f'"{ticket.lock_version}"'


def ticket_named(user: User, number: str) -> Ticket:
    """The ticket an address names. Raises NotPermitted without the view permission, NotFound
    for a number no ticket has (one that cannot be a ticket number, such as NUL or 300
    characters, is not looked up)."""
    if not _NUMBER.fullmatch(number):
        raise NotFound(_l("There is no ticket %(number)s.", number=number[:40]), field="number")
    return ticket_by_number(user, number)


def expected_versions(required: bool) -> frozenset[int] | None:
    """The versions `If-Match` names (one ETag, or a list of them: any may match); None without
    the header (or for "*", any version). Aborts 428 when it is required and missing;
    ValidationFailed (If-Match) when it holds something that is not an ETag the API gives."""
    header = request.headers.get("If-Match")
    if header is None or not header.strip():
        if required:
            abort(428)
        return None
    if header.strip() == "*":
        return None
    versions = [_ETAG.fullmatch(part) for part in header.split(",")]
    if not all(versions):
        raise ValidationFailed(BAD_IF_MATCH, field="If-Match")
    return frozenset(int(version.group(1)) for version in versions)


def ticket_for_write(user: User, number: str, *, if_match_required: bool = False,
                     check: Check | None = None) -> Ticket:
    """The ticket with this number, locked for this request's write, refused by the action's
    `check(user, ticket)` (its DomainError), then checked against `If-Match` (428 when required
    and missing, 412 for another version). Nothing is kept locked when it is refused."""
    ticket = ticket_named(user, number)
    try:
        db.session.refresh(ticket, with_for_update={"key_share": True})
        if check is not None:
            check(user, ticket)
        wanted = expected_versions(if_match_required)
        if wanted is not None and ticket.lock_version not in wanted:
            abort(412)
    except BaseException:
        db.session.rollback()
        raise
    return ticket


def written(ticket: Ticket, write: Callable[[], T]) -> T:
    """Run one write of the ticket and commit it; the ticket's version moves. A concurrent
    writer's change since the ticket was read (the service's Conflict with code "conflict",
    the versioned update matching no row, a deadlock) answers 412 when the caller sent
    If-Match, else 409. Any other refusal (a DomainError) is raised as it is. Nothing of this
    write is saved unless it succeeds."""
    try:
        read_version = ticket.lock_version
        result = write()
        db.session.flush()
        if ticket.lock_version == read_version:  # the write left the ticket's row as it was
            # an expression, not a value: the row is updated (and its version moves by one)
            # even when the clock shows the moment it was last written (a fixed clock in tests)
            ticket.updated_at = literal(clock.now(), UTCDateTime())
            db.session.flush()
        db.session.commit()
    except BaseException as error:
        db.session.rollback()
        if not _changed_meanwhile(error):
            raise
        if request.headers.get("If-Match"):
            abort(412)
        if isinstance(error, Conflict):
            raise
        raise Conflict(CHANGED_MEANWHILE) from None
    return result


def _changed_meanwhile(error: BaseException) -> bool:
    """Whether the error says another writer changed the ticket first (and not another
    conflict, such as the reply guard's customer_wrote_again)."""
    if isinstance(error, StaleDataError):
        return True
    if isinstance(error, Conflict):
        return error.code == Conflict.code
    if isinstance(error, DBAPIError):
        return getattr(error.orig, "sqlstate", None) in _CONCURRENT_SQLSTATES
    return False
