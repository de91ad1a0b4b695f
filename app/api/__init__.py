"""The JSON API at /api/v1 (flask-smorest): bearer tokens only (auth.py), errors answered once
in JSON (errors.py), one module per resource (tickets.py, ticket_actions.py, ticket_files.py,
time_entries.py, reference.py, webhooks.py, billing.py), the schemas that validate requests
and make the OpenAPI 3.1 document (schemas.py), and a readable page of that document served
from the project (/api/v1/docs, ReDoc from app/static/vendor)."""
from __future__ import annotations

from flask import Flask, request
from flask_smorest import Api

from app.api import errors
from app.api.errors import ErrorSchema, is_api_request

API_PREFIX = "/api/v1"
# The docs page runs the vendored ReDoc from this site and loads nothing from elsewhere (its
# "powered by" logo, on a CDN, is refused); ReDoc sets styles inline, draws icons from data:
# URLs and runs its search in a worker it makes from its own code (a blob: URL).
DOCS_CSP = ("default-src 'none'; script-src 'self'; worker-src blob:; "
            "style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; "
            "connect-src 'self'; "
            "frame-ancestors 'none'; base-uri 'none'; form-action 'none'")


class SoporteApi(Api):
    """flask-smorest's Api with the project's error body; its own HTTP error handler is not
    installed (it would answer the dashboard's errors in JSON too): errors.register answers
    the API's."""

    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self):
        """Nothing: app.api.errors.register handles errors under the API's prefix."""


def init_api(app: Flask) -> None:
    """Serve the API under API_PREFIX: its resources, its document and docs page, its JSON
    errors; the dashboard's CSRF check does not apply to it (no cookie signs it in)."""
    from app.api import (billing, rate_limits, reference, ticket_actions, ticket_files,
                         tickets, time_entries, webhooks)
    from app.api.auth import ignore_cookies
    from app.extensions import csrf

    defaults = {
        "SOPORTE_API_PREFIX": API_PREFIX,
        "API_TITLE": "Soporte API",
        "API_VERSION": "1",
        "OPENAPI_VERSION": "3.1.0",
        "OPENAPI_URL_PREFIX": API_PREFIX,
        "OPENAPI_JSON_PATH": "openapi.json",
        "OPENAPI_REDOC_PATH": "/docs",
        "OPENAPI_REDOC_URL": f"{app.static_url_path}/vendor/redoc.standalone.js",
        "API_SPEC_OPTIONS": {
            "components": {"securitySchemes": {"bearer": {
                "type": "http", "scheme": "bearer",
                "description": "A token from the account page or `flask users token`."}}},
            "security": [{"bearer": []}],
            "info": {"description": "Soporte's tickets over the same rules as the dashboard. "
                                    "Errors are JSON with a stable `code`, a `message` in the "
                                    "language of Accept-Language (Spanish by default) and the "
                                    "`field` concerned."},
        },
    }
    for key, value in defaults.items():
        app.config.setdefault(key, value)
    rate_limits.init_rate_limits(app)  # before the document is made: it describes the limit
    api = SoporteApi(app)
    for resource in (tickets, ticket_actions, ticket_files, time_entries, reference, webhooks,
                     billing):
        api.register_blueprint(resource.bp, url_prefix=API_PREFIX + resource.bp.url_prefix)
        csrf.exempt(resource.bp)
    errors.register(app)

    @app.before_request
    def _api_requests_ignore_cookies():
        if is_api_request():
            ignore_cookies()

    @app.after_request
    def _docs_csp(response):
        if request.endpoint == "api-docs.openapi_redoc":
            response.headers["Content-Security-Policy"] = DOCS_CSP
        return response
