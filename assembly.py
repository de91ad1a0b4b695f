"""The composition root: the whole service, the web app with the mail poller plugged in.

`app` (the web, admin, portal, services) and `mail_ingest` (the poller) do not import each
other's adapters: the app never imports the poller, and the poller only calls app.services.
They meet here, and every entry point builds its app here: wsgi.py (`flask` and gunicorn),
the tests and the benchmarks.
"""
from __future__ import annotations

from flask import Flask

import mail_ingest
from app import create_app


def build_app(config_name: str | None = None, overrides: dict | None = None) -> Flask:
    """The configured app (app.create_app) with the poller's commands and processing plugged
    in (mail_ingest.init_app)."""
    app = create_app(config_name, overrides)
    mail_ingest.init_app(app)
    return app
