"""Escalation (issue 14, docs/service_levels.md): a warning when a clock has used
SOPORTE_SLA_WARN_PERCENT of its target, and another at the breach, each given once per ticket,
clock, cycle and level (an sla_alert row), to the assignee or, when nobody is assigned, to every
active supervisor: in the dashboard and by email, in the recipient's language, and only within
the recipient's working hours (the default calendar's windows in the recipient's own zone).

The clocks are ticket_clocks's, the one computation: open_ticket_clocks reads the open tickets
once, and the digest (app.services.sla.digest) reads the same values.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from dataclasses import dataclass, replace

from babel.dates import format_date, format_time, get_datetime_format
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models.enums import ClockState, SlaAlertLevel, SlaClock
from app.models.sla import SlaAlert
from app.models.ticket import Ticket
from app.models.user import User
from app.services import clock as the_clock
from app.services.notifications import active_supervisors, notify
from app.services.outbox import AUTO_GENERATED, enqueue_mail
from app.services.sla.business_time import business_time_between
from app.services.sla.calendars import Calendar, default_calendar
from app.services.sla.clocks import DONE, Clock, TicketClocks, history_options, ticket_clocks
from app.services.sla.targets import TargetTable

log = logging.getLogger(__name__)

BATCH = 200  # open tickets read (with their history) per query
KINDS = {SlaAlertLevel.WARNING: "sla_warning", SlaAlertLevel.BREACH: "sla_breach"}


@dataclass(frozen=True)
class Due:
    """An alert a clock calls for now: the ticket, which clock, its cycle key, the level."""

    ticket: Ticket
    clock_name: SlaClock
    clock: Clock
    cycle: str
    level: SlaAlertLevel


@dataclass(frozen=True)
class EscalationReport:
    """What one run gave: alerts recorded, notifications left, alerts waiting for working
    hours."""

    alerts: int = 0
    notified: int = 0
    waiting: int = 0


def open_ticket_clocks(now: dt.datetime) -> Iterator[tuple[Ticket, TicketClocks]]:
    """Every ticket whose clocks can be running (neither Resolved nor Closed) with its clocks at
    `now`, read in batches with the history ticket_clocks needs."""
    last_id, targets = 0, TargetTable()
    while True:
        batch = list(db.session.scalars(
            select(Ticket).where(Ticket.status.not_in(DONE), Ticket.id > last_id)
            .options(*history_options()).order_by(Ticket.id).limit(BATCH)))
        if not batch:
            return
        for ticket in batch:
            yield ticket, ticket_clocks(ticket, now, targets)
        last_id = batch[-1].id


def named_clocks(clocks: TicketClocks) -> list[tuple[SlaClock, Clock]]:
    """The ticket's clocks still counting (not met), with their names."""
    pairs = [(SlaClock.FIRST_RESPONSE, clocks.first_response),
             (SlaClock.NEXT_RESPONSE, clocks.next_response),
             (SlaClock.RESOLUTION, clocks.resolution)]
    return [(name, clock) for name, clock in pairs
            if clock is not None and clock.completed_at is None]


def alert_level(clock: Clock, warn_percent: int) -> SlaAlertLevel | None:
    """BREACH past its target; WARNING once warn_percent of the target is used while it runs
    (a paused clock waits on the customer: no warning); else None."""
    if clock.state is ClockState.BREACHED:
        return SlaAlertLevel.BREACH
    used = clock.target_minutes - clock.minutes_left
    if clock.state is ClockState.RUNNING and used * 100 >= clock.target_minutes * warn_percent:
        return SlaAlertLevel.WARNING
    return None


def due_alerts(ticket: Ticket, clocks: TicketClocks, warn_percent: int) -> list[Due]:
    """The alerts the ticket's clocks call for now (given already or not); the cycle is the
    clock's start, so each customer message's next-response clock is an alert of its own."""
    found = []
    for name, clock in named_clocks(clocks):
        level = alert_level(clock, warn_percent)
        if level is not None:
            cycle = clock.started_at.astimezone(dt.timezone.utc).isoformat()
            found.append(Due(ticket, name, clock, cycle, level))
    return found


def working_now(user: User, now: dt.datetime, calendar: Calendar | None = None) -> bool:
    """Whether `now` falls in the user's working hours: the default calendar's windows and
    holidays, read in the user's own zone (User.time_zone, else the company's)."""
    base = calendar or default_calendar()
    theirs = replace(base, zone=the_clock.user_zone(user))
    return business_time_between(theirs, now, now + dt.timedelta(minutes=1)) > dt.timedelta(0)


def recipients(ticket: Ticket) -> list[User]:
    """The assignee (when active), else every active supervisor."""
    if ticket.assignee is not None and ticket.assignee.active:
        return [ticket.assignee]
    return active_supervisors()


def run_due_checks(now: dt.datetime | None = None,
                   clocks: list[tuple[Ticket, TicketClocks]] | None = None) -> EscalationReport:
    """Give each warning and breach that is due and not given yet to the recipients now in
    their working hours; one that has nobody in working hours waits (not recorded) for a later
    run. `clocks`: open_ticket_clocks's values when the caller has them. Flushes, never
    commits."""
    now = (now or the_clock.now()).astimezone(dt.timezone.utc)
    warn_percent = current_app.config["SOPORTE_SLA_WARN_PERCENT"]
    calendar = default_calendar()
    alerts = notified = waiting = 0
    for ticket, ticket_clock in (clocks if clocks is not None else open_ticket_clocks(now)):
        for due in due_alerts(ticket, ticket_clock, warn_percent):
            if _given(due):
                continue
            present = [user for user in recipients(ticket) if working_now(user, now, calendar)]
            if not present:
                waiting += 1
                continue
            if not _record(due):
                continue
            alerts += 1
            for user in present:
                _tell(user, due)
                notified += 1
    return EscalationReport(alerts, notified, waiting)


def _given(due: Due) -> bool:
    """Whether this alert's row exists already."""
    return db.session.scalar(select(SlaAlert.id).where(
        SlaAlert.ticket_id == due.ticket.id, SlaAlert.clock == due.clock_name,
        SlaAlert.cycle == due.cycle, SlaAlert.level == due.level)) is not None


def _record(due: Due) -> bool:
    """Write the alert's row in a savepoint; False when another run wrote it first."""
    try:
        with db.session.begin_nested():
            db.session.add(SlaAlert(ticket_id=due.ticket.id, clock=due.clock_name,
                                    cycle=due.cycle, level=due.level))
    except IntegrityError:
        return False
    return True


def local_due(moment: dt.datetime, user: User) -> str:
    """A moment as the user reads it, in their zone and language, as the dashboard shows
    times: "16 nov 2026, 10:00" in Spanish, "Nov 16, 2026, 10:00 AM" in English."""
    local, locale = moment.astimezone(the_clock.user_zone(user)), user.language.value
    pattern = get_datetime_format("medium", locale=locale).replace("'", "")
    return (pattern.replace("{0}", format_time(local, "short", locale=locale))
            .replace("{1}", format_date(local, "medium", locale=locale)))


def _tell(user: User, due: Due) -> None:
    """The alert in the user's dashboard and by email, in their language."""
    ticket, when = due.ticket, local_due(due.clock.due, user)
    with force_locale(user.language.value):
        if due.level is SlaAlertLevel.BREACH:
            message = _("Ticket %(number)s missed a target: %(clock)s, due %(due)s "
                        "(%(subject)s)", number=ticket.number, clock=due.clock_name.label,
                        due=when, subject=ticket.subject)
        else:
            message = _("Ticket %(number)s is close to a target: %(clock)s, due %(due)s "
                        "(%(subject)s)", number=ticket.number, clock=due.clock_name.label,
                        due=when, subject=ticket.subject)
    notify(user, KINDS[due.level], message, ticket)
    enqueue_mail("sla_alert", to_address=user.email, to_name=user.name,
                 language=user.language.value, ticket=ticket, auto_submitted=AUTO_GENERATED,
                 staff=user, breach=due.level is SlaAlertLevel.BREACH,
                 clock_label=due.clock_name.label, due_text=when)
    log.info("SLA %s ticket=%s clock=%s user=%s", due.level.value, ticket.number,
             due.clock_name.value, user.id)
