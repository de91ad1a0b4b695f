"""Engine settings per database: SQLite gets WAL, a busy timeout and immediate transactions.

SQLite allows one writer at a time. A transaction that reads first and writes
later can deadlock against another writer and fail at once with "database is
locked"; starting every transaction with BEGIN IMMEDIATE makes writers queue
behind the busy timeout instead, which is what keeps ticket numbering correct
with several threads or processes on the embedded default.
"""
from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.engine import Engine

SQLITE_BUSY_TIMEOUT_MS = 30_000


def configure_engine(engine: Engine) -> None:
    """Attach the per-dialect connection settings to an engine (SQLite only for now)."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # pragma: no cover - exercised by every SQLite test
        dbapi_connection.isolation_level = None  # let SQLAlchemy's "begin" event emit BEGIN
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode = WAL")
            # In WAL mode NORMAL cannot corrupt the database; a power cut may undo the last
            # commits, which the poller then takes again (it never relies on server flags).
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def render_migration_item(type_, obj, autogen_context):
    """Alembic autogenerate hook: write project column types as plain SQLAlchemy types.

    Migrations must not import application code, which changes after they are written.
    """
    from app.models.columns import UTCDateTime

    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


# Kept by the full-text migration, outside the models: PostgreSQL's generated tsvector columns
# and SQLite's FTS5 tables (and the shadow tables FTS5 creates for them).
FULL_TEXT_OBJECTS = ("search_vector", "ix_ticket_search_vector", "ix_note_search_vector")


def include_in_autogenerate(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic autogenerate hook: leave the full-text objects alone."""
    if name in FULL_TEXT_OBJECTS:
        return False
    if type_ == "table" and name and (name.endswith("_fts") or "_fts_" in name):
        return False
    return True
