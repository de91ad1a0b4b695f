"""One run of `flask sla tick`: the open tickets' clocks computed once (ticket_clocks), then
their stored due times (stored_due: the list's sort and filters), the warnings and breaches due
(escalation) and the supervisors' digests (digest) from them."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from app.extensions import db
from app.services import clock as the_clock
from app.services.sla.digest import send_digests
from app.services.sla.escalation import open_ticket_clocks, run_due_checks
from app.services.sla.stored_due import store_dues


@dataclass(frozen=True)
class TickReport:
    """What one run gave: alerts recorded, notifications left, alerts waiting for working
    hours, digests sent, stored due times corrected (a target, calendar or holiday edited)."""

    alerts: int
    notified: int
    waiting: int
    digests: int
    dues: int = 0


def tick(now: dt.datetime | None = None) -> TickReport:
    """Run the due checks and the digests at `now` (default: the clock) on one computation of
    the open tickets' clocks. Flushes, never commits: the caller owns the transaction."""
    now = now or the_clock.now()
    clocks = list(open_ticket_clocks(now))
    dues = store_dues(db.session, clocks)
    checks = run_due_checks(now, clocks)
    return TickReport(checks.alerts, checks.notified, checks.waiting, send_digests(now, clocks),
                      dues)
