"""Webhooks: the endpoints an administrator registers, the events written in the transaction of
the change they tell about (outbox style), one delivery per event and endpoint, and each attempt
of a delivery with the endpoint's answer (app.services.webhooks makes and sends them)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app import encryption
from app.extensions import db
from app.models.columns import UTCDateTime, enum_column_type, utcnow
from app.models.enums import WebhookDeliveryStatus


class WebhookEndpoint(db.Model):
    """A URL that receives the events it subscribes to, signed with its secret.

    The secret (Standard Webhooks: "whsec_" + base64 of its key bytes) is kept encrypted at
    rest like mailbox passwords (app.encryption) and shown only when made. After a rotation
    the previous secret also signs until previous_secret_until, so the receiver can switch.
    """

    __tablename__ = "webhook_endpoint"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str] = mapped_column(String(200), default="")
    # Event types separated by spaces (ticket.created …); empty: every type.
    event_types: Mapped[str] = mapped_column(String(400), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Why it stopped: "gone" (the endpoint answered 410) or "administrator"; None while active.
    disabled_reason: Mapped[str | None] = mapped_column(String(20))
    disabled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    secret_encrypted: Mapped[str] = mapped_column(Text)
    previous_secret_encrypted: Mapped[str | None] = mapped_column(Text)
    previous_secret_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @property
    def subscribed_types(self) -> list[str]:
        """The event types it receives (empty: every type)."""
        return self.event_types.split()

    def receives(self, event_type: str) -> bool:
        """Whether an event of this type is delivered to it (active, and subscribed or all)."""
        return self.active and (not self.event_types or event_type in self.subscribed_types)

    def set_secret(self, secret: str) -> None:
        """Keep this secret, encrypted under the newest key."""
        self.secret_encrypted = encryption.encrypt(secret)

    def secrets(self, now: dt.datetime) -> list[str]:
        """The secrets that sign now: the current one, and the previous one during its overlap;
        encryption.SecretUnreadable when no configured key opens one."""
        found = [encryption.decrypt(self.secret_encrypted)]
        if self.previous_secret_encrypted and self.previous_secret_until \
                and self.previous_secret_until > now:
            found.append(encryption.decrypt(self.previous_secret_encrypted))
        return found

    def __repr__(self) -> str:
        return f"<WebhookEndpoint {self.id} {self.url}>"


class WebhookEvent(db.Model):
    """One event, written with the change it tells about; its body is kept as the exact bytes
    every attempt sends (and signs), and its event_id is the webhook-id of every attempt."""

    __tablename__ = "webhook_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(String(64), unique=True)
    type: Mapped[str] = mapped_column(String(40))
    payload: Mapped[str] = mapped_column(Text)  # the JSON body, as sent
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class WebhookDelivery(db.Model):
    """One event on its way to one endpoint: attempts made, when the next is due, how it ended."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        UniqueConstraint("endpoint_id", "event_id"),
        # the worker's question: what is due now
        Index("ix_webhook_delivery_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoint.id"), index=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("webhook_event.id"), index=True)
    status: Mapped[WebhookDeliveryStatus] = mapped_column(
        enum_column_type(WebhookDeliveryStatus), default=WebhookDeliveryStatus.PENDING)
    # Attempts of the current schedule ("send again" starts a new one); the log keeps them all.
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_attempt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(500))
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    endpoint: Mapped[WebhookEndpoint] = relationship()
    event: Mapped[WebhookEvent] = relationship()
    attempt_log: Mapped[list["WebhookAttempt"]] = relationship(
        back_populates="delivery", order_by="WebhookAttempt.id.desc()")


class WebhookAttempt(db.Model):
    """One POST of a delivery: when, the status code or the error, how long it took, and the
    start of the answer's body."""

    __tablename__ = "webhook_attempt"

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("webhook_delivery.id"), index=True)
    attempted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    status_code: Mapped[int | None] = mapped_column(Integer)
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)
    response_excerpt: Mapped[str | None] = mapped_column(String(500))
    error: Mapped[str | None] = mapped_column(String(500))

    delivery: Mapped[WebhookDelivery] = relationship(back_populates="attempt_log")
