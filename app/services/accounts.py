"""Staff accounts: creating a user with a validated email, password and role (CLI and admin)."""
from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.extensions import db
from app.models.enums import Language, Role
from app.models.user import User
from app.services.errors import ValidationFailed

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD = 8


def create_user(email: str, password: str, role: Role | str, name: str = "",
                language: Language | str = Language.ES) -> User:
    """Add a staff user. Raises ValidationFailed (bad or taken email, short password, unknown role)."""
    email = (email or "").strip().lower()
    if not EMAIL_RE.match(email):
        raise ValidationFailed(_l("Enter a valid email address."), field="email")
    if db.session.execute(select(User).where(func.lower(User.email) == email)).first():
        raise ValidationFailed(_l("A user with that email already exists."), field="email")
    if len(password or "") < MIN_PASSWORD:
        raise ValidationFailed(_l("The password needs at least 8 characters."), field="password")
    try:
        role = role if isinstance(role, Role) else Role(str(role).upper())
    except ValueError:
        raise ValidationFailed(_l("Unknown role. Use ADMIN, SUPERVISOR, AGENT or VIEWER."),
                               field="role") from None
    user = User(email=email, name=name or email.split("@")[0], role=role,
                language=Language(language), active=True)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user
