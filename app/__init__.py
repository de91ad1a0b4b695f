"""The Soporte application factory: configure, bind extensions, register blueprints and commands."""
from __future__ import annotations

import os
from pathlib import Path

from flask import Flask, has_request_context, request

from config import BASE_DIR, CONFIGS, INSTANCE_DIR


class ConfigurationError(RuntimeError):
    """The configuration is unusable (for example, no SECRET_KEY in production)."""


def create_app(config_name: str | None = None, overrides: dict | None = None) -> Flask:
    """Build a configured app: bind extensions and register views and commands. No migrations and
    no input; the only I/O is the instance folder (created, and in development and tests the
    generated secret and encryption keys), and link tokens are redacted from this process's logs."""
    app = Flask(
        __name__,
        instance_path=str(INSTANCE_DIR),
        template_folder=str(_project_folder("templates")),
    )
    name = config_name or os.environ.get("SOPORTE_CONFIG", "development")
    app.config.from_object(CONFIGS[name])
    app.config.update(overrides or {})
    if not app.config.get("SECRET_KEY"):
        if not app.config.get("SOPORTE_SECRET_KEY_FROM_INSTANCE"):
            raise ConfigurationError("SECRET_KEY must be set in the environment in production.")
        from app.secret_key import instance_secret_key

        app.config["SECRET_KEY"] = instance_secret_key(Path(app.instance_path))
    from app.services.clock import is_zone

    if not is_zone(app.config["SOPORTE_TIMEZONE"]) and app.config["SOPORTE_TIMEZONE"] != "UTC":
        raise ConfigurationError(f"SOPORTE_TIMEZONE={app.config['SOPORTE_TIMEZONE']!r} is not an "
                                 "IANA time zone (for example Europe/Madrid or America/Bogota).")
    app.config["BABEL_DEFAULT_TIMEZONE"] = app.config["SOPORTE_TIMEZONE"]
    _check_business_calendar(app.config)
    _check_base_url(app.config)
    if app.config.get("SOPORTE_PROXY_HOPS"):
        # Behind a reverse proxy the client's address is in X-Forwarded-For; the sign-in throttle
        # counts per address, so without this every client would share the proxy's.
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = int(app.config["SOPORTE_PROXY_HOPS"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    # As in flaskr: the instance folder holds the embedded SQLite file and attachments.
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    from app import encryption

    encryption.init_app(app)  # secrets at rest: keys from the environment or the instance folder
    from app import logging_setup

    logging_setup.init_app(app)  # first: every request gets its id before any other hook runs
    _init_extensions(app)
    _register(app)
    from app import log_redaction

    log_redaction.install()
    return app


def _project_folder(name: str) -> Path:
    """templates/ or migrations/: inside this package in an installed copy (setup.py puts them
    there, so `pip install .` carries them), else at the checkout's root."""
    packaged = Path(__file__).parent / name
    return packaged if packaged.is_dir() else BASE_DIR / name


def _init_extensions(app: Flask) -> None:
    """Bind the unbound extensions of app.extensions to this app."""
    from app import models  # noqa: F401 - registers every table on the metadata
    from app.database import configure_engine, include_in_autogenerate, render_migration_item
    from app.extensions import babel, csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    from app.services import transaction_reads
    from app.services.sla import stored_due

    stored_due.watch(db.session)  # Ticket.sla_due follows every commit that touches a history
    transaction_reads.watch(db.session)  # reads kept for a transaction, forgotten when stale
    migrate.init_app(app, db, directory=str(_project_folder("migrations")), render_as_batch=True,
                     compare_type=True, render_item=render_migration_item,
                     include_object=include_in_autogenerate)
    from app.web import local_time

    babel.init_app(app, locale_selector=_select_locale, timezone_selector=local_time.reader_zone,
                   default_translation_directories=str(Path(__file__).parent / "translations"))
    from flask_babel import get_locale

    app.jinja_env.globals["get_locale"] = get_locale
    from app.services.branding import current_brand

    # the company's look, for every customer layout: pages, and mail the workers render
    app.jinja_env.globals["company_brand"] = current_brand
    local_time.register(app)  # the templates' local_datetime / local_date filters
    from app.web import number_format

    number_format.register(app)  # the templates' money / hours / filesize filters
    csrf.init_app(app)
    login_manager.init_app(app)
    limiter.init_app(app)
    with app.app_context():
        configure_engine(db.engine)

    login_manager.login_view = "auth.login"
    from app.web.auth import SIGN_IN_REQUIRED

    login_manager.login_message = SIGN_IN_REQUIRED
    login_manager.localize_callback = str  # the lazy message, in the visitor's language
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def _load_user(token: str):
        # Sessions and remember-me cookies carry "id:version": a stale version is refused.
        from app.services.accounts import user_for_session

        return user_for_session(token)


def _select_locale() -> str:
    """The signed-in user's language, else the browser's preference among es/en, else Spanish."""
    from flask import current_app
    from flask_login import current_user

    if getattr(current_user, "is_authenticated", False):
        return current_user.language.value
    if has_request_context():
        return request.accept_languages.best_match(
            current_app.config["BABEL_SUPPORTED_LOCALES"]) or current_app.config["BABEL_DEFAULT_LOCALE"]
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def _register(app: Flask) -> None:
    """Register blueprints and CLI commands."""
    from app.cli import register_commands
    from app.portal import bp as portal_bp

    from app.admin import init_admin
    from app.web import register as register_web

    register_commands(app)
    app.register_blueprint(portal_bp)
    register_web(app)
    init_admin(app)
    from app.api import init_api

    init_api(app)  # last: its errors answer in JSON under /api/, the pages' handlers kept elsewhere
    from app.health import bp as health_bp

    app.register_blueprint(health_bp)  # /healthz, /readyz


def _check_base_url(config) -> None:
    """Links in mail start with SOPORTE_BASE_URL (by default http://127.0.0.1:$PORT): it must
    be an absolute http(s) URL with a usable port, checked at start, not in a customer's mail."""
    from urllib.parse import urlsplit

    url = config["SOPORTE_BASE_URL"]
    try:
        parts = urlsplit(url)
        usable = parts.scheme in ("http", "https") and parts.hostname and (parts.port or 1) > 0
    except ValueError:
        usable = False
    if not usable:
        raise ConfigurationError(f"SOPORTE_BASE_URL={url!r} is not an absolute http(s) URL (for "
                                 "example https://soporte.example.com); without SOPORTE_BASE_URL, "
                                 "PORT must be a port number (see docs/operations.md).")


def _check_business_calendar(config) -> None:
    """The default business calendar's settings must parse: every ticket's service-level clocks
    count in it, so a typo stops the app at start, naming the setting, not every ticket page."""
    from app.services.errors import ValidationFailed
    from app.services.sla.calendars import parse_business_hours, parse_holiday_region

    for name, parse, example in (
            ("SOPORTE_BUSINESS_HOURS", parse_business_hours, "mon-fri 09:00-18:00"),
            ("SOPORTE_HOLIDAYS", parse_holiday_region, "ES, ES-MD, or empty for none")):
        try:
            parse(config[name])
        except ValidationFailed:
            raise ConfigurationError(f"{name}={config[name]!r} cannot be read (for example "
                                     f"{example}); see docs/service_levels.md.") from None
