"""The public quote-decision pages: no login; every request carries a signed link token."""
from flask import Blueprint

bp = Blueprint("portal", __name__)

from app.portal import routes  # noqa: E402,F401 - registers the views
