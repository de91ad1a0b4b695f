"""Error pages in the user's language that say what to do, instead of the server's English
defaults: a refused permission, a missing page, an expired form, an upload too large, a fault."""
from __future__ import annotations

import logging

from flask import Flask, render_template
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

MESSAGES = {
    400: _l("The request could not be read. Go back, reload the page and try again."),
    403: _l("You do not have permission to see this page. Ask an administrator if you need it."),
    404: _l("This page does not exist. Check the address, or go back to the ticket list."),
    405: _l("This page cannot be used that way. Go back and use its form or link."),
    413: _l("What you sent is too large. Attach smaller files and try again."),
    500: _l("Something went wrong on our side and nothing was saved. Try again; if it happens "
            "again, tell an administrator."),
}
CSRF_MESSAGE = _l("The form expired or did not come from this site. Reload the page and send "
                  "it again.")


def register(app: Flask) -> None:
    """Answer HTTP errors with the error page (its status kept)."""

    @app.errorhandler(CSRFError)
    def _csrf(error: CSRFError):
        return render_template("error.html", message=CSRF_MESSAGE), 400

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
