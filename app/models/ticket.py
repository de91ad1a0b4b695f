"""The ticket aggregate: ticket, its notes, attachments, change history, and the number counter."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import (BigInteger, Boolean, ColumnElement, ForeignKey, Index, Integer, String,
                        Text, and_, or_)
from sqlalchemy import false as sa_false
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.client import Client, Contact, Contract, Project, TicketType
from app.models.columns import UTCDateTime, enum_column_type, utcnow
from app.models.enums import BillingBasis, NoteKind, PaymentStatus, TicketSource, TicketStatus, Urgency
from app.models.user import User


class TicketCounter(db.Model):
    """One row per counter; incremented under a row lock to number tickets without gaps."""

    __tablename__ = "ticket_counter"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


class Ticket(db.Model):
    """A support request of a client, worked by staff through the workflow services."""

    __tablename__ = "ticket"

    id: Mapped[int] = mapped_column(primary_key=True)
    sequence: Mapped[int] = mapped_column(BigInteger, unique=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contact.id"), index=True)
    contract_id: Mapped[int | None] = mapped_column(ForeignKey("contract.id"), index=True)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("project.id"), index=True)
    type_id: Mapped[int | None] = mapped_column(ForeignKey("ticket_type.id"), index=True)
    subject: Mapped[str] = mapped_column(String(255), default="")
    description: Mapped[str] = mapped_column(Text)
    urgency: Mapped[Urgency] = mapped_column(enum_column_type(Urgency), default=Urgency.MEDIUM)
    status: Mapped[TicketStatus] = mapped_column(
        enum_column_type(TicketStatus), default=TicketStatus.NEW
    )
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    # The billing basis, decided when work is authorised and kept (app.services.billing.basis):
    # None while a billed ticket waits for an approved quote.
    billing_basis: Mapped[BillingBasis | None] = mapped_column(enum_column_type(BillingBasis))
    billing_contract_id: Mapped[int | None] = mapped_column(ForeignKey("contract.id"))
    billing_quote_version: Mapped[int | None] = mapped_column(Integer)
    # Under an approved quote (app.services.billing.coverage): billed by time instead of the
    # quote's price, and whether time beyond the quote's hours is billed at the rate; both a
    # supervisor's choice.
    billing_by_time: Mapped[bool] = mapped_column(Boolean, default=False,
                                                  server_default=sa_false())
    bill_overage: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    payment_status: Mapped[PaymentStatus] = mapped_column(
        enum_column_type(PaymentStatus), default=PaymentStatus.UNPAID
    )
    total_minutes: Mapped[int] = mapped_column(Integer, default=0)
    source: Mapped[TicketSource] = mapped_column(
        enum_column_type(TicketSource), default=TicketSource.WEB
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    related_ticket_id: Mapped[int | None] = mapped_column(ForeignKey("ticket.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # indexed: the list sorts by it (app.services.ticket_list.SORTS["updated"])
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow,
                                                    index=True)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Who spoke last, kept by app.services.notes.create_note (and ticket creation from mail):
    # the list marks a ticket whose customer wrote after staff last answered.
    last_customer_message_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_staff_reply_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # When the ticket's most pressing running service-level clock is (or was) due, as
    # app.services.sla.clocks.ticket_clocks computes it; None when no clock runs (resolved,
    # closed, or paused within its target). Kept by app.services.sla.stored_due, for the list's
    # sort and its "overdue" and "due today" filters only: every view shows ticket_clocks itself.
    sla_due: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True)
    # The next moment `flask sla tick` has something to do for the ticket: the earliest warning
    # or breach not given yet of its clocks still counting; None when none counts (done, met,
    # paused). Kept with sla_due (app.services.sla.check_times); the tick reads only the
    # tickets whose moment has come (ix_ticket_sla_check_at).
    sla_check_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Optimistic lock: two staff saving the same ticket at once cannot both win silently.
    lock_version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": lock_version}

    client: Mapped[Client] = relationship()
    contact: Mapped[Contact | None] = relationship()
    contract: Mapped[Contract | None] = relationship(foreign_keys=[contract_id])
    billing_contract: Mapped[Contract | None] = relationship(foreign_keys=[billing_contract_id])
    project: Mapped[Project | None] = relationship()
    type: Mapped[TicketType | None] = relationship()
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    # viewonly: a self-referential relationship in the flush makes the unit of work sort
    # ticket rows one by one (a cycle), which costs every insert; the id is set instead
    related_ticket: Mapped[Ticket | None] = relationship(remote_side=[id], viewonly=True)
    notes: Mapped[list[Note]] = relationship(
        back_populates="ticket", order_by="Note.id", cascade="all, delete-orphan"
    )
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="ticket", order_by="Attachment.id", cascade="all, delete-orphan"
    )
    changes: Mapped[list[TicketChange]] = relationship(
        back_populates="ticket", order_by="TicketChange.id", cascade="all, delete-orphan"
    )
    quotes: Mapped[list["Quote"]] = relationship(  # noqa: F821 - defined in app.models.quote
        back_populates="ticket", order_by="Quote.version", cascade="all, delete-orphan"
    )
    time_entries: Mapped[list["TimeEntry"]] = relationship(  # noqa: F821 - app.models.worklog
        back_populates="ticket", order_by="TimeEntry.id", cascade="all, delete-orphan"
    )

    @property
    def current_quote(self):
        """The latest quote version, or None when the ticket was never quoted."""
        return self.quotes[-1] if self.quotes else None

    @property
    def is_free(self) -> bool:
        """No quote is needed: marked free, or covered by a contract when work was authorised."""
        return self.billing_basis in (BillingBasis.FREE, BillingBasis.CONTRACT)

    @hybrid_property
    def customer_waiting(self) -> bool:
        """The customer wrote last: no public reply since their latest message (on a row, and
        as a condition in a query: the list's filter, its count, the partial index below)."""
        return self.last_customer_message_at is not None and (
            self.last_staff_reply_at is None
            or self.last_staff_reply_at < self.last_customer_message_at)

    @customer_waiting.inplace.expression
    @classmethod
    def _customer_waiting_condition(cls) -> ColumnElement[bool]:
        return and_(cls.last_customer_message_at.is_not(None),
                    or_(cls.last_staff_reply_at.is_(None),
                        cls.last_staff_reply_at < cls.last_customer_message_at))

    @property
    def is_closed(self) -> bool:
        """Closed tickets are archived and read-only."""
        return self.status is TicketStatus.CLOSED

    def __str__(self) -> str:
        return self.number



# The list counts on every page, per status for its filter and per view for its sidebar
# (app.services.saved_views): each count is answered from an index without reading the table's
# rows: "Sin asignar" and "Mis abiertos" by status and assignee, a type filter by type and
# status, "Críticos" by urgency and status, "Cliente esperando respuesta" from a partial index.
# SQLite plans without statistics (no ANALYZE is run): the status-first index is the one its
# planner picks for the assignee counts and the least-loaded suggestion.
Index("ix_ticket_status_assignee_id", Ticket.status, Ticket.assignee_id)
# The list sorted by status or urgency: each value's tickets in id order (ticket_list
# ._from_groups; migration 6d7e8f90a1b2), and every lookup by the value alone.
Index("ix_ticket_status_id", Ticket.status, Ticket.id)
Index("ix_ticket_urgency_id", Ticket.urgency, Ticket.id)
# "Overdue" and "due today" counted per status, each count capped (migration 7e8f90a1b2c3).
Index("ix_ticket_status_sla_due", Ticket.status, Ticket.sla_due)
Index("ix_ticket_type_id_status", Ticket.type_id, Ticket.status)
Index("ix_ticket_urgency_status", Ticket.urgency, Ticket.status)
# a client's or a contract's counts per status (migration 18293a4b5c6d: bench/dashboard.py at a
# million tickets read every ticket of each status for them)
Index("ix_ticket_client_id_status", Ticket.client_id, Ticket.status)
Index("ix_ticket_contract_id_status", Ticket.contract_id, Ticket.status)
# The tick's batches of tickets whose check time has come, in (moment, id) order.
Index("ix_ticket_sla_check_at", Ticket.sla_check_at, Ticket.id)
Index("ix_ticket_customer_waiting", Ticket.status,
      sqlite_where=Ticket.customer_waiting.expression,
      postgresql_where=Ticket.customer_waiting.expression)

class Note(db.Model):
    """An entry of a ticket's conversation: internal note, public reply, customer email, system event."""

    __tablename__ = "note"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), index=True)
    kind: Mapped[NoteKind] = mapped_column(enum_column_type(NoteKind))
    author_user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    author_contact_id: Mapped[int | None] = mapped_column(ForeignKey("contact.id"))
    body_text: Mapped[str] = mapped_column(Text, default="")
    # Raw HTML as received; it is sanitized (nh3) before it is ever shown.
    body_html: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    ticket: Mapped[Ticket] = relationship(back_populates="notes")
    author_user: Mapped[User | None] = relationship()
    author_contact: Mapped[Contact | None] = relationship()
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="note", order_by="Attachment.id", overlaps="attachments"
    )


class Attachment(db.Model):
    """A file on a ticket or on one of its notes; the bytes live on disk under their SHA-256."""

    __tablename__ = "attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), index=True)
    note_id: Mapped[int | None] = mapped_column(ForeignKey("note.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    declared_type: Mapped[str] = mapped_column(String(255), default="application/octet-stream")
    sniffed_type: Mapped[str | None] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    content_id: Mapped[str | None] = mapped_column(String(255))
    inline: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    ticket: Mapped[Ticket] = relationship(back_populates="attachments")
    note: Mapped[Note | None] = relationship(back_populates="attachments", overlaps="attachments")


class TicketChange(db.Model):
    """One line of a ticket's history: who changed which field, from what to what, and why."""

    __tablename__ = "ticket_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), index=True)
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    # Who acted when it was not a staff user: "system", or a customer (history.customer_label).
    actor_label: Mapped[str] = mapped_column(String(300), default="")
    field: Mapped[str] = mapped_column(String(40))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    note_id: Mapped[int | None] = mapped_column(ForeignKey("note.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    ticket: Mapped[Ticket] = relationship(back_populates="changes")
    actor_user: Mapped[User | None] = relationship()
    note: Mapped[Note | None] = relationship()
