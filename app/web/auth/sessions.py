"""Keeping this browser signed in when its user's sessions were just ended on purpose."""
from __future__ import annotations

from flask import current_app, request
from flask_login import login_user

from app.models.user import User


def keep_signed_in_here(user: User) -> None:
    """After users end their own sessions (e.g. by setting their password), sign this browser in
    again with the new session version; every other browser stays signed out."""
    if not user.active:
        return
    cookie = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
    login_user(user, remember=cookie in request.cookies, fresh=True)
