"""Sign-in and sign-out."""
from flask import Blueprint
from flask_babel import lazy_gettext as _l

bp = Blueprint("auth", __name__)

# Flask-Login flashes this on the sign-in page when a page needs a signed-in user; lazy, so it is
# rendered (localize_callback=str) in the visitor's language at the moment it is flashed.
SIGN_IN_REQUIRED = _l("Sign in to see this page.")

from app.web.auth import routes  # noqa: E402,F401
