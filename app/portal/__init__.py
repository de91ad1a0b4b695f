"""The public quote-decision and rating pages: no login; every request carries a signed link
token."""
from flask import Blueprint

bp = Blueprint("portal", __name__)

# URL paths whose next segment is a signed token that grants a decision: kept out of every log
# (app/log_redaction.py), since anyone who reads a log line could otherwise use the link.
TOKEN_PATH_PREFIXES = ("/cotizacion/", "/portal/valorar/", "/portal/t/")

from app.portal import routes  # noqa: E402,F401 - registers the views
from app.portal import rating  # noqa: E402,F401 - the rating pages
from app.portal import tickets  # noqa: E402,F401 - the customer's ticket pages
from app.portal import branding  # noqa: E402,F401 - the company's look, the logo's address
from app.portal import form_expired  # noqa: E402,F401 - a form refused for its CSRF token
