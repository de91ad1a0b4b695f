"""One run of `flask sla tick` (docs/service_levels.md, issue 15): its cost follows what is due,
not the number of open tickets.

Each open ticket stores the next moment the tick has something to do for it
(Ticket.sla_check_at, app.services.sla.check_times). A run reads, in batches, only the tickets
whose moment has come (escalation.due_ticket_batches), computes their clocks, gives the warnings
and breaches due and stores their due and check times again, ending the caller's transaction
after each batch (`commit`, given by the adapter: the CLI passes db.session.commit).

Every open ticket is read (escalation.open_ticket_batches), in batches with a commit each, only
- when what the stored times were computed with has changed (an edited target, calendar or
  holiday, a client's or contract's new calendar, the default calendar's or the warning's
  settings): the run compares their fingerprint with the one it remembers (sla_tick_state), and
  after an upgrade there is none, so the first run fills the stored times;
- once a day, as a safety net: the first run of the company's day at or after
  SOPORTE_SLA_DIGEST_TIME, so that in the company's zone it is the digests' own sweep;
- while a supervisor's digest is owed (app.services.sla.digest) and a ticket may give it a line
  (may_list_tickets, from the stored columns): the same sweep feeds it.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select

from app.extensions import db
from app.models.client import Client, Contract
from app.models.sla import (BusinessCalendar, BusinessWindow, CalendarHoliday, SlaTarget,
                            SlaTickState)
from app.services import clock as the_clock
from app.services.sla.digest import (TicketLines, digest_time, may_list_tickets, owed_digests,
                                     send_collected)
from app.services.sla.escalation import (EscalationReport, check_batch, due_ticket_batches,
                                         open_ticket_batches)
from app.services.sla.targets import TargetTable

# The settings the stored times depend on besides the rows read by fingerprint().
SETTINGS = ("SOPORTE_TIMEZONE", "SOPORTE_BUSINESS_HOURS", "SOPORTE_HOLIDAYS",
            "SOPORTE_SLA_WARN_PERCENT")


@dataclass(frozen=True)
class TickReport:
    """What one run gave: alerts recorded, notifications left, alerts waiting for working
    hours, digests sent, stored due or check times changed, tickets read, and whether every
    open ticket was read (swept)."""

    alerts: int
    notified: int
    waiting: int
    digests: int
    dues: int = 0
    tickets: int = 0
    swept: bool = False


def tick(commit: Callable[[], None], now: dt.datetime | None = None) -> TickReport:
    """Run the due checks and the owed digests at `now` (default: the clock). Calls `commit`
    (the adapter's transaction boundary) after what it reads first, after each batch of
    tickets and at the end, so the caller's session must hold nothing of its own (the CLI
    calls it alone); a run that fails keeps the batches done."""
    now = (now or the_clock.now()).astimezone(dt.timezone.utc)
    collectors = owed_digests(now)  # first: a malformed digest time stops the run here
    state = _state()
    local = now.astimezone(the_clock.company_zone())
    current, today = fingerprint(), local.date()
    daily = state.swept_on != today and local.time() >= digest_time()  # with the digests
    swept = state.fingerprint != current or daily \
        or bool(collectors) and may_list_tickets(collectors)
    commit()  # what was read so far holds no lock
    run = _Run(now, commit)
    if swept:
        run.sweep(collectors)
    else:
        run.check(due_ticket_batches(now))
    digests = send_collected(collectors)
    if swept:
        state = _state()
        state.fingerprint, state.swept_on = current, today
    commit()
    return TickReport(run.report.alerts, run.report.notified, run.report.waiting, digests,
                      run.stored, run.read, swept)


class _Run:
    """One run's batches and what they gave."""

    def __init__(self, now: dt.datetime, commit: Callable[[], None]):
        self.now, self.targets, self.commit = now, TargetTable(), commit
        self.report, self.stored, self.read = EscalationReport(), 0, 0

    def check(self, batches, now: dt.datetime | None = None, each=None) -> None:
        """Check each batch (escalation.check_batch), give its result to `each`, commit it."""
        for batch in batches:
            result = check_batch(batch, now or self.now, self.targets)
            self.report += result.report
            self.stored, self.read = self.stored + result.stored, self.read + len(batch)
            if each is not None:
                each(result)
            self.commit()

    def sweep(self, collectors: list) -> None:
        """Every open ticket, feeding the digests. A sweep of many tickets outlasts the tick's
        interval: every SOPORTE_SLA_TICK_SECONDS of it the tickets due by then are checked
        too, so their alerts do not wait for its end."""
        every, last = current_app.config["SOPORTE_SLA_TICK_SECONDS"], time.monotonic()

        def collect(result) -> None:
            nonlocal last
            for ticket, clocks in result.clocks:
                lines = TicketLines.of(ticket, clocks, self.now)
                for collector in collectors:
                    collector.add(lines)
            if time.monotonic() - last >= every:
                self.commit()  # the batch first
                moment = the_clock.now().astimezone(dt.timezone.utc)
                self.check(due_ticket_batches(moment), moment)
                last = time.monotonic()

        self.check(open_ticket_batches(), each=collect)


def fingerprint() -> str:
    """A digest of everything besides a ticket's own history that its stored due and check
    times depend on: the stored targets, calendars (windows, holidays, zone, in use), which
    clients and contracts use a calendar, and the settings of the default calendar and the
    warning. Small tables: read whole each run."""
    digest = hashlib.sha256(repr([current_app.config[name] for name in SETTINGS]).encode())
    for query in (
            select(SlaTarget.id, SlaTarget.urgency, SlaTarget.contract_id,
                   SlaTarget.first_response_minutes, SlaTarget.next_response_minutes,
                   SlaTarget.resolution_minutes).order_by(SlaTarget.id),
            select(BusinessCalendar.id, BusinessCalendar.time_zone, BusinessCalendar.active)
            .order_by(BusinessCalendar.id),
            select(BusinessWindow.calendar_id, BusinessWindow.weekday,
                   BusinessWindow.start_minute, BusinessWindow.end_minute)
            .order_by(BusinessWindow.calendar_id, BusinessWindow.weekday,
                      BusinessWindow.start_minute),
            select(CalendarHoliday.calendar_id, CalendarHoliday.day)
            .order_by(CalendarHoliday.calendar_id, CalendarHoliday.day),
            select(Client.id, Client.calendar_id).where(Client.calendar_id.is_not(None))
            .order_by(Client.id),
            select(Contract.id, Contract.calendar_id).where(Contract.calendar_id.is_not(None))
            .order_by(Contract.id)):
        digest.update(b"|")
        for row in db.session.execute(query):
            digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


def _state() -> SlaTickState:
    """The tick's remembered state (one row, made on the first run)."""
    state = db.session.get(SlaTickState, 1)
    if state is None:
        state = SlaTickState(id=1, fingerprint="", swept_on=None)
        db.session.add(state)
    return state
