"""The database in a backup: a consistent dump while the app runs, checked and put back.

SQLite: the backup API copies the pages under one read lock (the file copied by hand could be
caught mid-write, and misses what is still in the WAL), and puts them back the same way, so
a restore never leaves a stale WAL file beside the restored database.
PostgreSQL: `pg_dump --format=custom` and `pg_restore` (the postgresql-client package), given
the connection of DATABASE_URL through libpq's PG* environment variables: the password never
appears on a command line, in the process list or in a log.
"""
from __future__ import annotations

import logging
import os
import shutil
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.engine import URL, Engine
from sqlalchemy.exc import SQLAlchemyError

from app.backups import BackupError

log = logging.getLogger(__name__)

SQLITE = "sqlite"
POSTGRESQL = "postgresql"
SQLITE_BUSY_SECONDS = 30
INSTALL_CLIENT = ("install the PostgreSQL client tools of the server's major version or newer "
                  "(Debian and Ubuntu: apt-get install postgresql-client)")
# The libpq variable for each connection parameter DATABASE_URL may carry (its query string
# included, e.g. ?sslmode=require).
LIBPQ_VARIABLES = {
    "host": "PGHOST", "hostaddr": "PGHOSTADDR", "port": "PGPORT", "user": "PGUSER",
    "password": "PGPASSWORD", "dbname": "PGDATABASE", "passfile": "PGPASSFILE",
    "service": "PGSERVICE", "options": "PGOPTIONS", "application_name": "PGAPPNAME",
    "connect_timeout": "PGCONNECT_TIMEOUT", "sslmode": "PGSSLMODE", "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY", "sslrootcert": "PGSSLROOTCERT", "sslcrl": "PGSSLCRL",
    "sslcrldir": "PGSSLCRLDIR", "sslsni": "PGSSLSNI", "gssencmode": "PGGSSENCMODE",
    "channel_binding": "PGCHANNELBINDING", "target_session_attrs": "PGTARGETSESSIONATTRS",
    "krbsrvname": "PGKRBSRVNAME", "requirepeer": "PGREQUIREPEER",
}


def dialect_of(engine: Engine) -> str:
    """"sqlite" or "postgresql"; BackupError for any other database."""
    if engine.dialect.name not in (SQLITE, POSTGRESQL):
        raise BackupError(f"Backups handle SQLite and PostgreSQL, not {engine.dialect.name}.")
    return engine.dialect.name


def _inspected(engine: Engine, read):
    """read(connection), with a connection failure told as a BackupError."""
    try:
        with engine.connect() as connection:
            return read(connection)
    except SQLAlchemyError as error:
        detail = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        raise BackupError(f"Cannot read the database of DATABASE_URL ({detail}). Check that "
                          "it exists and that DATABASE_URL is right.") from None


def tables(engine: Engine) -> list[str]:
    """The tables in the database (PostgreSQL: in its default schema)."""
    return _inspected(engine, lambda connection: inspect(connection).get_table_names())


def ticket_count(engine: Engine) -> int:
    """How many tickets the database holds (0 without a ticket table)."""
    if "ticket" not in tables(engine):
        return 0
    return _inspected(engine, lambda connection: connection.execute(
        text("SELECT count(*) FROM ticket")).scalar_one())


def alembic_revision(engine: Engine) -> str | None:
    """The schema revision the database is at (several heads joined by commas); None when it
    was never migrated."""
    if "alembic_version" not in tables(engine):
        return None
    revisions = _inspected(engine, lambda connection: connection.execute(
        text("SELECT version_num FROM alembic_version ORDER BY version_num")).scalars().all())
    return ",".join(revisions) or None


def dump(engine: Engine, target: Path) -> None:
    """Write a consistent copy of the database to target (a file that does not exist yet)."""
    if dialect_of(engine) == SQLITE:
        _sqlite_copy(_sqlite_path(engine.url), target)
        with closing(sqlite3.connect(target)) as copy:
            copy.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
        return
    _run_pg_tool(["pg_dump", "--format=custom", "--no-password", f"--file={target}"],
                 engine.url)


def check_dump(dialect: str, source: Path) -> None:
    """Refuse, before anything is changed, a dump its tool cannot read."""
    if dialect == SQLITE:
        try:
            uri = f"{source.resolve().as_uri()}?mode=ro"
            with closing(sqlite3.connect(uri, uri=True)) as copy:
                result = copy.execute("PRAGMA integrity_check").fetchone()[0]
        except sqlite3.DatabaseError as error:
            result = str(error)
        if result != "ok":
            raise BackupError(f"The database in the backup is damaged ({result}).")
        return
    _run_pg_tool(["pg_restore", "--list", str(source)], None)


def load(engine: Engine, source: Path) -> None:
    """Put a dump made by `dump` into the database, replacing what is in it (PostgreSQL: the
    dump's objects are dropped first; all in one transaction, so a failure changes nothing)."""
    engine.dispose()  # no connection of ours holds the database while it is replaced
    if dialect_of(engine) == SQLITE:
        _sqlite_copy(source, _sqlite_path(engine.url, must_exist=False))
        return
    _run_pg_tool(["pg_restore", "--no-owner", "--no-privileges", "--clean", "--if-exists",
                  "--single-transaction", "--exit-on-error", "--no-password",
                  f"--dbname={engine.url.database}", str(source)], engine.url)


def _sqlite_path(url: URL, must_exist: bool = True) -> Path:
    """The database file of a SQLite URL; BackupError for an in-memory database."""
    if url.database in (None, "", ":memory:"):
        raise BackupError("DATABASE_URL names an in-memory SQLite database: there is no file "
                          "to back up or restore into.")
    path = Path(url.database)
    if must_exist and not path.is_file():
        raise BackupError(f"The SQLite database {path} does not exist: check DATABASE_URL.")
    return path


def _sqlite_copy(source: Path, target: Path) -> None:
    """Copy every page of one SQLite database into another with the backup API (waiting for a
    writer to finish, as the app does)."""
    connections = []
    try:
        connections.append(sqlite3.connect(source, timeout=SQLITE_BUSY_SECONDS))
        connections.append(sqlite3.connect(target, timeout=SQLITE_BUSY_SECONDS))
        connections[0].backup(connections[1])
    except sqlite3.Error as error:
        raise BackupError(f"Cannot copy the SQLite database {source} to {target}: {error}.") \
            from None
    finally:
        for connection in connections:
            connection.close()


def pg_environment(url: URL) -> dict[str, str]:
    """This process's environment with the connection of DATABASE_URL as libpq variables;
    BackupError for a URL parameter libpq has no variable for."""
    parameters = {"host": url.host, "port": url.port, "user": url.username,
                  "password": url.password, "dbname": url.database}
    for name, value in url.query.items():
        if name not in LIBPQ_VARIABLES:
            raise BackupError(f"DATABASE_URL has the parameter {name!r}, which pg_dump cannot "
                              "be given: remove it from DATABASE_URL, or back up with pg_dump "
                              "by hand.")
        parameters[name] = ",".join(value) if isinstance(value, tuple) else value
    environment = dict(os.environ)
    for name, value in parameters.items():
        if value not in (None, ""):
            environment[LIBPQ_VARIABLES[name]] = str(value)
    return environment


def _run_pg_tool(arguments: list[str], url: URL | None) -> None:
    """Run pg_dump or pg_restore (with the connection of url, if given); BackupError with the
    tool's own message when it is missing or fails."""
    tool = arguments[0]
    if shutil.which(tool) is None:
        raise BackupError(f"{tool} is not installed: {INSTALL_CLIENT}.")
    environment = pg_environment(url) if url is not None else None
    log.info("running %s", " ".join(arguments))  # no password here: it is in the environment
    result = subprocess.run(arguments, env=environment, capture_output=True, text=True,
                            check=False)
    if result.returncode != 0:
        lines = [line for line in result.stderr.strip().splitlines() if line.strip()]
        detail = "\n".join(lines[-10:]) or f"exit status {result.returncode}"
        hint = (f"\nA version mismatch means: {INSTALL_CLIENT}."
                if "version" in detail.lower() else "")
        raise BackupError(f"{tool} failed:\n{detail}{hint}")
