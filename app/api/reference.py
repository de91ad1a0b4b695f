"""Reference data: clients, contacts, contracts, projects, ticket types, staff."""
from __future__ import annotations

from flask_smorest import Blueprint

from app.api.auth import forget_scopes, require_token

bp = Blueprint("api-reference", __name__, url_prefix="", description="Reference data: clients, contacts, contracts, projects, ticket types, staff.")
bp.before_request(require_token)
bp.teardown_request(forget_scopes)
