"""Mail records: the outbox of outgoing mail, and every inbound message with its outcome."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import (JSON, BigInteger, Boolean, CheckConstraint, ForeignKey, Index, Integer,
                        String, Text, UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app import encryption
from app.extensions import db
from app.models.columns import UTCDateTime, enum_column_type, utcnow
from app.models.enums import InboundOutcome, OutboxStatus


class OutboxMessage(db.Model):
    """One email waiting to be sent (or sent, or failed) by the outbox worker."""

    __tablename__ = "outbox_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("ticket.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    to_address: Mapped[str] = mapped_column(String(254))
    to_name: Mapped[str] = mapped_column(String(200), default="")
    subject: Mapped[str] = mapped_column(String(998))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    # Our own Message-ID (angle brackets included), stored so that replies thread.
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    in_reply_to: Mapped[str | None] = mapped_column(String(255))
    references: Mapped[str | None] = mapped_column(Text)
    headers: Mapped[dict] = mapped_column(JSON, default=dict)
    attachment_ids: Mapped[list] = mapped_column(JSON, default=list)
    status: Mapped[OutboxStatus] = mapped_column(
        enum_column_type(OutboxStatus), default=OutboxStatus.PENDING, index=True
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    ticket: Mapped["Ticket | None"] = relationship()  # noqa: F821


class InboundMessage(db.Model):
    """One email fetched from a mailbox: where it came from, its raw source, and what became of it.

    (mailbox, uidvalidity, uid) says a server message was already taken;
    dedupe_key (the Message-ID, else a hash of the raw bytes) says its content was.
    """

    __tablename__ = "inbound_message"
    __table_args__ = (
        UniqueConstraint("mailbox", "uidvalidity", "uid"),
        # The poller's rate limit counts a sender's messages of the last hour (mail_ingest.ingest);
        # it also serves every lookup by sender alone, so from_address has no index of its own.
        Index("ix_inbound_message_from_address_received_at", "from_address", "received_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    mailbox: Mapped[str] = mapped_column(String(255))
    uidvalidity: Mapped[int] = mapped_column(BigInteger, default=0)
    uid: Mapped[str] = mapped_column(String(255))
    dedupe_key: Mapped[str | None] = mapped_column(String(1000), unique=True)
    message_id: Mapped[str | None] = mapped_column(String(998), index=True)
    # Outlook's Thread-Index names the conversation in its first 22 bytes (hex here), so a
    # reply that carries only Thread-Index still finds its ticket.
    thread_index: Mapped[str | None] = mapped_column(String(64), index=True)
    raw_sha256: Mapped[str | None] = mapped_column(String(64))
    raw_size: Mapped[int] = mapped_column(BigInteger, default=0)
    from_address: Mapped[str] = mapped_column(String(254), default="")
    subject: Mapped[str] = mapped_column(String(998), default="")
    outcome: Mapped[InboundOutcome] = mapped_column(enum_column_type(InboundOutcome), index=True)
    reason: Mapped[str | None] = mapped_column(String(255))
    error: Mapped[str | None] = mapped_column(Text)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("ticket.id"), index=True)
    note_id: Mapped[int | None] = mapped_column(ForeignKey("note.id"))
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("inbound_message.id"))
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    processed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    ticket: Mapped["Ticket | None"] = relationship()  # noqa: F821
    note: Mapped["Note | None"] = relationship()  # noqa: F821


class InboundHighWater(db.Model):
    """How far a mailbox has been read at one UIDVALIDITY: every message the server listed with a
    UID at or below `uid` has its InboundMessage (which stays the proof of exactly-once), so a
    poll asks the server only for the UIDs above it (mail_ingest.high_water)."""

    __tablename__ = "inbound_high_water"
    __table_args__ = (
        UniqueConstraint("mailbox", "uidvalidity"),
        CheckConstraint("uid >= 0", name="uid_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    mailbox: Mapped[str] = mapped_column(String(255))
    uidvalidity: Mapped[int] = mapped_column(BigInteger)
    uid: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Mailbox(db.Model):
    """A mailbox the poller reads, added by an administrator (beside SOPORTE_INBOX_URL).

    The URL has the form of SOPORTE_INBOX_URL (imap://user@host:port/INBOX, imaps://…,
    imap+starttls://…, maildir:///path) without its password: the password is kept apart,
    encrypted (app.encryption), decrypted only when the poller connects, and never shown.
    """

    __tablename__ = "mailbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    url: Mapped[str] = mapped_column(String(1000))
    # The password, encrypted at rest (Fernet, keys from the environment); never rendered back.
    password_encrypted: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __str__(self) -> str:
        return self.name

    def set_password(self, password: str | None) -> None:
        """Keep this password, encrypted under the newest key (empty or None: no password)."""
        self.password_encrypted = encryption.encrypt(password) if password else None

    def password(self) -> str:
        """The password, decrypted ("" when there is none); encryption.SecretUnreadable when no
        configured key opens it."""
        return encryption.decrypt(self.password_encrypted) if self.password_encrypted else ""
