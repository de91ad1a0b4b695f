"""API tokens: a staff user's keys for the JSON API, stored only as a SHA-256 hash of the secret
(app.services.api_tokens makes, checks and revokes them)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.columns import UTCDateTime, utcnow
from app.models.user import User


class ApiToken(db.Model):
    """One token of one user: it acts as that user, its scopes narrowing the user's role."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    # The secret's first characters, shown in lists so its owner can tell tokens apart.
    prefix: Mapped[str] = mapped_column(String(16))
    # hex SHA-256 of the whole secret: the secret itself is shown once and never stored
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # Permission names separated by spaces; empty: the user's whole role.
    scopes: Mapped[str] = mapped_column(String(400), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    @property
    def revoked(self) -> bool:
        """True once the token was revoked: it authenticates nobody any more."""
        return self.revoked_at is not None

    def __repr__(self) -> str:
        return f"<ApiToken {self.prefix}… of user {self.user_id}>"
