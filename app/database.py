"""Engine settings per database: text every database can store; SQLite gets WAL, a busy
timeout and immediate transactions.

Text: PostgreSQL cannot store NUL in text, and neither database can store a lone surrogate
(Python's escape for an undecodable byte) in UTF-8, yet both can reach us from mail headers,
bodies, file names and form fields. Every string bound to every statement therefore has them
replaced with U+FFFD, the replacement character, here and only here, on both databases, so
the same value is stored the same way on both and a search for it (LIKE patterns included)
matches what was stored. Bytes are left alone; JSON is bound as its serialized text, so its
strings are covered too. Objects already in a session keep the original value until reloaded.

Forks: a forked child starts with an empty pool, so it never uses, nor closes, a connection
of its parent's.

SQLite allows one writer at a time. A transaction that reads first and writes
later can deadlock against another writer and fail at once with "database is
locked"; starting every transaction with BEGIN IMMEDIATE makes writers queue
behind the busy timeout instead, which is what keeps ticket numbering correct
with several threads or processes on the embedded default.
"""
from __future__ import annotations

import os
import re
import weakref
from collections.abc import Mapping

from sqlalchemy import event
from sqlalchemy.engine import Engine

SQLITE_BUSY_TIMEOUT_MS = 30_000

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")  # NUL; surrogates (UTF-8 cannot encode them)
REPLACEMENT = "\ufffd"


def storable_text(value: str) -> str:
    """The text as every database stores it: NUL and lone surrogates become U+FFFD."""
    return _UNSTORABLE.sub(REPLACEMENT, value) if _UNSTORABLE.search(value) else value


def _storable(value):
    return storable_text(value) if isinstance(value, str) else value


def _storable_row(row):
    """One set of bound parameters (a dict, or a tuple/list for positional drivers)."""
    if isinstance(row, Mapping):
        if any(isinstance(v, str) and _UNSTORABLE.search(v) for v in row.values()):
            return {k: _storable(v) for k, v in row.items()}
        return row
    if isinstance(row, (tuple, list)):
        if any(isinstance(v, str) and _UNSTORABLE.search(v) for v in row):
            return type(row)(_storable(v) for v in row)
    return row


def _storable_parameters(conn, cursor, statement, parameters, context, executemany):
    """before_cursor_execute: rewrite the strings about to be bound (see the module doc).

    Judged by shape, not by `executemany`: SQLAlchemy's "insertmanyvalues" batches pass one
    flat set of parameters with executemany=True."""
    if isinstance(parameters, (list, tuple)) and parameters and all(
            isinstance(row, (Mapping, list, tuple)) for row in parameters):
        return statement, type(parameters)(_storable_row(row) for row in parameters)
    return statement, _storable_row(parameters)


def _forget_connections_in_forked_children(engine: Engine) -> None:
    """A forked child (the poller's read-ahead process) must never use, nor close, the
    parent's connections: its pool starts empty (dispose(close=False) leaves the parent's
    sessions alone). Held weakly, so an engine thrown away is not kept alive by the hook."""
    engine_ref = weakref.ref(engine)

    def forget() -> None:
        engine = engine_ref()
        if engine is not None:
            engine.dispose(close=False)

    os.register_at_fork(after_in_child=forget)


def _without_jit(dbapi_connection, _record) -> None:
    """PostgreSQL compiles a statement whose estimated cost passes jit_above_cost: for the
    list's capped counts over a million tickets that costs 30 ms or more of a page to save
    none (bench/dashboard.py); this application's statements are short, JIT is for reports."""
    cursor = dbapi_connection.cursor()
    cursor.execute("SET jit = off")
    cursor.close()
    dbapi_connection.commit()


def configure_engine(engine: Engine) -> None:
    """Attach the per-dialect connection settings to an engine: storable text on every
    database, an empty pool in forked children; no JIT on PostgreSQL; WAL, busy timeout and
    BEGIN IMMEDIATE on SQLite."""
    event.listen(engine, "before_cursor_execute", _storable_parameters, retval=True)
    _forget_connections_in_forked_children(engine)
    if engine.dialect.name == "postgresql":
        event.listen(engine, "connect", _without_jit)
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


# Kept by the full-text migrations, outside the models: PostgreSQL's generated tsvector columns,
# the ticket's notes' words (kept by a trigger, migration 5c6d7e8f90a1) and SQLite's FTS5 tables
# (and the shadow tables FTS5 creates for them).
FULL_TEXT_OBJECTS = ("search_vector", "ix_ticket_search_vector", "ix_note_search_vector",
                     "notes_vector", "notes_vector_full", "ix_ticket_notes_vector",
                     "ix_ticket_notes_vector_full")


def include_in_autogenerate(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic autogenerate hook: leave the full-text objects alone."""
    if name in FULL_TEXT_OBJECTS:
        return False
    if type_ == "table" and name and (name.endswith("_fts") or "_fts_" in name):
        return False
    return True


# SQLite's full-text tables (migration 241b5d268c9c) are kept by triggers on their tables; a
# migration that recreates "ticket" or "note" (SQLite's batch mode) drops those triggers, and
# must put them back with these statements.
SQLITE_FTS_COLUMNS = {"ticket": "number, subject, description", "note": "body_text"}


def sqlite_fts_trigger_statements(table: str) -> list[str]:
    """CREATE TRIGGER statements keeping `<table>_fts` in step with the table, then a rebuild."""
    columns = SQLITE_FTS_COLUMNS[table]
    new_values = ", ".join(f"new.{c.strip()}" for c in columns.split(","))
    old_values = ", ".join(f"old.{c.strip()}" for c in columns.split(","))
    return [
        f"DROP TRIGGER IF EXISTS {table}_fts_insert",
        f"DROP TRIGGER IF EXISTS {table}_fts_delete",
        f"DROP TRIGGER IF EXISTS {table}_fts_update",
        f"""CREATE TRIGGER {table}_fts_insert AFTER INSERT ON {table} BEGIN
            INSERT INTO {table}_fts(rowid, {columns}) VALUES (new.id, {new_values}); END""",
        f"""CREATE TRIGGER {table}_fts_delete AFTER DELETE ON {table} BEGIN
            INSERT INTO {table}_fts({table}_fts, rowid, {columns})
            VALUES ('delete', old.id, {old_values}); END""",
        f"""CREATE TRIGGER {table}_fts_update AFTER UPDATE ON {table} BEGIN
            INSERT INTO {table}_fts({table}_fts, rowid, {columns})
            VALUES ('delete', old.id, {old_values});
            INSERT INTO {table}_fts(rowid, {columns}) VALUES (new.id, {new_values}); END""",
        f"INSERT INTO {table}_fts({table}_fts) VALUES ('rebuild')",
    ]
