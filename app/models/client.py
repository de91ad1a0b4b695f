"""Clients and what belongs to them: email domains, contacts, contracts, projects; ticket types."""
from __future__ import annotations

import datetime as dt

from decimal import Decimal

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from app.extensions import db
from app.models.columns import UTCDateTime, enum_column_type, utcnow
from app.models.enums import BankPeriod, Language


class Client(db.Model):
    """A company or person we support."""

    __tablename__ = "client"
    __table_args__ = (CheckConstraint("hourly_rate > 0", name="hourly_rate_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    # The client's rate per hour of work and its currency (ISO 4217); None: the configured
    # default (app.services.billing.rates). A contract of the client may override either.
    hourly_rate: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    currency: Mapped[str | None] = mapped_column(String(3))
    # The key another system (an ERP) knows the row by: its upserts find the row by it.
    external_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The business-hours calendar of the client's tickets; None: the configured default
    # (app.services.sla.calendars.calendar_for; a contract's calendar comes first).
    calendar_id: Mapped[int | None] = mapped_column(ForeignKey("business_calendar.id"))

    domains: Mapped[list[ClientDomain]] = relationship(
        back_populates="client", cascade="all, delete-orphan"
    )
    contacts: Mapped[list[Contact]] = relationship(back_populates="client")
    contracts: Mapped[list[Contract]] = relationship(back_populates="client")
    projects: Mapped[list[Project]] = relationship(back_populates="client")

    def __str__(self) -> str:
        return self.name


class ClientDomain(db.Model):
    """An email domain of a client: mail from an unknown address there creates a contact."""

    __tablename__ = "client_domain"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True)
    domain: Mapped[str] = mapped_column(String(253), unique=True)

    client: Mapped[Client] = relationship(back_populates="domains")

    @validates("domain")
    def _normalise(self, _key, value: str) -> str:
        """Domains are stored lower-case, so lookups use the unique index."""
        return (value or "").strip().lower()

    def __str__(self) -> str:
        return self.domain


class Contact(db.Model):
    """A person of a client, identified by email address; never signs in."""

    __tablename__ = "contact"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str] = mapped_column(String(254), unique=True)
    # The key another system (an ERP) knows the row by: its upserts find the row by it.
    external_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    language: Mapped[Language] = mapped_column(enum_column_type(Language), default=Language.ES)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Signed into every ticket link of the contact (app.services.portal_links): staff sending
    # a new link bumps it, and every earlier link stops working.
    portal_link_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    client: Mapped[Client] = relationship(back_populates="contacts")

    @validates("email")
    def _normalise(self, _key, value: str) -> str:
        """Addresses are stored lower-case, so lookups use the unique index."""
        return (value or "").strip().lower()

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>" if self.name else self.email


class Contract(db.Model):
    """A contract of a client; one that covers support makes its tickets free."""

    __tablename__ = "contract"
    __table_args__ = (
        CheckConstraint("hourly_rate > 0", name="hourly_rate_positive"),
        CheckConstraint("included_hours > 0", name="included_hours_positive"),
        CheckConstraint("overage_rate > 0", name="overage_rate_positive"),
        CheckConstraint("(included_hours IS NULL) = (bank_period IS NULL)",
                        name="bank_complete"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    # Overrides the client's rate and currency for the contract's tickets; None: the client's.
    hourly_rate: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    currency: Mapped[str | None] = mapped_column(String(3))
    covers_support: Mapped[bool] = mapped_column(Boolean, default=False)
    # An hour bank (app.services.billing.hour_banks): support hours included per period; time
    # on the contract's covered tickets draws on it, and time beyond it is billed at
    # overage_rate (None: the contract's rate as app.services.billing.rates decides it).
    included_hours: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))
    bank_period: Mapped[BankPeriod | None] = mapped_column(enum_column_type(BankPeriod))
    overage_rate: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    # The key another system (an ERP) knows the row by: its upserts find the row by it.
    external_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    starts_on: Mapped[dt.date | None] = mapped_column(Date)
    ends_on: Mapped[dt.date | None] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # The business-hours calendar of the contract's tickets (a 24/7 contract); None: the
    # client's, else the configured default (app.services.sla.calendars.calendar_for).
    calendar_id: Mapped[int | None] = mapped_column(ForeignKey("business_calendar.id"))

    client: Mapped[Client] = relationship(back_populates="contracts")

    def covers_support_on(self, day: dt.date) -> bool:
        """True when this contract is active, covers support, and is in force on that day."""
        if not (self.active and self.covers_support):
            return False
        if self.starts_on and day < self.starts_on:
            return False
        return not (self.ends_on and day > self.ends_on)

    def __str__(self) -> str:
        return self.name


class Project(db.Model):
    """A project of a client; a ticket may reference one."""

    __tablename__ = "project"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    # The key another system (an ERP) knows the row by: its upserts find the row by it.
    external_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    client: Mapped[Client] = relationship(back_populates="projects")

    def __str__(self) -> str:
        return self.name


class TicketType(db.Model):
    """Reference data: Incidente, Requerimiento, Consulta, …"""

    __tablename__ = "ticket_type"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    def __str__(self) -> str:
        return self.name
