"""A ticket's files (uploaded and downloaded) and its timeline."""
from __future__ import annotations

from flask_smorest import Blueprint

from app.api.auth import forget_scopes, require_token

bp = Blueprint("api-ticket-files", __name__, url_prefix="/tickets", description="A ticket's files (uploaded and downloaded) and its timeline.")
bp.before_request(require_token)
bp.teardown_request(forget_scopes)
