"""Health endpoints for load balancers and orchestrators: no sign-in, no cookie, no secrets.

`/healthz`: the process is up and answering (nothing else is checked).
`/readyz`: the database answers (`SELECT 1`) and its schema is at the code's migration head;
200 `{"status": "ready", …}`, else 503 `{"status": "not ready", "problem": …}` saying what to
do. The exception's own text is logged, never answered: a driver's message may name hosts or
users.
"""
from __future__ import annotations

import functools
import logging

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Blueprint, current_app
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import csrf, db, limiter

log = logging.getLogger(__name__)

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """The process is up."""
    return {"status": "ok"}


@bp.get("/readyz")
def readyz():
    """Ready to serve: the database answers and needs no migration; 503 naming the problem."""
    expected = code_heads(current_app.extensions["migrate"].directory)
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            current = set(MigrationContext.configure(connection).get_current_heads())
    except SQLAlchemyError:
        log.exception("readiness: the database does not answer")
        return _not_ready("database unreachable")
    if current != expected:
        return _not_ready(f"schema at revision {_names(current)}, code expects "
                          f"{_names(expected)}: run `flask db upgrade`")
    return {"status": "ready", "database": "ok", "revision": _names(current)}


def _not_ready(problem: str):
    """The 503 answer: what is wrong and what to do."""
    return {"status": "not ready", "problem": problem}, 503


def _names(revisions) -> str:
    """Revisions as one readable value ("none" for an empty, unmigrated database)."""
    return ", ".join(sorted(revisions)) or "none"


@functools.cache
def code_heads(directory: str) -> frozenset[str]:
    """The head revision(s) of the migrations shipped with the code (read once per process)."""
    return frozenset(ScriptDirectory(directory).get_heads())


# Probes come every few seconds from the infrastructure, not from a browser or an API client.
for _view in (healthz, readyz):
    csrf.exempt(_view)
    limiter.exempt(_view)
