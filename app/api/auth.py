"""The API's only way in: `Authorization: Bearer <token>` (app.services.api_tokens). No cookie
signs a request in and no session is kept, so there is no CSRF to guard against; the acting
user's narrowing to its token's scopes lasts for the request only."""
from __future__ import annotations

from flask import abort, g, request
from flask_login import AnonymousUserMixin

from app.extensions import db
from app.models.user import User
from app.services import api_tokens
from app.services.permissions import narrowed_to_scopes


def ignore_cookies() -> None:
    """Before any request under the API's prefix: the dashboard's session cookie signs nobody
    in (and so never picks the language: Accept-Language does)."""
    g._login_user = AnonymousUserMixin()  # Flask-Login reads the current user from here


def require_token() -> None:
    """Before each API view: the bearer token's user becomes the actor, else a 401."""
    scheme, _, secret = (request.headers.get("Authorization") or "").partition(" ")
    user = api_tokens.authenticate(secret.strip()) if scheme.lower() == "bearer" else None
    if user is None:
        db.session.rollback()
        abort(401)
    db.session.commit()  # the token's last use, kept even when the action is refused
    g.api_user = user


def acting_user() -> User:
    """The user the request's token acts as (narrowed to its scopes)."""
    return g.api_user


def forget_scopes(_error=None) -> None:
    """After the request: the loaded user is no longer narrowed (a test, or anything else
    sharing the session, sees the user's whole role)."""
    user = g.pop("api_user", None)
    if user is not None:
        narrowed_to_scopes(user, None)
