"""A ticket's changes: PATCH with If-Match, and one endpoint per action."""
from __future__ import annotations

from flask_smorest import Blueprint

from app.api.auth import forget_scopes, require_token

bp = Blueprint("api-ticket-actions", __name__, url_prefix="/tickets", description="A ticket's changes: PATCH with If-Match, and one endpoint per action.")
bp.before_request(require_token)
bp.teardown_request(forget_scopes)
