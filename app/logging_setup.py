"""Log lines as JSON on request (SOPORTE_LOG_FORMAT=json), each with the context it belongs to.

In JSON mode every record of the process is one JSON object on one line of standard error:
`time` (ISO 8601, UTC), `level`, `logger`, `message`, then the context:

- during a web request: `request_id` (the caller's sane X-Request-ID, else a new one; echoed
  in the response's X-Request-ID in both modes), `method`, `path` (never the query string: it
  may hold tokens) and `user_id` once the request has a signed-in user or an API token's user;
- whatever `log_context(...)` holds where the record is made: the poller's mailbox and UID,
  the outbox worker's outbox id, the webhook worker's delivery id;
- `exception`: the traceback, when there is one.

After each request one `app.access` line gives method, path, status and duration_ms (it replaces
the development server's own request line, which would carry the query string).

Secrets (link tokens, URL passwords, API token secrets: app.log_redaction) are taken out of every
record when it is made, and out of every text value of a JSON line (the path, the traceback). The default (anything
but "json") leaves logging as it was: text lines.
"""
from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import re
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, g, has_request_context, request

access_log = logging.getLogger("app.access")

_context: contextvars.ContextVar[dict] = contextvars.ContextVar("soporte_log_context", default={})
# A caller's request id is kept if it is short and plain (a proxy's UUID, a trace id);
# anything else could forge or flood log lines, so a new one is made instead.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:@+=/-]{1,128}")
_HANDLER_MARK = "soporte_json_handler"


@contextmanager
def log_context(**fields) -> Iterator[None]:
    """Add fields (mailbox="support", uid=4711, outbox_id=12 …) to every record made inside
    the block, in this thread or task only; blocks nest, the inner value winning."""
    token = _context.set({**_context.get(), **fields})
    try:
        yield
    finally:
        _context.reset(token)


def current_context() -> dict:
    """The fields log_context has set here, with the request's when there is one."""
    fields = _request_fields() if has_request_context() else {}
    fields.update(_context.get())
    return fields


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, the context, the exception."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one line of JSON (non-ASCII kept; newlines escaped by JSON)."""
        line = {
            "time": dt.datetime.fromtimestamp(record.created, dt.timezone.utc)
            .isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in current_context().items():
            line.setdefault(key, value)
        for key, value in getattr(record, "context", {}).items():
            line[key] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        elif record.stack_info:
            line["exception"] = self.formatStack(record.stack_info)
        # The message was redacted when made; the context (a request's path) and the
        # traceback were not: redact every text value (before encoding, which escapes quotes).
        # (Imported here: the redaction reads the portal's paths, and the workers import this
        # module early, before the portal package is loaded.)
        from app.log_redaction import redact

        return json.dumps({key: redact(value) if isinstance(value, str) else value
                           for key, value in line.items()}, ensure_ascii=False, default=str)


def init_app(app: Flask) -> None:
    """Give each request its id (X-Request-ID, both modes); in JSON mode, send every record of
    this process through one JSON handler on standard error and log each request's outcome."""
    app.before_request(_start_request)
    app.after_request(_finish_request)
    if app.config.get("SOPORTE_LOG_FORMAT") == "json":
        use_json_lines()
        app.extensions["soporte_json_logs"] = True


def use_json_lines(stream=None) -> logging.Handler:
    """Replace this process's root handlers by one JSON handler (INFO and up) on `stream`
    (standard error by default); idempotent. Flask's and Werkzeug's own handlers are not added
    then, as a handler exists; the development server's request lines are left out (app.access
    replaces them)."""
    from flask.logging import default_handler

    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, _HANDLER_MARK, False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    setattr(handler, _HANDLER_MARK, True)
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    werkzeug = logging.getLogger("werkzeug")
    if not any(isinstance(f, _WithoutServerRequestLines) for f in werkzeug.filters):
        werkzeug.addFilter(_WithoutServerRequestLines())
    logging.getLogger("app").removeHandler(default_handler)
    return handler


class _WithoutServerRequestLines(logging.Filter):
    """Drops the development server's own request lines ("GET /path?query HTTP/1.1" 200): the
    app.access line replaces them, without the query. Its other lines (Running on …) stay."""

    # (…] "GET /path HTTP/1.1" 200 -, the request part possibly in ANSI colours)
    _REQUEST_LINE = re.compile(r'HTTP/[0-9.]+(?:\x1b\[[0-9;]*m)*" \d{3} ')

    def filter(self, record: logging.LogRecord) -> bool:
        """False for a request line."""
        return not self._REQUEST_LINE.search(record.getMessage())


def _request_fields() -> dict:
    """The request's context: id, method, path without its query, and the user once known."""
    fields = {"request_id": g.get("request_id"), "method": request.method, "path": request.path}
    user_id = _signed_in_user_id()
    if user_id is not None:
        fields["user_id"] = user_id
    return fields


def _signed_in_user_id() -> int | None:
    """The id of the user this request has already loaded (session or API token), read from
    the identity map: logging never loads a user or queries the database."""
    from sqlalchemy import inspect

    for user in (g.get("api_user"), g.get("_login_user")):
        state = inspect(user, raiseerr=False) if user is not None else None
        if state is not None and state.identity:
            return state.identity[0]
    return None


def _start_request() -> None:
    """Before each request: its id (the caller's, if sane) and its start time."""
    given = request.headers.get("X-Request-ID", "")
    g.request_id = given if _SANE_REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
    g.request_started = time.perf_counter()


def _finish_request(response):
    """After each request: echo its id; in JSON mode log method, path, status and duration."""
    from flask import current_app

    request_id = g.get("request_id")
    if request_id:
        response.headers["X-Request-ID"] = request_id
    if current_app.extensions.get("soporte_json_logs"):
        started = g.get("request_started")
        took = round((time.perf_counter() - started) * 1000, 1) if started else None
        access_log.info("%s %s %s", request.method, request.path, response.status_code,
                        extra={"context": {"status": response.status_code, "duration_ms": took}})
    return response
