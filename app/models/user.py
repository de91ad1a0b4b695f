"""Staff users: the people who sign in to the dashboard, each with one role."""
from __future__ import annotations

import datetime as dt

from flask_login import UserMixin
from sqlalchemy import Boolean, String
from sqlalchemy.orm import Mapped, mapped_column, validates
from werkzeug import security

from app.extensions import db
from app.models.columns import UTCDateTime, enum_column_type, utcnow
from app.models.enums import Language, Role


class User(UserMixin, db.Model):
    """A staff member: administrator, supervisor, agent or viewer."""

    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(enum_column_type(Role), default=Role.AGENT)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    language: Mapped[Language] = mapped_column(enum_column_type(Language), default=Language.ES)
    # The IANA zone this user reads times in; None: the company's (app.services.clock).
    time_zone: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Bumped to end every session of this user (sign-out, password change, deactivation,
    # "sign out everywhere"): sessions and remember cookies carry the version they began with.
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")

    @validates("email")
    def _normalise(self, _key, value: str) -> str:
        """Addresses are stored lower-case (sign-in and lookups compare exactly)."""
        return (value or "").strip().lower()

    @property
    def is_active(self) -> bool:  # Flask-Login: inactive users cannot sign in
        return self.active

    def get_id(self) -> str:
        """What the session and the remember-me cookie carry: "id:version", so that ending the
        user's sessions (a new version) refuses every cookie issued before."""
        return f"{self.id}:{self.session_version or 0}"

    def set_password(self, password: str) -> None:
        """Store a scrypt hash of the password (Werkzeug's default)."""
        self.password_hash = security.generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        """True when the password matches the stored hash."""
        return security.check_password_hash(self.password_hash, password)

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role.value}>"
