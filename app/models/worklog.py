"""Time entries: minutes of work logged on a ticket, by whom, on which day, doing what, and the
money they are worth; billing batches, which lock the entries (and bill the quotes) they billed,
and the billing warnings already given (each once)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import (Boolean, CheckConstraint, Date, ForeignKey, Integer, Numeric, String,
                        Text, UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.client import Client, Contract
from app.models.columns import UTCDateTime, enum_column_type, utcnow
from app.models.enums import BillingAlertKind
from app.models.user import User


class BillingBatch(db.Model):
    """A numbered billing run of a period (optionally one client's): the time entries it billed
    cannot be edited or deleted until a supervisor unlocks it (unlocked_at, unlocked_by)."""

    __tablename__ = "billing_batch"
    __table_args__ = (CheckConstraint("period_to >= period_from", name="period_ordered"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    period_from: Mapped[dt.date] = mapped_column(Date)
    period_to: Mapped[dt.date] = mapped_column(Date)
    client_id: Mapped[int | None] = mapped_column(ForeignKey("client.id"), index=True)
    contract_id: Mapped[int | None] = mapped_column(ForeignKey("contract.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    unlocked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    unlocked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    # Marked paid (app.services.billing.payment): its tickets' payment status follows.
    paid_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    paid_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    client: Mapped[Client | None] = relationship()
    contract: Mapped[Contract | None] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    unlocked_by: Mapped[User | None] = relationship(foreign_keys=[unlocked_by_id])
    paid_by: Mapped[User | None] = relationship(foreign_keys=[paid_by_id])
    quotes: Mapped[list["Quote"]] = relationship(back_populates="billing_batch",  # noqa: F821
                                                 order_by="Quote.id")
    entries: Mapped[list[TimeEntry]] = relationship(back_populates="billing_batch",
                                                    order_by="TimeEntry.id")

    @property
    def is_locked(self) -> bool:
        """Its entries are locked until a supervisor unlocks the batch."""
        return self.unlocked_at is None

    def __str__(self) -> str:
        return self.number


class TimeEntry(db.Model):
    """Whole minutes (at least one) of work on a ticket, valued when logged.

    rate, currency and amount are the valuation at logging time, of the minutes not covered by a
    quote or an hour bank (app.services.billing.rates):
    a later change of rate never changes them. All three are NULL on an entry logged before
    rates existed ("not valued": migration 7b3c4d5e6f70). `billable` says whether the entry is
    billed at all; a non-billable entry keeps its amount. `note` is the entry's description.
    """

    __tablename__ = "time_entry"
    __table_args__ = (
        CheckConstraint("minutes >= 1", name="minutes_positive"),
        CheckConstraint("rate > 0", name="rate_positive"),
        CheckConstraint("amount >= 0", name="amount_not_negative"),
        CheckConstraint("covered_minutes >= 0 AND covered_minutes <= minutes",
                        name="covered_within_minutes"),
        CheckConstraint("(rate IS NULL AND currency IS NULL AND amount IS NULL) OR "
                        "(rate IS NOT NULL AND currency IS NOT NULL AND amount IS NOT NULL)",
                        name="valued_together"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    minutes: Mapped[int] = mapped_column(Integer)
    work_date: Mapped[dt.date] = mapped_column(Date, index=True)  # selected by period (billing)
    note: Mapped[str] = mapped_column(Text, default="")
    billable: Mapped[bool] = mapped_column(Boolean, default=True)
    rate: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    currency: Mapped[str | None] = mapped_column(String(3))
    amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    # Minutes covered by a fixed price, when logged: drawn from the contract's hour bank, or
    # within the approved quote's hours (app.services.billing.coverage). amount values only the
    # rest: (minutes - covered_minutes) / 60 × rate.
    covered_minutes: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    billing_batch_id: Mapped[int | None] = mapped_column(ForeignKey("billing_batch.id"),
                                                         index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    ticket: Mapped["Ticket"] = relationship(back_populates="time_entries")  # noqa: F821
    user: Mapped[User] = relationship()
    billing_batch: Mapped[BillingBatch | None] = relationship(back_populates="entries")

    @property
    def is_billed(self) -> bool:
        """Included in a billing batch (whether or not that batch was unlocked since)."""
        return self.billing_batch_id is not None

    @property
    def is_locked(self) -> bool:
        """Billed in a batch that is still locked: no edit, no delete."""
        return self.billing_batch is not None and self.billing_batch.is_locked


class BillingAlert(db.Model):
    """A billing warning given once: a contract's hour bank (subject: the contract) in a period
    ("2026-11" or "contract"), or a ticket's hours against quote version N (subject: the ticket,
    period "v<N>"), at a threshold percent (80, 100). The unique key makes it once."""

    __tablename__ = "billing_alert"
    __table_args__ = (UniqueConstraint("kind", "subject_id", "period", "threshold"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[BillingAlertKind] = mapped_column(enum_column_type(BillingAlertKind))
    subject_id: Mapped[int] = mapped_column(Integer)
    period: Mapped[str] = mapped_column(String(20))
    threshold: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
