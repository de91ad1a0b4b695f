"""Keeps the signed tokens of customer links out of every log line (access logs included).

A quote link decides a quote for whoever holds it, so a request line such as
`GET /cotizacion/<token>` must not be readable in a log (Werkzeug's development server, gunicorn's
access and error logs, the app's own "Exception on <path>"). Every record's message has the token
segment rewritten to `[redacted]` when the record is made. So are the other secrets a message
may carry: the password of a URL (`imap://user:[redacted]@host`, SOPORTE_SMTP_URL, DATABASE_URL),
an API token's secret past the part the token lists show (`sop_12345678[redacted]`), and the
value of a `password=`, `secret=` or `token=` pair (a query string, a form dump).
"""
from __future__ import annotations

import logging
import re

from app.portal import TOKEN_PATH_PREFIXES

REDACTED = "[redacted]"
# Each prefix, then the token: everything up to the next slash, query, space or quote.
_TOKEN = re.compile("(" + "|".join(re.escape(p) for p in TOKEN_PATH_PREFIXES) + r")[^/?#\s\"']+")


# scheme://user:PASSWORD@host: the password, up to the "@" that ends the credentials.
_URL_PASSWORD = re.compile(r"(\b[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]*:)[^@\s/]+@")
# An API token's secret (app.services.api_tokens: "sop_" and 43 characters): the first 12 stay.
_API_SECRET = re.compile(r"\b(sop_[A-Za-z0-9_-]{8})[A-Za-z0-9_-]{12,}")
# A name ending in password/passwd/secret/token (access_token, PGPASSWORD, csrf_token) and its
# value: after "=", or as a JSON string ("password": "…").
_SECRET_NAME = r"[\w-]*(?:password|passwd|secret|token)"
_SECRET_PAIR = re.compile(rf"""\b({_SECRET_NAME}=)[^&\s"',;]+""", re.IGNORECASE)
_SECRET_JSON = re.compile(rf"""("{_SECRET_NAME}"\s*:\s*")(?:[^"\\]|\\.)*""", re.IGNORECASE)


def redact(text: str) -> str:
    """The text with every link token, URL password, API token secret and password=/secret=/
    token= value replaced by `[redacted]`."""
    text = _TOKEN.sub(r"\1" + REDACTED, text)
    text = _URL_PASSWORD.sub(r"\1" + REDACTED + "@", text)
    text = _API_SECRET.sub(r"\1" + REDACTED, text)
    text = _SECRET_JSON.sub(r"\1" + REDACTED, text)
    return _SECRET_PAIR.sub(r"\1" + REDACTED, text)


def _redact_record(record: logging.LogRecord) -> logging.LogRecord:
    """The record, its final message rewritten without link tokens (never dropped)."""
    message = record.getMessage()
    cleaned = redact(message)
    if cleaned != message:
        record.msg, record.args = cleaned, None
    return record


def install() -> None:
    """Redact every log record of this process as it is made, whichever logger and handler print
    it (a logger's filter misses records that propagate from child loggers; gunicorn configures
    its own handlers). Idempotent."""
    current = logging.getLogRecordFactory()
    if getattr(current, "redacts_link_tokens", False):
        return

    def factory(*args, **kwargs) -> logging.LogRecord:
        return _redact_record(current(*args, **kwargs))

    factory.redacts_link_tokens = True
    logging.setLogRecordFactory(factory)
