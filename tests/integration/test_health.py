"""/healthz and /readyz as a load balancer sees them: no sign-in, no cookie, 503 naming the problem."""
from __future__ import annotations

from alembic.script import ScriptDirectory
from flask_migrate import stamp
from sqlalchemy.engine import make_url

from app.extensions import db
from tests.conftest import make_test_app


def _head(app) -> str:
    [head] = ScriptDirectory(app.extensions["migrate"].directory).get_heads()
    return head


def test_healthz_answers_without_a_session(client):
    answer = client.get("/healthz")
    assert answer.status_code == 200 and answer.json == {"status": "ok"}
    assert "Set-Cookie" not in answer.headers


def test_readyz_is_ready_on_a_migrated_database(app, client):
    answer = client.get("/readyz")
    assert answer.status_code == 200
    assert answer.json == {"status": "ready", "database": "ok", "revision": _head(app)}
    assert "Set-Cookie" not in answer.headers


def test_readyz_names_the_revisions_and_the_command_when_migrations_are_missing(
        backend, scratch_url, tmp_path):
    app = make_test_app(scratch_url, tmp_path)
    head = _head(app)
    with app.app_context():
        answer = app.test_client().get("/readyz")
        assert answer.status_code == 503
        assert answer.json == {"status": "not ready", "problem": (
            f"schema at revision none, code expects {head}: run `flask db upgrade`")}
        older = ScriptDirectory(app.extensions["migrate"].directory).get_revision(head).down_revision
        stamp(revision=older)  # as if the code was deployed before `flask db upgrade`
        answer = app.test_client().get("/readyz")
        assert answer.status_code == 503
        assert answer.json["problem"] == (f"schema at revision {older}, code expects {head}: "
                                          "run `flask db upgrade`")
        db.engine.dispose()


def test_readyz_says_the_database_is_unreachable_without_its_details(backend, database_urls,
                                                                     tmp_path):
    if backend == "sqlite":
        missing = f"sqlite:///{tmp_path / 'no-such-folder' / 'soporte.db'}"
    else:  # the server answers, the database does not exist
        missing = str(make_url(database_urls[backend]).set(database="soporte_no_such_database",
                                                            password="s3cret-pass"))
    app = make_test_app(missing, tmp_path)
    with app.app_context():
        answer = app.test_client().get("/readyz")
        db.engine.dispose()
    assert answer.status_code == 503
    assert answer.json == {"status": "not ready", "problem": "database unreachable"}
    assert "Set-Cookie" not in answer.headers
    assert b"soporte_no_such_database" not in answer.data and b"s3cret" not in answer.data


def test_probes_need_no_csrf_token_nor_sign_in_with_protection_on(backend, database_urls,
                                                                  tmp_path):
    app = make_test_app(database_urls[backend], tmp_path, WTF_CSRF_ENABLED=True)
    with app.app_context():
        client = app.test_client()
        assert client.get("/healthz").status_code == 200
        assert client.get("/readyz").status_code == 200
        assert client.head("/readyz").status_code == 200
        db.engine.dispose()
