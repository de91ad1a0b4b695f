"""Staff accounts: creating a user, the password rule, and ending a user's sessions.

Every password set anywhere (CLI, admin) passes `check_new_password`. Every way a user's sessions
must end (sign-out, a password change, deactivation, an administrator's "sign out everywhere")
goes through `end_sessions`, which bumps the user's session version: sessions and remember-me
cookies carry the version they began with (`User.get_id`); `user_for_session` refuses a stale one.
"""
from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy import event

from app.extensions import db
from app.models.enums import Language, Role
from app.models.user import User
from app.services.errors import ValidationFailed
from app.services.uniqueness import taken_by_another

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD = 8
# Django's list of 20,000 common passwords (django/contrib/auth/common-passwords.txt.gz, BSD
# licence; made by Royce Williams from breach corpora), unzipped: lower-case, one a line.
COMMON_PASSWORDS_FILE = Path(__file__).with_name("common_passwords.txt")
_SESSION_TOKEN = re.compile(r"(\d{1,18}):\d{1,18}", re.ASCII)


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords, lower-case (read once)."""
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip())


def check_new_password(password: str, email: str = "") -> None:
    """Refuse a password that is short, common, or the user's own address (ValidationFailed)."""
    password = password or ""
    if len(password) < MIN_PASSWORD:
        raise ValidationFailed(_l("The password needs at least 8 characters."), field="password")
    if password.strip().lower() in common_passwords():
        raise ValidationFailed(_l("This password is among the most common ones and is guessed "
                                  "first. Choose another: a few unrelated words work well."),
                               field="password")
    email = (email or "").strip().lower()
    if email and password.strip().lower() in (email, email.split("@")[0]):
        raise ValidationFailed(_l("The password must not be the email address. Choose another: "
                                  "a few unrelated words work well."), field="password")


def valid_email(value: str) -> str:
    """The address trimmed and lower-case (how every address is stored), or ValidationFailed
    (field "email") when it is not an address."""
    email = (value or "").strip().lower()
    if not EMAIL_RE.match(email) or len(email) > 254:
        raise ValidationFailed(_l("Enter a valid email address."), field="email")
    return email


def normalised_email(value: str, keep: User | None = None) -> str:
    """A staff user's address: valid (valid_email) and no other user's (ValidationFailed); `keep`
    is the user being edited, who may keep their own."""
    email = valid_email(value)
    if taken_by_another(User.email, email, keep):
        raise ValidationFailed(_l("A user with that email already exists."), field="email")
    return email


def role_named(role: Role | str) -> Role:
    """The role, given as a Role or its name in any case; ValidationFailed when unknown."""
    try:
        return role if isinstance(role, Role) else Role(str(role).strip().upper())
    except ValueError:
        raise ValidationFailed(_l("Unknown role. Use ADMIN, SUPERVISOR, AGENT or VIEWER."),
                               field="role") from None


def language_named(value: Language | str) -> Language:
    """The language, given as a Language, its code or its name in any case; ValidationFailed
    when unknown."""
    try:
        return value if isinstance(value, Language) else Language(str(value).strip().lower())
    except ValueError:
        raise ValidationFailed(_l("Pick a language from the list."), field="language") from None


def create_user(email: str, password: str, role: Role | str, name: str = "",
                language: Language | str = Language.ES) -> User:
    """Add a staff user. Raises ValidationFailed (bad or taken email, a weak password (see
    check_new_password), unknown role)."""
    email = normalised_email(email)
    check_new_password(password, email)
    role = role_named(role)
    user = User(email=email, name=name or email.split("@")[0], role=role,
                language=language_named(language), active=True)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def change_password(user: User, password: str) -> None:
    """Set a new password (check_new_password: ValidationFailed) and end every session of the
    user: whoever knew the old one is signed out."""
    check_new_password(password, user.email)
    user.set_password(password)  # ends the sessions (_new_password_ends_sessions)
    db.session.flush()


def end_sessions(user: User) -> None:
    """End every session of this user, in every browser, remember-me cookies included."""
    _next_session_version(user)
    db.session.flush()


def _next_session_version(user: User) -> None:
    """The one place the version moves: every session that carries an older one is refused."""
    user.session_version = (user.session_version or 0) + 1


def user_for_session(token: str) -> User | None:
    """The user a session or remember-me cookie names ("id:version", see User.get_id), or None
    when the user is gone or deactivated or the version is stale (their sessions were ended)."""
    match = _SESSION_TOKEN.fullmatch(token or "")
    if not match:
        return None  # e.g. a cookie from before session versions: sign in again
    user = db.session.get(User, int(match.group(1)))
    if user is None or not user.active or user.get_id() != token:  # a stale or odd version
        return None
    return user


@event.listens_for(User.active, "set", active_history=True)
def _deactivation_ends_sessions(user: User, active, previous, _initiator) -> None:
    """Deactivating a user, whichever adapter does it (admin form, CLI, a script), ends their
    sessions; activating them again later does not bring the old sessions back."""
    if previous is True and not active:
        _next_session_version(user)  # no flush: the attribute is being set mid-change


@event.listens_for(User.password_hash, "set", active_history=True)
def _new_password_ends_sessions(user: User, new_hash, previous, _initiator) -> None:
    """A new password, whichever adapter sets it (User.set_password from the admin, the CLI, a
    script), ends every session of the user: whoever knew the old one is signed out."""
    if isinstance(previous, str) and previous and new_hash != previous:
        _next_session_version(user)  # no flush: the attribute is being set mid-change
