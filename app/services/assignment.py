"""Assignment: only to active staff who may work tickets; the least-loaded agent is suggested.

The load behind the suggestion counts every open ticket, which grows with the table (about a
third of a second with a million tickets), so each app reads it at most once per
LOAD_FRESH_FOR and keeps it: a suggestion is never older than that, and a new or deleted
ticket, a new status or assignee written through this process forgets it at once (another
worker's changes show within LOAD_FRESH_FOR).
"""
from __future__ import annotations

import time

from flask import current_app, has_app_context
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import event, func, inspect, select
from sqlalchemy.orm import Session

from app.extensions import db
from app.models.enums import OPEN_STATUSES, TicketStatus
from app.models.ticket import Ticket
from app.models.user import User
from app.services.errors import NoStaffAvailable, ValidationFailed
from app.services.history import record_change
from app.services.notifications import notify
from app.services.outbox import AUTO_GENERATED, enqueue_mail
from app.services.permissions import Actor, Permission, can_work_tickets, require, working_roles
from app.services.workflow import require_open
from app.services.webhooks import events as webhook_events

# Work that still needs the agent: everything open but resolved.
ACTIVE_WORK = frozenset(OPEN_STATUSES - {TicketStatus.RESOLVED})


def assignable_staff() -> list[User]:
    """Active users whose role lets them work tickets, by name."""
    return list(db.session.execute(
        select(User).where(User.active.is_(True), User.role.in_(working_roles()))
        .order_by(User.name)
    ).scalars())


# How long the open load read for the suggestion is kept (see the module's docstring).
LOAD_FRESH_FOR_SECONDS = 60
_LOAD_KEY = "soporte.open_load"


def open_load() -> dict[int, int]:
    """Open tickets (not resolved or closed) per assignee id, as read at most
    LOAD_FRESH_FOR_SECONDS ago by this app."""
    kept = current_app.extensions.get(_LOAD_KEY)
    if kept is not None and time.monotonic() - kept[0] < LOAD_FRESH_FOR_SECONDS:
        return kept[1]
    rows = db.session.execute(
        select(Ticket.assignee_id, func.count())
        .where(Ticket.assignee_id.is_not(None), Ticket.status.in_(ACTIVE_WORK))
        .group_by(Ticket.assignee_id)
    )
    load = {assignee_id: count for assignee_id, count in rows}
    current_app.extensions[_LOAD_KEY] = (time.monotonic(), load)
    return load


@event.listens_for(Session, "after_flush")
def _forget_load(session: Session, _context) -> None:
    """A ticket created, deleted, or given a status or assignee: the kept load is stale."""
    if not has_app_context() or _LOAD_KEY not in current_app.extensions:
        return
    if any(isinstance(item, Ticket) for item in (*session.new, *session.deleted)) or any(
            isinstance(item, Ticket) and any(inspect(item).attrs[name].history.has_changes()
                                             for name in ("status", "assignee_id", "assignee"))
            for item in session.dirty):
        current_app.extensions.pop(_LOAD_KEY, None)


def suggest_assignee() -> User:
    """The staff member with the least open work (ties: by name); NoStaffAvailable if none."""
    staff = assignable_staff()
    if not staff:
        raise NoStaffAvailable(
            _l("There are no active support staff to assign. Ask an administrator to create "
               "or activate a support user."))
    load = open_load()
    return min(staff, key=lambda user: (load.get(user.id, 0), user.name.lower(), user.id))


def check_may_assign(actor: Actor) -> None:
    """Raise NotPermitted unless the actor's role may (un)assign tickets (the role part of
    check_assign, which the bulk toolbar offers by)."""
    require(actor, Permission.ASSIGN)


def check_assign(actor: Actor, ticket: Ticket) -> None:
    """Raise NotPermitted or TicketClosed unless the actor may (un)assign the ticket now."""
    check_may_assign(actor)
    require_open(ticket)


def assign(actor: Actor, ticket: Ticket, assignee_id: int | None) -> User | None:
    """Assign the ticket (or unassign it with None); the new assignee is notified in-app and by email.

    Raises NotPermitted, TicketClosed, ValidationFailed (inactive user or one who
    cannot work tickets).
    """
    check_assign(actor, ticket)
    assignee = None
    if assignee_id:
        assignee = db.session.get(User, int(assignee_id))
        if assignee is None or not can_work_tickets(assignee):
            raise ValidationFailed(
                _l("Tickets can be assigned only to active support staff. Choose another user."),
                field="assignee_id")
    old = ticket.assignee
    if (old.id if old else None) == (assignee.id if assignee else None):
        return assignee
    ticket.assignee = assignee
    record_change(ticket, actor, "assignee", old.email if old else None,
                  assignee.email if assignee else None)
    if assignee is not None:
        with force_locale(assignee.language.value):
            message = _("Ticket %(number)s was assigned to you.", number=ticket.number)
        notify(assignee, "assigned", message, ticket)
        enqueue_mail("assignment", to_address=assignee.email, to_name=assignee.name,
                     language=assignee.language.value, ticket=ticket,
                     auto_submitted=AUTO_GENERATED, assignee=assignee)
    webhook_events.ticket_assigned(ticket, old, actor)
    db.session.flush()
    return assignee
