"""Mail that needs a person: triage (unknown senders), quarantine (could not be processed),
and outgoing mail that failed."""
from flask import Blueprint

bp = Blueprint("inbox", __name__, url_prefix="/operacion/correo")

from app.web.inbox import routes  # noqa: E402,F401
