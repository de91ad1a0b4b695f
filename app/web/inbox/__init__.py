"""Mail that needs a person: triage (unknown senders) and quarantine (could not be processed)."""
from flask import Blueprint

bp = Blueprint("inbox", __name__, url_prefix="/operacion/correo")

from app.web.inbox import routes  # noqa: E402,F401
