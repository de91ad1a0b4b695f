"""Quote-link tokens never reach a log: Werkzeug's server, gunicorn's access log, the app's log."""
from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from app.extensions import db
from app.log_redaction import redact
from app.models import TicketStatus
from app.services.quote_links import make_token
from tests import factories
from tests.dovecot import free_port

ROOT = Path(__file__).resolve().parents[2]


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_redact_replaces_the_token_of_every_link_form():
    line = ('127.0.0.1 - - "GET /cotizacion/eyJx.abc-_Z HTTP/1.1" 200 "http://h/cotizacion/'
            'eyJx.abc-_Z?decision=approve" POST /cotizacion/tok.en/aprobar')
    cleaned = redact(line)
    assert "eyJx.abc-_Z" not in cleaned and "tok.en" not in cleaned
    assert cleaned.count("/cotizacion/[redacted]") == 3
    assert "/cotizacion/[redacted]/aprobar" in cleaned


def test_the_development_server_logs_the_request_without_its_token(app, world, caplog):
    ticket = factories.ticket_in(world, TicketStatus.QUOTED)
    db.session.commit()
    token = make_token(ticket.current_quote)
    db.session.rollback()  # end the read (SQLite: the server's request needs the lock)
    server = make_server("127.0.0.1", free_port(), app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with caplog.at_level(logging.INFO):
            status = _get(f"http://127.0.0.1:{server.server_port}/cotizacion/{token}")
    finally:
        server.shutdown()
    assert status == 200  # the link still works
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "/cotizacion/[redacted]" in logged
    assert token not in logged and token.split(".")[0] not in logged


def test_an_error_logged_while_serving_a_link_hides_its_token(app, caplog):
    # A logger of its own, as any module has (migrations no longer disable existing loggers).
    logger = logging.getLogger("app.web.redaction_probe")
    with caplog.at_level(logging.ERROR):
        logger.error("Exception on %s [GET]",
                                                  "/cotizacion/secret-token-value")
    assert "secret-token-value" not in caplog.text
    assert "/cotizacion/[redacted]" in caplog.text


@pytest.mark.parametrize("backend", ["sqlite"])
def test_gunicorn_access_log_has_no_token(backend, database_urls, tmp_path):
    port = free_port()
    access = tmp_path / "access.log"
    env = dict(os.environ, SOPORTE_CONFIG="testing", DATABASE_URL=database_urls["sqlite"],
               SOPORTE_INSTANCE_DIR=str(tmp_path / "instance"))
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "--workers", "1",
         "--bind", f"127.0.0.1:{port}", "--access-logfile", str(access),
         "--error-logfile", str(tmp_path / "error.log"), "wsgi:app"],
        cwd=ROOT, env=env)
    try:
        for _ in range(100):
            try:
                _get(f"http://127.0.0.1:{port}/healthz")
                break
            except OSError:
                time.sleep(0.1)
        token = "eyJxIjoxfQ.Z2Vu.secret-looking-token"
        assert _get(f"http://127.0.0.1:{port}/cotizacion/{token}?decision=approve") == 404
    finally:
        server.terminate()
        server.wait(timeout=10)
    log = access.read_text()
    assert "/cotizacion/[redacted]?decision=approve" in log
    assert "secret-looking-token" not in log


@pytest.mark.parametrize("line, secret", [
    ("GET /x?access_token=abc123&page=2", "abc123"),
    ("PGPASSWORD=hunter2 pg_dump soporte", "hunter2"),
    ('{"password": "dos palabras", "user": "ana"}', "dos palabras"),
    ('{"api_token":"a\\"b"}', 'a\\"b'),
    ("csrf_token=zzz9", "zzz9"),
])
def test_a_secret_named_by_any_spelling_is_hidden(line, secret):
    cleaned = redact(line)
    assert secret not in cleaned and "[redacted]" in cleaned
