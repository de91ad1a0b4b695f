"""Shared fixtures: an app bound to a migrated database, run once on SQLite and once on PostgreSQL.

`SOPORTE_TEST_DATABASES` (default "sqlite,postgresql") picks the backends;
`SOPORTE_TEST_PG_URL` (default postgresql://postgres@127.0.0.1:5432/postgres)
is the server on which the tests create their own database.
"""
from __future__ import annotations

import os

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from assembly import build_app
from app.extensions import db
from tests import factories

BACKENDS = [b.strip() for b in os.environ.get("SOPORTE_TEST_DATABASES",
                                              "sqlite,postgresql").split(",") if b.strip()]
PG_SERVER_URL = os.environ.get("SOPORTE_TEST_PG_URL",
                               "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def _pg_test_url() -> str:
    """A database of our own on the PostgreSQL server, one per test process (runs side by side
    on one server never touch each other's data)."""
    return str(make_url(PG_SERVER_URL).set(database=f"soporte_test_{os.getpid()}"))


def _recreate_pg_database(url: str, create: bool = True) -> None:
    """Drop (and create) the test database (autocommit: CREATE DATABASE needs it)."""
    name = make_url(url).database
    server = create_engine(PG_SERVER_URL, isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        if create:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    server.dispose()


def make_test_app(database_url: str, tmp_dir, **overrides):
    """An app in testing mode on the given database, attachments under tmp_dir."""
    config = {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SOPORTE_ATTACHMENT_DIR": str(tmp_dir / "attachments"),
        "SOPORTE_MAIL_DIR": str(tmp_dir / "mail"),
        "SOPORTE_INBOX_URL": f"maildir://{tmp_dir / 'inbox'}",
        "SOPORTE_SUPPORT_ADDRESS": "soporte@soporte.example",
    }
    config.update(overrides)
    return build_app("testing", config)


@pytest.fixture(scope="session")
def database_urls(tmp_path_factory):
    """Each backend's URL, migrated from empty with `flask db upgrade` once per session."""
    from flask_migrate import upgrade

    urls = {}
    for backend in BACKENDS:
        if backend == "sqlite":
            url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'test.db'}"
        elif backend == "postgresql":
            url = _pg_test_url()
            _recreate_pg_database(url)
        else:
            raise pytest.UsageError(f"unknown backend {backend}")
        app = make_test_app(url, tmp_path_factory.mktemp("migrate"))
        with app.app_context():
            upgrade()
            db.engine.dispose()
        urls[backend] = url
    yield urls
    if "postgresql" in urls:
        _recreate_pg_database(urls["postgresql"], create=False)


def on_backends(*names: str):
    """Run a test only on these backends (those of them in SOPORTE_TEST_DATABASES): for a rule
    one database has and the other has not (PostgreSQL's row and table locks), instead of a skip
    on the other."""
    return pytest.mark.parametrize("backend", [name for name in names if name in BACKENDS],
                                   indirect=True)


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    """The database backend this test runs on."""
    return request.param


@pytest.fixture
def scratch_url(backend, tmp_path):
    """An empty database of this backend, for migrating by hand (migration tests)."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'scratch.db'}"
        return
    url = str(make_url(PG_SERVER_URL).set(database=f"soporte_scratch_{os.getpid()}"))
    _recreate_pg_database(url)
    yield url
    _recreate_pg_database(url, create=False)


@pytest.fixture
def app(backend, database_urls, tmp_path):
    """A testing app with an app context pushed; every table is emptied afterwards."""
    app = make_test_app(database_urls[backend], tmp_path)
    with app.app_context():
        yield app
        db.session.remove()
        _empty_tables()
        db.engine.dispose()


def _empty_tables() -> None:
    """Delete every row and reset the ticket counter (the one row the migrations create; other
    counters, such as the billing batches' lock row, are made when first needed), leaving the
    migrated schema."""
    tables = [t for t in reversed(db.metadata.sorted_tables) if t.name != "ticket_counter"]
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(table.delete())
        conn.execute(text("DELETE FROM ticket_counter WHERE name <> 'ticket'"))
        conn.execute(text("UPDATE ticket_counter SET value = 0"))


@pytest.fixture
def client(app):
    """Flask's test client."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """Flask's CLI runner."""
    return app.test_cli_runner()


@pytest.fixture
def world(app):
    """A small world: two clients with contacts, contracts and a project; a user of each role."""
    return factories.make_world()


@pytest.fixture(scope="session")
def dovecot():
    """A real Dovecot on loopback for the whole session (its folder must be reachable by the
    dovecot user, so not under pytest's private tmp)."""
    import shutil
    import tempfile
    from pathlib import Path

    from tests.dovecot import Dovecot

    root = Path(tempfile.mkdtemp(prefix="soporte-dovecot-"))
    server = Dovecot(root)
    server.start()
    yield server
    server.stop()
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def imap_user(dovecot):
    """A fresh IMAP user (empty INBOX) on the test Dovecot."""
    return dovecot.new_user()


@pytest.fixture
def smtp_server(app):
    """A real SMTP server on loopback; the app's SOPORTE_SMTP_URL points at it."""
    from tests.smtp_server import SmtpServer

    server = SmtpServer().start()
    app.config["SOPORTE_SMTP_URL"] = server.url
    yield server
    server.stop()


@pytest.fixture
def at(app):
    """Fix the app's clock at a moment of November 2026 in Madrid (day, hour, minute:
    tests.clocks.madrid); returns it."""
    from tests.clocks import madrid

    def fix(day: int, hour: int, minute: int = 0):
        app.config["SOPORTE_FIXED_NOW"] = madrid(day, hour, minute)
        return app.config["SOPORTE_FIXED_NOW"]
    return fix
