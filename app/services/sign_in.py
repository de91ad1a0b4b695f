"""Signing in: the password check, the same work (one password hash check) for every outcome so
that no answer tells, by its timing, whether an account exists or is deactivated or throttled.

Repeated failures are throttled per account and client address and per address (in the web
adapter, app/web/auth/throttle.py), never per account alone: a stranger cannot lock staff out.
"""
from __future__ import annotations

import math
import secrets
from functools import cache
from typing import NoReturn

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import select
from werkzeug import security

from app.extensions import db
from app.models.user import User
from app.services.errors import NotPermitted


class SignInThrottled(NotPermitted):
    """Too many failed attempts from this address (for this account, or for any)."""

    code = "too_many_attempts"


@cache
def _stand_in_hash() -> str:
    """A hash of a random password made as real ones are (same method and cost), checked when
    there is no usable account so that the answer takes as long as for a real one."""
    return security.generate_password_hash(secrets.token_urlsafe(16))


def authenticate(email: str, password: str) -> User:
    """The active user with this email and password; NotPermitted (one message for every cause:
    unknown address, wrong password, deactivated account)."""
    user = db.session.execute(select(User).where(User.email == (email or "").strip().lower())) \
        .scalar_one_or_none()
    stored = user.password_hash if user is not None else _stand_in_hash()
    matches = security.check_password_hash(stored, password or "")  # always exactly once
    if user is None or not user.active or not matches:
        raise NotPermitted(_l("Wrong email or password. Check them and try again, or ask an "
                              "administrator."))
    return user


def refuse_throttled(password: str, retry_after_seconds: float) -> NoReturn:
    """Raise SignInThrottled (saying when to try again) after the same hash check as any other
    answer, so that a throttled attempt cannot be told apart by its timing either."""
    security.check_password_hash(_stand_in_hash(), password or "")
    minutes = max(1, math.ceil(retry_after_seconds / 60))
    raise SignInThrottled(ngettext(
        "Too many failed sign-in attempts from your address. Try again in %(num)d minute, "
        "or ask an administrator.",
        "Too many failed sign-in attempts from your address. Try again in %(num)d minutes, "
        "or ask an administrator.", minutes))
