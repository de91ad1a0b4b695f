"""Service levels: business-hours calendars (time zone, weekly windows, holidays) and the response
and resolution targets per urgency, optionally per contract (app.services.sla)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import (Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.client import Contract
from app.models.columns import UTCDateTime, enum_column_type, utcnow
from app.models.enums import SlaAlertLevel, SlaClock, Urgency


class BusinessCalendar(db.Model):
    """A named calendar of business hours in an IANA time zone; a client or contract may use it
    instead of the configured default (app.services.sla.calendars)."""

    __tablename__ = "business_calendar"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    time_zone: Mapped[str] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    windows: Mapped[list[BusinessWindow]] = relationship(
        back_populates="calendar", cascade="all, delete-orphan",
        order_by="(BusinessWindow.weekday, BusinessWindow.start_minute)")
    holidays: Mapped[list[CalendarHoliday]] = relationship(
        back_populates="calendar", cascade="all, delete-orphan", order_by="CalendarHoliday.day")

    def __str__(self) -> str:
        return self.name


class BusinessWindow(db.Model):
    """One window of business hours on a weekday (0 Monday … 6 Sunday), in minutes from the
    local midnight: 09:00-18:00 is 540-1080; 1440 is the end of the day (24:00)."""

    __tablename__ = "business_window"
    __table_args__ = (
        CheckConstraint("weekday >= 0 AND weekday <= 6", name="weekday_range"),
        CheckConstraint("start_minute >= 0 AND start_minute < end_minute AND end_minute <= 1440",
                        name="minutes_ordered"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    calendar_id: Mapped[int] = mapped_column(ForeignKey("business_calendar.id"), index=True)
    weekday: Mapped[int] = mapped_column(Integer)
    start_minute: Mapped[int] = mapped_column(Integer)
    end_minute: Mapped[int] = mapped_column(Integer)

    calendar: Mapped[BusinessCalendar] = relationship(back_populates="windows")


class CalendarHoliday(db.Model):
    """A day without business hours in one calendar (seeded from the `holidays` package,
    editable by administrators)."""

    __tablename__ = "calendar_holiday"
    __table_args__ = (UniqueConstraint("calendar_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    calendar_id: Mapped[int] = mapped_column(ForeignKey("business_calendar.id"), index=True)
    day: Mapped[dt.date] = mapped_column(Date)
    name: Mapped[str] = mapped_column(String(200), default="")

    calendar: Mapped[BusinessCalendar] = relationship(back_populates="holidays")

    def __str__(self) -> str:
        return f"{self.day.isoformat()} {self.name}".strip()


class SlaTarget(db.Model):
    """The targets of one urgency, in business minutes, overriding the defaults
    (app.services.sla.targets): for every contract (contract_id NULL) or for one contract.

    One row per urgency and contract: the unique key holds where a contract is named; where none
    is, PostgreSQL and SQLite treat NULLs as distinct, so a partial unique index holds it."""

    __tablename__ = "sla_target"
    __table_args__ = (
        UniqueConstraint("contract_id", "urgency"),
        CheckConstraint("first_response_minutes > 0", name="first_response_positive"),
        CheckConstraint("next_response_minutes > 0", name="next_response_positive"),
        CheckConstraint("resolution_minutes > 0", name="resolution_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    urgency: Mapped[Urgency] = mapped_column(enum_column_type(Urgency))
    contract_id: Mapped[int | None] = mapped_column(ForeignKey("contract.id"), index=True)
    first_response_minutes: Mapped[int] = mapped_column(Integer)
    next_response_minutes: Mapped[int] = mapped_column(Integer)
    resolution_minutes: Mapped[int] = mapped_column(Integer)

    contract: Mapped[Contract | None] = relationship()


Index("uq_sla_target_urgency_without_contract", SlaTarget.urgency, unique=True,
      sqlite_where=SlaTarget.contract_id.is_(None),
      postgresql_where=SlaTarget.contract_id.is_(None))


class SlaAlert(db.Model):
    """An escalation alert given once (app.services.sla.escalation): a warning or the breach of
    one clock of a ticket in one cycle (the clock's start: each customer message starts its own
    next-response cycle). The unique key makes it once."""

    __tablename__ = "sla_alert"
    __table_args__ = (UniqueConstraint("ticket_id", "cycle", "clock", "level"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"))
    clock: Mapped[SlaClock] = mapped_column(enum_column_type(SlaClock))
    cycle: Mapped[str] = mapped_column(String(40))
    level: Mapped[SlaAlertLevel] = mapped_column(enum_column_type(SlaAlertLevel))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class SlaDigest(db.Model):
    """A supervisor's daily digest, sent once per local day (app.services.sla.digest)."""

    __tablename__ = "sla_digest"
    __table_args__ = (UniqueConstraint("user_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    day: Mapped[dt.date] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class SlaTickState(db.Model):
    """What `flask sla tick` remembers between runs (app.services.sla.ticks): the fingerprint of
    the targets, calendars, holidays and settings its stored check times were computed with,
    and the company's day of its last sweep of every open ticket. One row (id 1)."""

    __tablename__ = "sla_tick_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64), default="")
    swept_on: Mapped[dt.date | None] = mapped_column(Date)
