"""Configuration classes: defaults for the embedded setup, overridden by environment variables.

Secrets come only from the environment. `SOPORTE_CONFIG` picks the class
(`development`, the default; `testing`; `production`).
"""
from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("SOPORTE_INSTANCE_DIR", BASE_DIR / "instance"))


def _database_url() -> str:
    """DATABASE_URL, normalised so `postgres://` and `postgresql://` use psycopg 3."""
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{INSTANCE_DIR / 'soporte.db'}"
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _base_url() -> str:
    """SOPORTE_BASE_URL, else the app on this machine at PORT (5000 when unset): `make run
    PORT=5001` exports PORT to the web app and every worker, so links in mail follow the port."""
    explicit = os.environ.get("SOPORTE_BASE_URL", "").strip()
    if explicit:
        return explicit
    return f"http://127.0.0.1:{os.environ.get('PORT', '').strip() or '5000'}"


class Config:
    """Settings shared by every environment."""

    SECRET_KEY = os.environ.get("SECRET_KEY")
    # Without SECRET_KEY: refuse to start (production), or use instance/secret_key (see below).
    SOPORTE_SECRET_KEY_FROM_INSTANCE = False
    SQLALCHEMY_DATABASE_URI = _database_url()
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    SOPORTE_TICKET_PREFIX = os.environ.get("SOPORTE_TICKET_PREFIX", "TCK-")
    SOPORTE_ATTACHMENT_DIR = os.environ.get(
        "SOPORTE_ATTACHMENT_DIR", str(INSTANCE_DIR / "attachments")
    )
    SOPORTE_ATTACHMENT_MAX_BYTES = int(
        os.environ.get("SOPORTE_ATTACHMENT_MAX_BYTES", 25 * 1024 * 1024)
    )
    # One request's total size and number of parts (over either: a 413 page stating the limit),
    # and the files one ticket, note or reply may attach (refused by the attachments service).
    MAX_CONTENT_LENGTH = int(os.environ.get("SOPORTE_REQUEST_MAX_BYTES", 50 * 1024 * 1024))
    MAX_FORM_PARTS = int(os.environ.get("SOPORTE_REQUEST_MAX_PARTS", 300))
    SOPORTE_ATTACHMENT_MAX_COUNT = int(os.environ.get("SOPORTE_ATTACHMENT_MAX_COUNT", 20))
    SOPORTE_MAIL_DIR = os.environ.get("SOPORTE_MAIL_DIR", str(INSTANCE_DIR / "mail"))
    # The raw source of every inbound email (app.storage.raw_mail_store); empty: SOPORTE_MAIL_DIR/raw.
    # It grows with all the mail ever received: it may live on another disk.
    SOPORTE_RAW_MAIL_DIR = os.environ.get("SOPORTE_RAW_MAIL_DIR", "")
    # Sent mail keeps its body this many days, then only its headers (Message-ID, References:
    # replies still thread); 0 keeps every body (app.services.outbox.prune_sent_bodies).
    SOPORTE_OUTBOX_KEEP_DAYS = int(os.environ.get("SOPORTE_OUTBOX_KEEP_DAYS", 90))
    SOPORTE_INBOX_URL = os.environ.get("SOPORTE_INBOX_URL", f"maildir://{INSTANCE_DIR / 'inbox'}")
    SOPORTE_INGEST_MAX_BYTES = int(os.environ.get("SOPORTE_INGEST_MAX_BYTES", 50 * 1024 * 1024))
    SOPORTE_INGEST_RATE_LIMIT = int(os.environ.get("SOPORTE_INGEST_RATE_LIMIT", 30))
    # How long one query of a list's text search may run before the list says to narrow it
    # (app.services.search_budget); 0: no limit.
    SOPORTE_SEARCH_TIME_LIMIT_MS = int(os.environ.get("SOPORTE_SEARCH_TIME_LIMIT_MS", 4000))
    SOPORTE_POLL_INTERVAL = float(os.environ.get("SOPORTE_POLL_INTERVAL", 10))
    # How often an open ticket page tells who else has it open (collision detection).
    SOPORTE_PRESENCE_REFRESH_SECONDS = int(os.environ.get("SOPORTE_PRESENCE_REFRESH_SECONDS", 15))
    SOPORTE_SMTP_URL = os.environ.get("SOPORTE_SMTP_URL", f"file://{INSTANCE_DIR / 'outbox'}")
    SOPORTE_QUOTE_LINK_DAYS = int(os.environ.get("SOPORTE_QUOTE_LINK_DAYS", 30))
    # The closing email's rating link works this many days; its page takes this many POSTs
    # refused (a wrong score, a used link) per client address (app.portal.rating).
    SOPORTE_RATING_LINK_DAYS = int(os.environ.get("SOPORTE_RATING_LINK_DAYS", 60))
    SOPORTE_RATING_POST_LIMIT = os.environ.get("SOPORTE_RATING_POST_LIMIT", "30 per hour")
    # A customer's ticket link (the "view the ticket" link of every mail) works this many days;
    # replies from its page per client address, and requests for new links per client address
    # and per address typed (Flask-Limiter's notation; app.portal.tickets).
    SOPORTE_PORTAL_LINK_DAYS = int(os.environ.get("SOPORTE_PORTAL_LINK_DAYS", 30))
    SOPORTE_PORTAL_REPLY_LIMIT = os.environ.get("SOPORTE_PORTAL_REPLY_LIMIT", "60 per hour")
    SOPORTE_PORTAL_LINK_REQUEST_LIMIT = os.environ.get("SOPORTE_PORTAL_LINK_REQUEST_LIMIT",
                                                       "10 per hour")
    SOPORTE_PORTAL_LINK_REQUEST_LIMIT_PER_ADDRESS = os.environ.get(
        "SOPORTE_PORTAL_LINK_REQUEST_LIMIT_PER_ADDRESS", "3 per hour")
    SOPORTE_SUPPORT_ADDRESS = os.environ.get("SOPORTE_SUPPORT_ADDRESS", "soporte@localhost")
    SOPORTE_SUPPORT_NAME = os.environ.get("SOPORTE_SUPPORT_NAME", "Soporte")
    # The currency a new quote starts in (ISO 4217); the quote form may change it.
    SOPORTE_CURRENCY = os.environ.get("SOPORTE_CURRENCY", "EUR").upper()
    # The hourly rate of time on a ticket whose contract and client set none, in
    # SOPORTE_CURRENCY (a decimal string; app.services.billing.rates).
    SOPORTE_DEFAULT_HOURLY_RATE = os.environ.get("SOPORTE_DEFAULT_HOURLY_RATE", "50.00")
    # The start of every link in mail (quote links): see _base_url.
    SOPORTE_BASE_URL = _base_url()
    # "json": every log line is one JSON object with its context (app/logging_setup.py);
    # anything else: the usual text lines.
    SOPORTE_LOG_FORMAT = os.environ.get("SOPORTE_LOG_FORMAT", "text").strip().lower()
    # A ticket arriving by email unassigned is always in the supervisors' dashboard; with this
    # on ("1", "true", "yes", "on"), each active supervisor is emailed as well.
    SOPORTE_NOTIFY_SUPERVISORS_BY_EMAIL = os.environ.get(
        "SOPORTE_NOTIFY_SUPERVISORS_BY_EMAIL", "").strip().lower() in ("1", "true", "yes", "on")
    # Fernet keys for secrets at rest, comma-separated, newest first (see app/encryption.py).
    # Without them: refuse to start (production), or use instance/encryption_key (see below).
    SOPORTE_ENCRYPTION_KEYS = os.environ.get("SOPORTE_ENCRYPTION_KEYS", "")
    SOPORTE_ENCRYPTION_KEY_FROM_INSTANCE = False
    # Webhooks (app/services/webhooks): networks (CIDRs, comma-separated) that endpoints may
    # reach although private, loopback or link-local (none by default: only public addresses);
    # seconds per connection step; hours a rotated secret keeps signing; the sender's pause.
    SOPORTE_WEBHOOKS_ALLOWED_NETWORKS = os.environ.get("SOPORTE_WEBHOOKS_ALLOWED_NETWORKS", "")
    SOPORTE_WEBHOOKS_TIMEOUT = float(os.environ.get("SOPORTE_WEBHOOKS_TIMEOUT", 10))
    SOPORTE_WEBHOOKS_SECRET_OVERLAP_HOURS = int(
        os.environ.get("SOPORTE_WEBHOOKS_SECRET_OVERLAP_HOURS", 24))
    SOPORTE_WEBHOOKS_POLL_INTERVAL = float(os.environ.get("SOPORTE_WEBHOOKS_POLL_INTERVAL", 5))
    SOPORTE_WEBHOOKS_KEEP_DAYS = int(os.environ.get("SOPORTE_WEBHOOKS_KEEP_DAYS", 90))
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    # "Keep me signed in" lasts this long (Flask-Login's default is a year); signing out, a new
    # password or deactivation ends it sooner (app/services/accounts.py: end_sessions).
    REMEMBER_COOKIE_DURATION = dt.timedelta(days=int(os.environ.get("SOPORTE_REMEMBER_DAYS", 14)))
    # Failed sign-ins (Flask-Limiter): per account and client address, and per address.
    # memory:// counts per process; with several workers use e.g. redis://host:6379/0.
    RATELIMIT_STORAGE_URI = os.environ.get("SOPORTE_RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True  # storage down: count per process, never a 500
    SOPORTE_SIGN_IN_LIMIT_PER_ACCOUNT = os.environ.get("SOPORTE_SIGN_IN_LIMIT_PER_ACCOUNT",
                                                       "5 per 15 minutes")
    SOPORTE_SIGN_IN_LIMIT_PER_ADDRESS = os.environ.get("SOPORTE_SIGN_IN_LIMIT_PER_ADDRESS",
                                                       "30 per 15 minutes")
    # Requests to the API per token (or per client address without a valid token), in
    # Flask-Limiter's notation; several separated by ";", empty for none (app/api/rate_limits.py).
    SOPORTE_API_RATE_LIMIT = os.environ.get("SOPORTE_API_RATE_LIMIT", "600 per minute")
    # Reverse proxies in front of the app that set X-Forwarded-For (0: clients connect directly).
    SOPORTE_PROXY_HOPS = int(os.environ.get("SOPORTE_PROXY_HOPS", 0))
    BABEL_DEFAULT_LOCALE = "es"
    BABEL_SUPPORTED_LOCALES = ("es", "en")
    # The company's time zone (IANA): "today", work dates, date filters and displayed times follow
    # it (app.services.clock); each user may choose another zone for display.
    SOPORTE_TIMEZONE = os.environ.get("SOPORTE_TIMEZONE", "Europe/Madrid")
    BABEL_DEFAULT_TIMEZONE = SOPORTE_TIMEZONE
    # Service levels (app.services.sla): the default calendar's business hours in that zone
    # ("mon-fri 09:00-14:00,15:00-18:00; sat 10:00-13:00"), its holidays (a country of the
    # `holidays` package, optionally "-" a subdivision: "ES", "ES-MD"; empty for none), and the
    # share of a target's time after which its warning is given (percent).
    SOPORTE_BUSINESS_HOURS = os.environ.get("SOPORTE_BUSINESS_HOURS", "mon-fri 09:00-18:00")
    SOPORTE_HOLIDAYS = os.environ.get("SOPORTE_HOLIDAYS", "ES")
    SOPORTE_SLA_WARN_PERCENT = int(os.environ.get("SOPORTE_SLA_WARN_PERCENT", 80))
    # The supervisors' daily digest at this local time (HH:MM, in each one's own zone), and how
    # often `flask sla tick` runs the due checks and digests (seconds).
    SOPORTE_SLA_DIGEST_TIME = os.environ.get("SOPORTE_SLA_DIGEST_TIME", "08:00")
    SOPORTE_SLA_TICK_SECONDS = int(os.environ.get("SOPORTE_SLA_TICK_SECONDS", 60))


class DevelopmentConfig(Config):
    """The embedded default: SQLite under instance/; without SECRET_KEY, a random key made once in
    instance/secret_key (never a constant: anyone can read the source)."""

    SOPORTE_SECRET_KEY_FROM_INSTANCE = True
    SOPORTE_ENCRYPTION_KEY_FROM_INSTANCE = True


class TestingConfig(Config):
    """Used by the test suite; DATABASE_URL is set by the tests themselves."""

    TESTING = True
    SOPORTE_SECRET_KEY_FROM_INSTANCE = True
    SOPORTE_ENCRYPTION_KEY_FROM_INSTANCE = True
    WTF_CSRF_ENABLED = False
    # A test sends many requests with one token (the API's own limit test lowers it).
    SOPORTE_API_RATE_LIMIT = "100000 per minute"


class ProductionConfig(Config):
    """Production: SECRET_KEY is required (checked in create_app); cookies only over TLS."""

    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}
