"""Time entries: minutes of work logged on a ticket, by whom, on which day, doing what."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.columns import UTCDateTime, utcnow
from app.models.user import User


class TimeEntry(db.Model):
    """Whole minutes (at least one) of work on a ticket."""

    __tablename__ = "time_entry"
    __table_args__ = (CheckConstraint("minutes >= 1", name="minutes_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    minutes: Mapped[int] = mapped_column(Integer)
    work_date: Mapped[dt.date] = mapped_column(Date, index=True)  # selected by period (billing)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    ticket: Mapped["Ticket"] = relationship(back_populates="time_entries")  # noqa: F821
    user: Mapped[User] = relationship()
