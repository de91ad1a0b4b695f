"""The public quote-decision and rating pages: no login; every request carries a signed link
token."""
from flask import Blueprint, render_template
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError

from app.services.errors import LinkProblem
from app.web.errors import CSRF_MESSAGE

bp = Blueprint("portal", __name__)


@bp.errorhandler(CSRFError)
def _form_expired(_error: CSRFError):
    """A customer's form sent without its page's token (expired, or not from this site): the
    customer's page with the company's look, not the dashboard's error page (400)."""
    problem = LinkProblem("form_expired", CSRF_MESSAGE)
    return render_template("portal/link_problem.html", error=problem,
                           heading=_("The form expired")), 400

# URL paths whose next segment is a signed token that grants a decision: kept out of every log
# (app/log_redaction.py), since anyone who reads a log line could otherwise use the link.
TOKEN_PATH_PREFIXES = ("/cotizacion/", "/portal/valorar/", "/portal/t/")

from app.portal import routes  # noqa: E402,F401 - registers the views
from app.portal import rating  # noqa: E402,F401 - the rating pages
from app.portal import tickets  # noqa: E402,F401 - the customer's ticket pages
from app.portal import branding  # noqa: E402,F401 - the company's look, the logo's address
