"""Collision detection: who else has a ticket's page open or is writing a reply, and the rule
that a reply is not sent over a customer message its author has not seen.

An open ticket page calls `touch` every `refresh_interval()` (the heartbeat, the setting
SOPORTE_PRESENCE_REFRESH_SECONDS); a row not refreshed within `fresh_for()` means the page was
left: it is ignored, and deleted by the next heartbeat on that ticket. The reply guard compares
the newest customer message the page showed (`seen_through`, a note id, 0 for none:
TicketView.newest_customer_message_id) with the ticket's notes when the reply is sent
(`check_reply_current`); the web page and the API send the same fields and meet the same
NewerCustomerMessage.
Requires Permission.VIEW.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite

from app.extensions import db
from app.models.enums import NoteKind
from app.models.ticket import Note, Ticket
from app.models.user import User
from app.models.workspace import TicketPresence
from app.received_mail import split_quoted
from app.services import clock
from app.services.errors import Conflict
from app.services.permissions import Actor, Permission, actor_user_id, require

# How many of the page's refresh intervals a heartbeat counts for: one late or lost request
# does not make a colleague blink out of the box.
FRESH_FOR_REFRESHES = 3
# How much of a newer customer message the reply guard quotes.
EXCERPT_LENGTH = 200


@dataclass(frozen=True)
class Colleague:
    """Another user on the same ticket's page, and whether they are writing a reply."""

    user: User
    composing: bool


@dataclass(frozen=True)
class NewerMessage:
    """A customer message the page did not show: when it came and how it starts (plain values,
    so they outlive the refused request's transaction)."""

    note_id: int
    at: dt.datetime
    excerpt: str


class NewerCustomerMessage(Conflict):
    """The customer wrote again after the page the reply was written on was shown; the reply
    was not sent. `messages` are the ones the page did not show, oldest first."""

    code = "customer_wrote_again"

    def __init__(self, message, field: str | None = "text", messages=()):
        super().__init__(message, field=field)
        self.messages = list(messages)

    @classmethod
    def about(cls, messages: list[NewerMessage]) -> "NewerCustomerMessage":
        """The refusal quoting the newest of the messages the page did not show."""
        return cls(_l("The customer wrote again since you opened the page: “%(excerpt)s”. Your "
                      "reply was not sent: read the new message, then send your reply as it is "
                      "or change it first.", excerpt=messages[-1].excerpt), messages=messages)


def refresh_interval() -> dt.timedelta:
    """How often an open ticket page sends its heartbeat: SOPORTE_PRESENCE_REFRESH_SECONDS."""
    return dt.timedelta(seconds=current_app.config["SOPORTE_PRESENCE_REFRESH_SECONDS"])


def fresh_for() -> dt.timedelta:
    """How long a heartbeat counts: FRESH_FOR_REFRESHES of the page's refresh intervals, so the
    window follows the setting (a page refreshing every minute stays for three)."""
    return FRESH_FOR_REFRESHES * refresh_interval()


def touch(actor: Actor, ticket: Ticket, composing: bool) -> None:
    """Record that the actor has the ticket's page open now (writing a reply or not), and drop
    the ticket's rows that went stale.

    One statement inserts or refreshes the row (INSERT … ON CONFLICT DO UPDATE on SQLite and
    PostgreSQL), so two heartbeats of the same user at once both succeed. Stale rows are
    deleted first: the deletes of two heartbeats then lock rows in the same order before either
    writes its own, which cannot deadlock. Raises NotPermitted without the view permission.
    """
    require(actor, Permission.VIEW)
    user_id = actor_user_id(actor)
    if user_id is None:
        return  # the system has no page open
    now = clock.now()
    db.session.execute(delete(TicketPresence).where(TicketPresence.ticket_id == ticket.id,
                                                    TicketPresence.seen_at < now - fresh_for()))
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    upsert = dialect.insert(TicketPresence).values(ticket_id=ticket.id, user_id=user_id,
                                                   composing=composing, seen_at=now)
    db.session.execute(upsert.on_conflict_do_update(
        index_elements=[TicketPresence.ticket_id, TicketPresence.user_id],
        set_={"composing": composing, "seen_at": now}))


def others(actor: Actor, ticket: Ticket) -> list[Colleague]:
    """The other active users with the ticket's page open within `fresh_for()`, by name.
    Raises NotPermitted without the view permission."""
    require(actor, Permission.VIEW)
    rows = db.session.execute(
        select(User, TicketPresence.composing)
        .join(TicketPresence, TicketPresence.user_id == User.id)
        .where(TicketPresence.ticket_id == ticket.id,
               TicketPresence.seen_at >= clock.now() - fresh_for(),
               TicketPresence.user_id != actor_user_id(actor),
               User.active.is_(True))
        .order_by(User.name, User.id)).all()
    return [Colleague(user, composing) for user, composing in rows]


def newer_customer_messages(ticket: Ticket, seen_through: int) -> list[Note]:
    """The ticket's customer messages (Note kind CUSTOMER_EMAIL) newer than the note
    `seen_through` (0: every one), oldest first."""
    return list(db.session.scalars(
        select(Note).where(Note.ticket_id == ticket.id, Note.kind == NoteKind.CUSTOMER_EMAIL,
                           Note.id > seen_through)
        .order_by(Note.id)))


def check_reply_current(ticket: Ticket, seen_through: int | None, confirmed: bool) -> None:
    """The reply guard: raise NewerCustomerMessage when the customer wrote after the message
    `seen_through` and the author has not confirmed sending anyway. Without `seen_through` (a
    caller that did not show the conversation) there is nothing to compare, and no check."""
    if seen_through is None or confirmed:
        return
    newer = newer_customer_messages(ticket, seen_through)
    if newer:
        raise NewerCustomerMessage.about([NewerMessage(note.id, note.created_at, _excerpt(note))
                                    for note in newer])


def _excerpt(note: Note) -> str:
    """The start of what the customer wrote, on one line, without the quoted history."""
    text = " ".join(split_quoted(note.body_text or "")[0].split())
    if len(text) <= EXCERPT_LENGTH:
        return text
    return text[:EXCERPT_LENGTH].rsplit(" ", 1)[0] + "…"
