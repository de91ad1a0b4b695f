"""Error pages in the user's language that say what to do, instead of the server's English
defaults: a refused permission, a missing page, an expired form, an upload too large, a fault."""
from __future__ import annotations

import logging

from flask import Flask, current_app, render_template, request
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from app.services.errors import DomainError

log = logging.getLogger(__name__)

MESSAGES = {
    400: _l("The request could not be read. Go back, reload the page and try again."),
    403: _l("You do not have permission to see this page. Ask an administrator if you need it."),
    404: _l("This page does not exist. Check the address, or go back to the ticket list."),
    405: _l("This page cannot be used that way. Go back and use its form or link."),
    500: _l("Something went wrong on our side and nothing was saved. Try again; if it happens "
            "again, tell an administrator."),
}
# The HTTP answer to each domain error code: the one table the web adapters (and the API) use.
HTTP_STATUS = {
    "domain_error": 400,
    "validation_failed": 422,
    "search_too_broad": 422,
    "not_permitted": 403,
    "invalid_transition": 409,
    "quote_not_approved": 409,
    "ticket_closed": 409,
    "no_staff_available": 409,
    "not_found": 404,
    "conflict": 409,
    "customer_wrote_again": 409,
    "link_unusable": 410,
    "too_many_attempts": 429,
    "entry_billed": 409,
}


def http_status(error: DomainError) -> int:
    """The HTTP status that answers a domain error."""
    return HTTP_STATUS[error.code]


CHANGED_MEANWHILE = _l("Someone else changed this record at the same moment, and their change was "
                       "kept. Reload the page and make your change again.")
CSRF_MESSAGE = _l("The form expired or did not come from this site. Reload the page and send "
                  "it again.")


def register(app: Flask) -> None:
    """Answer HTTP errors with the error page (its status kept)."""

    @app.errorhandler(CSRFError)
    def _csrf(error: CSRFError):
        from flask import request
        from flask_login import current_user

        from app.extensions import login_manager

        if request.headers.get("HX-Request") and not current_user.is_authenticated:
            # a box refreshing itself after the session (and its CSRF token) is gone: the page
            # goes to sign in, as for any signed-out htmx request
            return login_manager.unauthorized()
        return render_template("error.html", message=CSRF_MESSAGE), 400

    @app.errorhandler(DomainError)
    def _domain(error: DomainError):
        # a refusal no view turned into a message of its own page (a read refused, …)
        return render_template("error.html", message=str(error)), http_status(error)

    @app.errorhandler(StaleDataError)
    def _changed_meanwhile(error: StaleDataError):
        # the optimistic lock (Ticket.lock_version): another request saved the row between this
        # one's read and its write; nothing of this request was saved
        from app.extensions import db

        db.session.rollback()
        return render_template("error.html", message=CHANGED_MEANWHILE), 409

    @app.errorhandler(413)
    def _too_large(error):
        return render_template("error.html", message=too_large_message()), 413

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):
        message = MESSAGES.get(error.code)
        if message is None:
            return error  # redirects and the rarer codes keep Werkzeug's answer
        return render_template("error.html", message=message), error.code

    @app.errorhandler(500)
    def _fault(error):
        log.error("unhandled error: %r", getattr(error, "original_exception", error))
        return render_template("error.html", message=MESSAGES[500]), 500


def too_large_message() -> str:
    """Why a request was refused as too large, with the limit it broke: its total size in MB,
    else its number of parts (files) or the length of one text field."""
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    files = current_app.config["SOPORTE_ATTACHMENT_MAX_COUNT"]
    if limit and (request.content_length or 0) > limit:
        return _("What you sent is larger than the limit of %(limit)s MB for one form. Go back "
                 "to the form: attach fewer or smaller files (at most %(files)s) and send it "
                 "again.", limit=_megabytes(limit), files=files)
    return _("What you sent has too many files or too long a text: a form takes at most "
             "%(files)s files and %(limit)s MB in all. Go back to the form, shorten it or attach "
             "fewer files, and send it again.",
             files=files, limit=_megabytes(limit) if limit else "—")


def _megabytes(size: int) -> str:
    return format_decimal(round(size / (1024 * 1024), 1), format="#,##0.#")
