"""Mailbox passwords at rest: re-encrypting every stored one under the newest key (rotation)."""
from __future__ import annotations

from sqlalchemy import select

from app.encryption import SecretUnreadable, rotate
from app.extensions import db
from app.models.mail import Mailbox


def rotate_mailbox_passwords() -> tuple[int, list[str]]:
    """Re-encrypt every stored mailbox password under the first key of SOPORTE_ENCRYPTION_KEYS
    (flushes; the caller commits): how many were, and a line for each that no key opens."""
    rotated, unreadable = 0, []
    for mailbox in db.session.scalars(select(Mailbox).where(Mailbox.password_encrypted.is_not(None))
                                      .order_by(Mailbox.id)):
        try:
            mailbox.password_encrypted = rotate(mailbox.password_encrypted)
            rotated += 1
        except SecretUnreadable as error:
            unreadable.append(f"mailbox {mailbox.name!r}: {error}")
    db.session.flush()
    return rotated, unreadable
