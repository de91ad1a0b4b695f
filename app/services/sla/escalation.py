"""Escalation (issue 14, docs/service_levels.md): a warning when a clock has used
SOPORTE_SLA_WARN_PERCENT of its target, and another at the breach, each given once per ticket,
clock, cycle and level (an sla_alert row), to the assignee or, when nobody is assigned, to every
active supervisor: in the dashboard and by email, in the recipient's language, and only within
the recipient's working hours (the default calendar's windows in the recipient's own zone).

The clocks are ticket_clocks's, the one computation. The tick (app.services.sla.ticks) reads
the tickets in batches (due_ticket_batches: only those whose Ticket.sla_check_at has come;
open_ticket_batches: every open one) and check_batch gives each batch's alerts and stores its
tickets' due and check times (app.services.sla.check_times) knowing which alerts are given.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

from babel.dates import format_date, format_time, get_datetime_format
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models.enums import ClockState, SlaAlertLevel, SlaClock
from app.models.sla import SlaAlert
from app.models.ticket import Ticket
from app.models.user import User
from app.services import clock as the_clock
from app.services.errors import ValidationFailed
from app.services.notifications import active_supervisors, notify
from app.services.outbox import AUTO_GENERATED, enqueue_mail
from app.services.sla.business_time import business_time_between
from app.services.sla.calendars import Calendar, default_calendar
from app.services.sla.check_times import (Given, check_at_of, cycle_of, named_clocks,
                                          warn_percent, warning_minutes)
from app.services.sla.clocks import DONE, Clock, TicketClocks, history_options, ticket_clocks
from app.services.sla.stored_due import due_of, store_times
from app.services.sla.targets import TargetTable

log = logging.getLogger(__name__)

BATCH = 200  # tickets read (with their history) per query, and per commit of the tick
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

    def __add__(self, other: EscalationReport) -> EscalationReport:
        return EscalationReport(self.alerts + other.alerts, self.notified + other.notified,
                                self.waiting + other.waiting)


@dataclass
class BatchResult:
    """One batch checked: its alerts, the tickets with their clocks (for the digest), and how
    many stored due or check times changed."""

    report: EscalationReport
    clocks: list[tuple[Ticket, TicketClocks]] = field(default_factory=list)
    stored: int = 0


def batch_options() -> tuple:
    """What a batch reads with its tickets: their history (history_options), and their client
    and contract (calendar_for), which a commit between batches would otherwise read again one
    by one."""
    return (*history_options(), selectinload(Ticket.client), selectinload(Ticket.contract))


def open_ticket_batches() -> Iterator[list[Ticket]]:
    """Every ticket whose clocks can be running (neither Resolved nor Closed), in batches by id
    with the history ticket_clocks needs. The caller may commit between batches."""
    last_id = 0
    while True:
        batch = list(db.session.scalars(
            select(Ticket).where(Ticket.status.not_in(DONE), Ticket.id > last_id)
            .options(*batch_options()).order_by(Ticket.id).limit(BATCH)))
        if not batch:
            return
        last_id = batch[-1].id
        yield batch


def due_ticket_batches(now: dt.datetime) -> Iterator[list[Ticket]]:
    """The open tickets whose check time has come (Ticket.sla_check_at ≤ now), in batches in
    (check time, id) order through ix_ticket_sla_check_at, with their history. The caller may
    commit between batches and store new check times: each batch starts after the last one
    read, and a ticket whose new check time is still due (its alert waits) and comes again
    further on is not given twice, so each is read at most twice per run."""
    column, after, seen = Ticket.sla_check_at, None, set()
    while True:
        query = select(Ticket).where(column <= now, Ticket.status.not_in(DONE))
        if after is not None:
            query = query.where(or_(column > after[0], and_(column == after[0],
                                                            Ticket.id > after[1])))
        rows = list(db.session.scalars(query.options(*batch_options())
                                       .order_by(column, Ticket.id).limit(BATCH)))
        if not rows:
            return
        after = (rows[-1].sla_check_at, rows[-1].id)
        batch = [ticket for ticket in rows if ticket.id not in seen]
        seen.update(ticket.id for ticket in batch)
        if batch:
            yield batch


def check_batch(tickets: list[Ticket], now: dt.datetime,
                targets: TargetTable | None = None) -> BatchResult:
    """Compute the tickets' clocks at `now`, give the alerts due (run_due_checks' rules), and
    store each ticket's due time and next check time knowing the alerts given (one query for
    them). A ticket whose calendar cannot be read is logged and left for the next run. Flushes,
    never commits."""
    now = now.astimezone(dt.timezone.utc)
    targets = targets or TargetTable()
    result = BatchResult(EscalationReport())
    for ticket in tickets:
        try:
            result.clocks.append((ticket, ticket_clocks(ticket, now, targets)))
        except (ValueError, ValidationFailed) as error:
            log.warning("service-level clocks of %s not computed: %s", ticket.number, error)
    given = given_alerts([ticket.id for ticket, _ in result.clocks])
    result.report = run_due_checks(now, result.clocks, given)
    percent = warn_percent()
    for ticket, clocks in result.clocks:
        check_at = check_at_of(ticket, clocks, percent, given.get(ticket.id, ()))
        if check_at is not None and check_at <= now and ticket.sla_check_at is not None \
                and ticket.sla_check_at <= now:
            check_at = ticket.sla_check_at  # still due (an alert waits): not written each run
        result.stored += store_times(db.session, ticket, due_of(clocks), check_at)
    return result


def given_alerts(ticket_ids: list[int]) -> dict[int, set[Given]]:
    """The alerts given already to these tickets, by ticket (one query)."""
    given: dict[int, set[Given]] = defaultdict(set)
    if ticket_ids:
        for row in db.session.execute(select(SlaAlert.ticket_id, SlaAlert.clock, SlaAlert.cycle,
                                             SlaAlert.level)
                                      .where(SlaAlert.ticket_id.in_(ticket_ids))):
            given[row.ticket_id].add((row.clock, row.cycle, row.level))
    return given


def alert_level(clock: Clock, warn_percent: int) -> SlaAlertLevel | None:
    """BREACH past its target; WARNING once the whole minutes used reach
    check_times.warning_minutes while it runs (a paused clock waits on the customer: no
    warning); else None."""
    if clock.state is ClockState.BREACHED:
        return SlaAlertLevel.BREACH
    used = clock.target_minutes - clock.minutes_left
    if clock.state is ClockState.RUNNING \
            and used >= warning_minutes(clock.target_minutes, warn_percent):
        return SlaAlertLevel.WARNING
    return None


def due_alerts(ticket: Ticket, clocks: TicketClocks, warn_percent: int) -> list[Due]:
    """The alerts the ticket's clocks call for now (given already or not); the cycle is the
    clock's start, so each customer message's next-response clock is an alert of its own."""
    found = []
    for name, clock in named_clocks(clocks):
        level = alert_level(clock, warn_percent)
        if level is not None:
            found.append(Due(ticket, name, clock, cycle_of(clock), level))
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


def run_due_checks(now: dt.datetime, clocks: list[tuple[Ticket, TicketClocks]],
                   given: dict[int, set[Given]]) -> EscalationReport:
    """Give each warning and breach that is due and not given yet to the recipients now in
    their working hours; one that has nobody in working hours waits (not recorded) for a later
    run. `clocks`: the tickets with their clocks at `now` (check_batch reads them, the tick
    gives it the batches); `given`: the alerts each ticket has (given_alerts), completed with
    those given here. Flushes, never commits."""
    now = now.astimezone(dt.timezone.utc)
    percent = warn_percent()
    calendar = default_calendar()
    alerts = notified = waiting = 0
    for ticket, ticket_clock in clocks:
        for due in due_alerts(ticket, ticket_clock, percent):
            if (due.clock_name, due.cycle, due.level) in given.get(ticket.id, ()):
                continue
            present = [user for user in recipients(ticket) if working_now(user, now, calendar)]
            if not present:
                waiting += 1
                continue
            recorded = _record(due)
            # given by this run or, refused by the unique key, by another
            given.setdefault(ticket.id, set()).add((due.clock_name, due.cycle, due.level))
            if not recorded:
                continue
            alerts += 1
            for user in present:
                _tell(user, due)
                notified += 1
    return EscalationReport(alerts, notified, waiting)


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
