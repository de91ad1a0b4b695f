"""Time logging: whole minutes of work, only once the ticket is free or its quote is approved."""
from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.services import clock
from app.models.user import User
from app.models.ticket import Ticket
from app.models.worklog import TimeEntry
from app.services.errors import NotPermitted, ValidationFailed
from app.services.history import record_change
from app.services.permissions import Actor, Permission, require
from app.services.workflow import require_open, require_work_allowed
from app.services.webhooks import events as webhook_events

MAX_MINUTES_PER_ENTRY = 24 * 60


def parse_duration(hours, minutes) -> int:
    """Hours and minutes as typed into whole minutes (≥ 1, ≤ 24 h); ValidationFailed otherwise."""
    try:
        h = int(str(hours).strip() or 0) if hours is not None else 0
        m = int(str(minutes).strip() or 0) if minutes is not None else 0
    except ValueError:
        raise ValidationFailed(
            _l("Enter the time as whole hours and minutes, for example 1 hour and 30 minutes."),
            field="minutes") from None
    if h < 0 or m < 0 or m > 59:
        raise ValidationFailed(
            _l("Hours cannot be negative and minutes must be between 0 and 59."), field="minutes")
    total = h * 60 + m
    if total < 1:
        raise ValidationFailed(_l("Log at least one minute of work."), field="minutes")
    if total > MAX_MINUTES_PER_ENTRY:
        raise ValidationFailed(_l("One entry can hold at most 24 hours; split longer work by day."),
                               field="hours")
    return total


def check_log_time(actor: Actor, ticket: Ticket) -> None:
    """Raise NotPermitted, TicketClosed or QuoteNotApproved unless the actor may log time on
    the ticket now (staff with WORK, an open ticket whose billing basis authorises work)."""
    require(actor, Permission.WORK)
    if not isinstance(actor, User):
        raise NotPermitted(_l("Only staff members can log time."))
    require_open(ticket)
    require_work_allowed(ticket)


def log_time(actor: Actor, ticket: Ticket, hours, minutes, note: str = "",
             work_date: dt.date | None = None) -> TimeEntry:
    """Log work on the ticket and add it to the ticket's total.

    Raises NotPermitted, TicketClosed, QuoteNotApproved (billed ticket without an
    approved quote), ValidationFailed (bad duration or a date in the future).
    """
    check_log_time(actor, ticket)
    total = parse_duration(hours, minutes)
    today = clock.today()
    work_date = work_date or today
    if work_date > today + dt.timedelta(days=1):
        raise ValidationFailed(_l("Work cannot be logged on a future date."), field="work_date")
    entry = TimeEntry(ticket=ticket, user_id=actor.id, minutes=total, work_date=work_date,
                      note=(note or "").strip())
    db.session.add(entry)
    old_total = ticket.total_minutes or 0
    ticket.total_minutes = old_total + total
    record_change(ticket, actor, "time", old_total, ticket.total_minutes)
    db.session.flush()
    webhook_events.time_logged(entry)
    return entry
