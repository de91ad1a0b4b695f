"""One run of `flask sla tick`: the open tickets' clocks computed once (ticket_clocks), then
the warnings and breaches due (escalation) and the supervisors' digests (digest) from them."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from app.services import clock as the_clock
from app.services.sla.digest import send_digests
from app.services.sla.escalation import open_ticket_clocks, run_due_checks


@dataclass(frozen=True)
class TickReport:
    """What one run gave: alerts recorded, notifications left, alerts waiting for working
    hours, digests sent."""

    alerts: int
    notified: int
    waiting: int
    digests: int


def tick(now: dt.datetime | None = None) -> TickReport:
    """Run the due checks and the digests at `now` (default: the clock) on one computation of
    the open tickets' clocks. Flushes, never commits: the caller owns the transaction."""
    now = now or the_clock.now()
    clocks = list(open_ticket_clocks(now))
    checks = run_due_checks(now, clocks)
    return TickReport(checks.alerts, checks.notified, checks.waiting, send_digests(now, clocks))
