"""Ticket numbers: sequential, unique and without gaps, also with many concurrent creators.

The counter row is incremented with a single UPDATE inside the creating
transaction. The row lock (PostgreSQL) or the write lock (SQLite, with
BEGIN IMMEDIATE, see app.database) makes concurrent creators queue; a
transaction that rolls back also rolls its increment back, so no number is
lost.
"""
from __future__ import annotations

import re

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models.ticket import TicketCounter

TICKET_COUNTER = "ticket"
NUMBER_DIGITS = 6


# Built once: every new ticket runs it (not building it and its cache key again each time). A
# Core statement on the table: it flushes nothing first and updates no counter object the
# session holds (none is read through it), so the counter row is locked before the caller's
# pending rows are written.
_COUNTER = TicketCounter.__table__
_NEXT_VALUE = update(_COUNTER).where(_COUNTER.c.name == TICKET_COUNTER) \
    .values(value=_COUNTER.c.value + 1).returning(_COUNTER.c.value)


def next_ticket_sequence() -> int:
    """Reserve the next ticket sequence number in the current transaction."""
    value = db.session.execute(_NEXT_VALUE).scalar_one_or_none()
    if value is None:
        _create_counter()
        return next_ticket_sequence()
    return value


def _create_counter() -> None:
    """Insert the counter row (the migration does so; this covers a schema made without it)."""
    try:
        with db.session.begin_nested():
            db.session.add(TicketCounter(name=TICKET_COUNTER, value=0))
    except IntegrityError:
        pass  # another transaction created it first; its row is what we increment


def format_ticket_number(prefix: str, sequence: int) -> str:
    """`TCK-` and 123 give `TCK-000123`; longer numbers keep all their digits."""
    return f"{prefix}{sequence:0{NUMBER_DIGITS}d}"


def subject_token_pattern(prefix: str) -> re.Pattern:
    """Our ticket token in a subject, as mail programs leave it: `[TCK-000123]` in any letter
    case, spaces inside the brackets, a space or no hyphen after the prefix, fewer zeros,
    fullwidth brackets; the digits are its one group. The one reading for threading and titles."""
    letters = re.escape(prefix.rstrip("-_ "))
    return re.compile(r"[\[［【]\s*" + letters + r"\s*[-_]?\s*(\d{1,18})\s*[\]］】]", re.I)
