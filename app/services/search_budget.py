"""The time a text search of the ticket list may take (issue 15: a million tickets).

A search gathers every ticket and note that matches its words before it can count or sort
them, so its cost follows how many match: a rare word costs milliseconds, a word in most
emails ("correo" in 144,000 of 5,000,000 notes in bench/dashboard.py: 2.6 s a page; a greeting
in every email: longer than the web server waits) holds a web worker and the database for
seconds. Each searched query may therefore run SOPORTE_SEARCH_TIME_LIMIT_MS; past it the
database stops it, nothing else of the request is lost, and the list answers SearchTooBroad,
which says to add a word or a filter. 0 turns the limit off.

- PostgreSQL: statement_timeout, set for a savepoint around the searched queries and set back
  before it is released (the rest of the transaction keeps the server's own setting); a query
  it stops rolls back to the savepoint only.
- SQLite: a progress handler on the connection, removed afterwards, interrupts a query past
  the time (a read: the transaction stays as it was).
"""
from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError

from app.extensions import db
from app.services.errors import ValidationFailed

QUERY_CANCELED = "57014"  # PostgreSQL's SQLSTATE for a statement stopped by its timeout
SQLITE_STEPS = 10_000  # virtual machine steps between two looks at the clock (SQLite)


class SearchTooBroad(ValidationFailed):
    """A search matched too much to be answered within SOPORTE_SEARCH_TIME_LIMIT_MS."""

    def __init__(self):
        super().__init__(_l("This search matches too many tickets to answer in time. Add another "
                            "word, or a filter (client, status, dates), and search again."),
                         field="q")


def time_limit_ms() -> int:
    """SOPORTE_SEARCH_TIME_LIMIT_MS (0: no limit)."""
    return int(current_app.config.get("SOPORTE_SEARCH_TIME_LIMIT_MS", 0) or 0)


@contextmanager
def search_budget(searched: bool) -> Iterator[None]:
    """Run the block's queries within the search's time (nothing when not `searched` or no
    limit is set). Raises SearchTooBroad when the database stopped one of them."""
    limit = time_limit_ms()
    if not searched or limit <= 0:
        yield
        return
    if db.session.get_bind().dialect.name == "postgresql":
        with _postgresql_budget(limit):
            yield
    else:
        with _sqlite_budget(limit):
            yield


@contextmanager
def _postgresql_budget(limit: int) -> Iterator[None]:
    savepoint = db.session.begin_nested()
    try:
        db.session.execute(select(func.set_config("statement_timeout", str(limit), True)))
        yield
        db.session.execute(text("SET LOCAL statement_timeout TO DEFAULT"))
    except OperationalError as error:
        savepoint.rollback()  # the timeout's setting goes with it
        if getattr(error.orig, "sqlstate", None) == QUERY_CANCELED:
            raise SearchTooBroad() from None
        raise
    except BaseException:
        savepoint.rollback()
        raise
    savepoint.commit()


@contextmanager
def _sqlite_budget(limit: int) -> Iterator[None]:
    connection = db.session.connection().connection.driver_connection
    deadline = time.monotonic() + limit / 1000
    connection.set_progress_handler(lambda: time.monotonic() > deadline, SQLITE_STEPS)
    try:
        yield
    except OperationalError as error:
        if "interrupted" in str(error.orig):
            raise SearchTooBroad() from None
        raise
    finally:
        connection.set_progress_handler(None, 0)
