"""Shared fixtures: an app bound to a migrated database, run once on SQLite and once on PostgreSQL.

`SOPORTE_TEST_DATABASES` (default "sqlite,postgresql") picks the backends;
`SOPORTE_TEST_PG_URL` (default postgresql://postgres@127.0.0.1:5432/postgres)
is the server on which the tests create their own database.

The `app` fixture is one app per database and test process, brought back to its state as built
before each test (SharedApp); a test that needs other build-time settings calls make_test_app,
and one that adds routes takes `fresh_app`.
"""
from __future__ import annotations

import copy
import os
import tempfile
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

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
        **_paths(tmp_dir),
        "SOPORTE_SUPPORT_ADDRESS": "soporte@soporte.example",
    }
    config.update(overrides)
    return build_app("testing", config)


def _paths(tmp_dir) -> dict:
    """The settings naming a test's files and folders, all under tmp_dir."""
    return {
        "SOPORTE_ATTACHMENT_DIR": str(tmp_dir / "attachments"),
        "SOPORTE_MAIL_DIR": str(tmp_dir / "mail"),
        "SOPORTE_INBOX_URL": f"maildir://{tmp_dir / 'inbox'}",
    }


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
    """A testing app with an app context pushed; every table is emptied afterwards.

    The app is built once per database in this process and brought back before each test to
    its state as built (SharedApp.restore), as a new one would be; a test that needs other
    settings at build time calls make_test_app itself."""
    app = SharedApp.of(database_urls[backend]).restore(tmp_path)
    with app.app_context():
        yield app
        _clean_up()


@pytest.fixture
def fresh_app(backend, database_urls, tmp_path):
    """An app built for this test alone, context pushed and tables emptied as `app`'s: for a
    test that adds a route (an app that has answered a request refuses new ones, and the route
    would stay for the tests after)."""
    app = make_test_app(database_urls[backend], tmp_path)
    with app.app_context():
        yield app
        _clean_up()


def _clean_up() -> None:
    """After a test: its session closed, every table emptied, the connections closed."""
    db.session.remove()
    _empty_tables()
    db.engine.dispose()


class SharedApp:
    """One app per database for the whole process (building one costs a quarter of a second:
    the API spec, a thousand URL rules, the admin views), and what of it a test may change kept
    as built: the config, app.extensions (the encryption keys, the assignment's load cache, the
    poller's processing), the request class, the request hooks and error handlers, Jinja's
    globals and filters, and the rate limiter (its settings and counts)."""

    _apps: dict[str, SharedApp] = {}

    def __init__(self, database_url: str) -> None:
        # The paths in its config are replaced by each test's own (restore).
        self.app = app = make_test_app(database_url,
                                       Path(tempfile.mkdtemp(prefix="soporte-test-app-")))
        self.config = dict(app.config)
        self.extensions = dict(app.extensions)
        self.request_class = app.request_class
        self.hooks = {name: _copy_hooks(getattr(app, name)) for name in _APP_HOOKS}
        self.jinja = {name: dict(getattr(app.jinja_env, name)) for name in _JINJA_TABLES}

    @classmethod
    def of(cls, database_url: str) -> SharedApp:
        """This process's app on that database (built on first use)."""
        if database_url not in cls._apps:
            cls._apps[database_url] = cls(database_url)
        return cls._apps[database_url]

    def restore(self, tmp_dir: Path):
        """The app as built, its files under tmp_dir (as make_test_app(url, tmp_dir) builds)."""
        from app.extensions import limiter

        app = self.app
        app.config.clear()
        app.config.update({key: copy.deepcopy(value) if isinstance(value, (dict, list, set))
                           else value for key, value in self.config.items()})
        app.config.update(_paths(tmp_dir))
        app.extensions.clear()
        app.extensions.update(self.extensions)
        app.request_class = self.request_class
        for name, hooks in self.hooks.items():
            setattr(app, name, _copy_hooks(hooks))
        for name, table in self.jinja.items():
            getattr(app.jinja_env, name).clear()
            getattr(app.jinja_env, name).update(table)
        # One limiter serves every app of the process: an app built by a test since holds its
        # settings, and the counts of earlier tests are in its storage (init_app makes new).
        limiter.init_app(app)
        return app


_APP_HOOKS = ("before_request_funcs", "after_request_funcs", "teardown_request_funcs",
              "teardown_appcontext_funcs", "url_value_preprocessors", "url_default_functions",
              "template_context_processors", "error_handler_spec")
_JINJA_TABLES = ("globals", "filters", "tests")


def _copy_hooks(hooks):
    """A copy of one of Flask's tables of hooks (defaultdicts of lists, or of dicts), of the same
    types, sharing the functions."""
    if isinstance(hooks, dict):
        table = copy.copy(hooks)  # a defaultdict keeps its default
        for key, value in table.items():
            table[key] = _copy_hooks(value)
        return table
    return list(hooks) if isinstance(hooks, list) else hooks


def _empty_tables() -> None:
    """Delete every row and reset the ticket counter (the one row the migrations create; other
    counters, such as the billing batches' lock row, are made when first needed), leaving the
    migrated schema; on PostgreSQL the sequences start again too."""
    tables = [t for t in reversed(db.metadata.sorted_tables) if t.name != "ticket_counter"]
    if db.engine.dialect.name == "postgresql":
        try:
            with db.engine.begin() as conn:
                _delete_postgresql_rows(conn, tables)
        except DBAPIError:  # rows DELETE cannot remove in this order: TRUNCATE removes them all
            with db.engine.begin() as conn:
                names = ", ".join(f'"{t.name}"' for t in tables)
                conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
                _reset_ticket_counter(conn)
        return
    with db.engine.begin() as conn:
        for table in tables:
            conn.execute(table.delete())
        _reset_ticket_counter(conn)


def _delete_postgresql_rows(conn, tables) -> None:
    """DELETE in the tables that have rows (one query finds them; a test fills a few of the
    dozens), and restart every sequence that gave a value: as TRUNCATE … RESTART IDENTITY of
    every table, which costs a new file per table."""
    probes = " UNION ALL ".join(f"SELECT '{t.name}' WHERE EXISTS (SELECT FROM \"{t.name}\")"
                                for t in tables)
    filled = set(conn.execute(text(probes)).scalars())
    for table in tables:
        if table.name in filled:
            conn.execute(table.delete())
    conn.execute(text("SELECT setval(format('%I.%I', schemaname, sequencename)::regclass, "
                      "start_value, false) FROM pg_sequences "
                      "WHERE schemaname = current_schema() AND last_value IS NOT NULL"))
    _reset_ticket_counter(conn)


def _reset_ticket_counter(conn) -> None:
    """The ticket counter back to its one row at zero."""
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
