"""What the API's tests share: a bearer token for a user, and the check of an error answer."""
from __future__ import annotations

from app.extensions import db
from app.services import api_tokens

API = "/api/v1"
ROLES = ("viewer", "agent", "supervisor", "admin")


def bearer(user, scopes: str = "") -> dict:
    """Headers that sign a request in as `user` with a new token (its whole role, or the
    scopes named)."""
    new = api_tokens.create_token(user, user, "pruebas", scopes)
    db.session.commit()
    return {"Authorization": f"Bearer {new.secret}"}


def assert_error(response, status: int, code: str) -> dict:
    """The response is the API's JSON error with this status and code; returns its body."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.content_type == "application/json"
    body = response.get_json()
    assert body["code"] == code and body["message"] and "field" in body
    return body
