"""Quotes: versioned price, estimated hours and currency offered to the customer for a ticket."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.columns import UTCDateTime, enum_column_type, utcnow
from app.models.enums import DecisionChannel, QuoteStatus
from app.models.user import User


class Quote(db.Model):
    """One version of a ticket's quote; a newer version supersedes every older one."""

    __tablename__ = "quote"
    __table_args__ = (UniqueConstraint("ticket_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), index=True)
    version: Mapped[int] = mapped_column()
    price: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    estimated_hours: Mapped[Decimal] = mapped_column(Numeric(8, 2))
    currency: Mapped[str] = mapped_column(String(3))
    message: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[QuoteStatus] = mapped_column(
        enum_column_type(QuoteStatus), default=QuoteStatus.QUOTED
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    decided_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    decided_by_label: Mapped[str | None] = mapped_column(String(300))
    decision_channel: Mapped[DecisionChannel | None] = mapped_column(
        enum_column_type(DecisionChannel)
    )
    decision_note: Mapped[str | None] = mapped_column(Text)
    # The billing batch that billed this (approved, fixed-price) quote; a quote is billed once.
    billing_batch_id: Mapped[int | None] = mapped_column(ForeignKey("billing_batch.id"),
                                                         index=True)

    ticket: Mapped["Ticket"] = relationship(back_populates="quotes")  # noqa: F821
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    decided_by_user: Mapped[User | None] = relationship(foreign_keys=[decided_by_user_id])
    billing_batch: Mapped["BillingBatch | None"] = relationship(  # noqa: F821
        back_populates="quotes")
