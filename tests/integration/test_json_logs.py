"""SOPORTE_LOG_FORMAT=json: one JSON object per line with the request's (or the worker's) context,
an access line per request, link tokens redacted; the default stays text."""
from __future__ import annotations

import io
import json
import logging

import pytest

from app import logging_setup
from app.extensions import db
from app.logging_setup import log_context
from tests.conftest import _empty_tables, make_test_app
from tests.factories import PASSWORD

probe = logging.getLogger("app.web.json_probe")


@pytest.fixture
def json_app(backend, database_urls, tmp_path):
    """An app in JSON mode whose log lines are captured; the process's logging put back after."""
    root, werkzeug = logging.getLogger(), logging.getLogger("werkzeug")
    saved = (list(root.handlers), root.level, list(werkzeug.filters))
    app = make_test_app(database_urls[backend], tmp_path, SOPORTE_LOG_FORMAT="json")
    stream = io.StringIO()
    logging_setup.use_json_lines(stream)
    app.view_functions["json_probe"] = _probe_view
    app.add_url_rule("/probe/<path:rest>", "json_probe")
    app.log_stream = stream
    with app.app_context():
        yield app
        db.session.remove()
        _empty_tables()
        db.engine.dispose()
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])
    werkzeug.filters[:] = saved[2]


def _probe_view(rest):
    probe.warning("looked at /cotizacion/%s; imap://agent:hunter2@mail.example refused "
                  "password=hunter2, bearer sop_abcdefgh0123456789abcdefghij", rest)
    return "ok"


def _lines(app) -> list[dict]:
    return [json.loads(line) for line in app.log_stream.getvalue().splitlines()]


def test_each_line_is_json_with_the_request_context_and_no_query_string(json_app):
    answer = json_app.test_client().get("/probe/eyJhbGciOi.secret-link-token?token=abc",
                                        headers={"X-Request-ID": "req-42"})
    assert answer.headers["X-Request-ID"] == "req-42"
    probe_line, access = _lines(json_app)
    assert probe_line["logger"] == "app.web.json_probe" and probe_line["level"] == "WARNING"
    assert probe_line["time"].endswith("Z") and "T" in probe_line["time"]
    assert probe_line["request_id"] == "req-42" and probe_line["method"] == "GET"
    assert probe_line["path"] == "/probe/eyJhbGciOi.secret-link-token"
    assert "/cotizacion/[redacted]" in probe_line["message"]
    assert "secret-link-token" not in probe_line["message"]
    assert "hunter2" not in probe_line["message"] and "0123456789" not in probe_line["message"]
    assert "imap://agent:[redacted]@mail.example" in probe_line["message"]
    assert access["logger"] == "app.access" and access["status"] == 200
    assert access["request_id"] == "req-42" and isinstance(access["duration_ms"], float)
    assert "token=abc" not in json_app.log_stream.getvalue()


def test_a_link_token_in_the_path_is_redacted_in_the_access_line(json_app):
    json_app.test_client().get("/cotizacion/eyJxIjoxfQ.Z2Vu.secret-looking-token?decision=approve")
    text = json_app.log_stream.getvalue()
    assert "secret-looking-token" not in text
    [access] = [line for line in _lines(json_app) if line["logger"] == "app.access"]
    assert access["path"] == "/cotizacion/[redacted]"
    assert access["status"] == 404


def test_an_unusable_request_id_is_replaced_by_a_new_one(json_app):
    answer = json_app.test_client().get("/healthz", headers={"X-Request-ID": "x" * 500})
    given = answer.headers["X-Request-ID"]
    assert len(given) == 32 and given != "x" * 500
    [access] = _lines(json_app)
    assert access["request_id"] == given and access["path"] == "/healthz"


def test_a_signed_in_request_carries_the_user_id(json_app):
    from tests import factories

    world = factories.make_world()
    db.session.commit()
    client = json_app.test_client()
    client.post("/login", data={"email": world.agent.email, "password": PASSWORD})
    json_app.log_stream.truncate(0)
    json_app.log_stream.seek(0)
    assert client.get("/").status_code in (200, 302)
    [access] = [line for line in _lines(json_app) if line["logger"] == "app.access"]
    assert access["user_id"] == world.agent.id


def test_a_worker_context_and_an_exception_are_in_the_line(json_app):
    with log_context(mailbox="soporte", uid=4711):
        with log_context(uid=4712):
            try:
                raise ValueError("boom at /cotizacion/abc.def-token")
            except ValueError:
                logging.getLogger("mail_ingest.probe").exception("could not ingest")
        logging.getLogger("mail_ingest.probe").info("done")
    logging.getLogger("mail_ingest.probe").info("outside")
    failed, done, outside = _lines(json_app)
    assert (failed["mailbox"], failed["uid"], failed["level"]) == ("soporte", 4712, "ERROR")
    assert "ValueError" in failed["exception"] and "abc.def-token" not in failed["exception"]
    assert (done["mailbox"], done["uid"]) == ("soporte", 4711)
    assert "mailbox" not in outside and "request_id" not in outside


def test_the_pollers_lines_name_the_mailbox_and_the_message(json_app, tmp_path):
    import mailbox

    from mail_ingest.poller import poll_once
    from tests import factories
    from tests import mail_corpus as corpus

    factories.make_world()
    db.session.commit()
    inbox = mailbox.Maildir(tmp_path / "inbox", create=True)
    key = inbox.add(corpus.simple())
    report = poll_once(f"maildir://{tmp_path / 'inbox'}")
    assert report.outcomes == {"TICKET": 1}
    [ingested] = [line for line in _lines(json_app) if line["message"].startswith("ingested")]
    assert (ingested["mailbox"], ingested["uid"]) == (report.mailbox, key)


def test_text_stays_the_default(backend, database_urls, tmp_path, caplog):
    app = make_test_app(database_urls[backend], tmp_path)
    root_handlers = [h for h in logging.getLogger().handlers
                     if isinstance(h.formatter, logging_setup.JsonFormatter)]
    assert app.config["SOPORTE_LOG_FORMAT"] == "text" and not root_handlers
    with app.app_context():
        answer = app.test_client().get("/healthz")
        db.engine.dispose()
    assert len(answer.headers["X-Request-ID"]) == 32  # the id is given in both modes


@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_development_server_writes_json_lines_only(backend, database_urls, tmp_path):
    """`flask run` in JSON mode: its banner as JSON, the access line instead of its own request
    line (which carries the query string)."""
    import os
    import subprocess
    import sys
    import time
    import urllib.request
    from pathlib import Path

    from tests.dovecot import free_port

    port = free_port()
    env = dict(os.environ, FLASK_APP="wsgi.py", SOPORTE_CONFIG="testing", SOPORTE_LOG_FORMAT="json",
               DATABASE_URL=database_urls["sqlite"], SOPORTE_INSTANCE_DIR=str(tmp_path / "i"))
    server = subprocess.Popen([sys.executable, "-m", "flask", "run", "--port", str(port)],
                              cwd=Path(__file__).resolve().parents[2], env=env,
                              stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(300):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz?token=abc") as answer:
                    assert answer.status == 200
                break
            except OSError:
                time.sleep(0.1)
    finally:
        server.terminate()
        _, errors = server.communicate(timeout=30)
    lines = [json.loads(line) for line in errors.splitlines() if line.strip()]
    assert any("Running on" in line["message"] for line in lines)
    [access] = [line for line in lines if line["logger"] == "app.access"]
    assert (access["path"], access["status"]) == ("/healthz", 200)
    assert "HTTP/1.1" not in errors and "token=abc" not in errors
