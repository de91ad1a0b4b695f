"""The time a request's text searches of the ticket list may take (issue 15: a million tickets).

A search gathers every ticket and note that matches its words before it can count or sort
them, so its cost follows how many match: a rare word costs milliseconds, a word in most
emails ("correo" in 144,000 of 5,000,000 notes in bench/dashboard.py: 2.6 s a page; a greeting
in every email: longer than the web server waits) holds a web worker and the database for
seconds. A request's searched queries (the list's counts and page, or the sidebar's counts of
saved searches, or the API's page) therefore share SOPORTE_SEARCH_TIME_LIMIT_MS from the first
of them: each block of them may run what is left, the database stops a query past it, nothing
else of the request is lost, and the caller gets SearchTooBroad, which says to add a word or a
filter (a block that finds nothing left is refused without a query). Outside a request (a
script, a test calling the service) each block has the whole limit. 0 turns the limit off.

- PostgreSQL: statement_timeout, set for a savepoint around the block and put back to what it
  was before the savepoint is released (the rest of the transaction keeps its own setting); a
  query it stops rolls back to the savepoint only.
- SQLite: a progress handler on the connection, removed afterwards, interrupts a query past
  the deadline. Pending writes are flushed first: SQLite undoes a whole transaction whose
  write it interrupts.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager

from flask import current_app, has_request_context, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from app.extensions import db
from app.services.errors import ValidationFailed

log = logging.getLogger(__name__)

QUERY_CANCELED = "57014"  # PostgreSQL's SQLSTATE for a statement stopped (by its timeout)
MIN_LEFT_MS = 10  # less left than this: refused without a query (it could not answer anyway)
DEADLINE = "soporte.search_deadline"  # the request's WSGI environ key: its deadline
SQLITE_STEPS = 10_000  # virtual machine steps between two looks at the clock (SQLite)


class SearchTooBroad(ValidationFailed):
    """A search matched too much to be answered within SOPORTE_SEARCH_TIME_LIMIT_MS."""

    code = "search_too_broad"

    def __init__(self, message=None, field: str | None = "q"):
        super().__init__(message or _l(
            "This search matches too many tickets to answer in time. Add another word, or a "
            "filter (client, status, dates), and search again."), field=field)


def time_limit_ms() -> int:
    """SOPORTE_SEARCH_TIME_LIMIT_MS (0: no limit)."""
    return int(current_app.config.get("SOPORTE_SEARCH_TIME_LIMIT_MS", 0) or 0)


@contextmanager
def search_budget(searched: bool) -> Iterator[None]:
    """Run the block's queries within what is left of the request's search time (nothing when
    not `searched` or no limit is set). Raises SearchTooBroad when none is left or the
    database stopped one of them."""
    limit = time_limit_ms()
    if not searched or limit <= 0:
        yield
        return
    deadline = _deadline(limit)
    left_ms = int((deadline - time.monotonic()) * 1000)
    if left_ms < MIN_LEFT_MS:
        raise SearchTooBroad()
    started = time.monotonic()
    try:
        if db.session.get_bind().dialect.name == "postgresql":
            with _postgresql_budget(left_ms):
                yield
        else:
            with _sqlite_budget(deadline):
                yield
    except SearchTooBroad:
        log.warning("a text search was stopped after %.0f ms (SOPORTE_SEARCH_TIME_LIMIT_MS %s)",
                    (time.monotonic() - started) * 1000, limit)
        raise


def _deadline(limit: int) -> float:
    """When the request's search time ends (monotonic seconds): set by its first search and
    kept in the request's own environ (an application context, and its `g`, may outlive one
    request)."""
    if not has_request_context():
        return time.monotonic() + limit / 1000
    return request.environ.setdefault(DEADLINE, time.monotonic() + limit / 1000)


@contextmanager
def _postgresql_budget(left_ms: int) -> Iterator[None]:
    savepoint = db.session.begin_nested()
    try:
        previous = db.session.scalar(select(func.current_setting("statement_timeout")))
        db.session.execute(select(func.set_config("statement_timeout", str(left_ms), True)))
        yield
        db.session.execute(select(func.set_config("statement_timeout", previous, True)))
    except OperationalError as error:
        savepoint.rollback()  # the block's setting goes with it
        if getattr(error.orig, "sqlstate", None) == QUERY_CANCELED:
            raise SearchTooBroad() from None
        raise
    except BaseException:
        savepoint.rollback()
        raise
    savepoint.commit()


@contextmanager
def _sqlite_budget(deadline: float) -> Iterator[None]:
    db.session.flush()
    connection = db.session.connection().connection.driver_connection
    connection.set_progress_handler(lambda: time.monotonic() > deadline, SQLITE_STEPS)
    try:
        yield
    except OperationalError as error:
        if "interrupted" in str(error.orig):
            raise SearchTooBroad() from None
        raise
    finally:
        try:
            connection.set_progress_handler(None, 0)
        except Exception:  # a connection gone bad: the error in hand is the one to report
            log.exception("the search's progress handler could not be removed")
