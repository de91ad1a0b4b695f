"""Webhook endpoints and their deliveries."""
from __future__ import annotations

from flask_smorest import Blueprint

from app.api.auth import forget_scopes, require_token

bp = Blueprint("api-webhooks", __name__, url_prefix="/webhooks", description="Webhook endpoints and their deliveries.")
bp.before_request(require_token)
bp.teardown_request(forget_scopes)
