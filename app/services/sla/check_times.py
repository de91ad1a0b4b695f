"""Ticket.sla_check_at: the next moment `flask sla tick` has something to do for a ticket, so
that a tick reads only the tickets whose moment has come (docs/service_levels.md, issue 15).

It is the earliest, among the ticket's clocks still counting, of the moment its warning becomes
due (the clock will have used SOPORTE_SLA_WARN_PERCENT of its target if it runs on) and of its
due time (the breach), leaving out the alerts given already; None when no clock counts (done,
met, or paused within its target: a pause ends only by an event that stores the moment again).
A clock past its target whose breach is not given yet, and one whose warning is due, give a
moment already past: the tick reads the ticket until the alert is given (one waiting for the
recipients' working hours stays due until then).

Kept where Ticket.sla_due is kept (app.services.sla.stored_due, at each commit of a ticket's
history: there without looking at the alerts given, so a ticket past its warning is read once
more by the next tick) and by the tick (app.services.sla.escalation), which knows the alerts.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Container

from flask import current_app

from app.models.enums import ClockState, SlaAlertLevel, SlaClock
from app.services.sla.business_time import add_business_time, business_time_between
from app.services.sla.calendars import calendar_for
from app.services.sla.clocks import Clock, TicketClocks

# An alert given: (clock, cycle, level), as sla_alert keeps it for one ticket.
Given = tuple[SlaClock, str, SlaAlertLevel]
NOTHING_GIVEN: frozenset[Given] = frozenset()
TICK = dt.timedelta(microseconds=1)


def warn_percent() -> int:
    """SOPORTE_SLA_WARN_PERCENT."""
    return current_app.config["SOPORTE_SLA_WARN_PERCENT"]


def warning_minutes(target_minutes: int, percent: int) -> int:
    """The one rule of when a clock's warning is due: once its whole minutes used reach this,
    ceil(target × percent / 100) (escalation.alert_level asks it of a clock now, warning_at
    finds the moment it becomes true)."""
    return -(-target_minutes * percent // 100)


def named_clocks(clocks: TicketClocks) -> list[tuple[SlaClock, Clock]]:
    """The ticket's clocks still counting (not met), with their names."""
    pairs = [(SlaClock.FIRST_RESPONSE, clocks.first_response),
             (SlaClock.NEXT_RESPONSE, clocks.next_response),
             (SlaClock.RESOLUTION, clocks.resolution)]
    return [(name, clock) for name, clock in pairs
            if clock is not None and clock.completed_at is None]


def cycle_of(clock: Clock) -> str:
    """The clock's cycle key in sla_alert: its start (each customer message's next-response
    clock is a cycle of its own)."""
    return clock.started_at.astimezone(dt.timezone.utc).isoformat()


def warning_at(calendar, clock: Clock, now: dt.datetime, percent: int) -> dt.datetime:
    """When a clock running at `now` has its warning due: once the whole minutes used (the
    target less minutes_left, which is rounded down) reach warning_minutes, that is as soon as
    more than one minute less than that is counted; `now` when that is past."""
    whole = warning_minutes(clock.target_minutes, percent)
    threshold = dt.timedelta(minutes=whole - 1) + TICK
    used = dt.timedelta(minutes=clock.target_minutes) - business_time_between(
        calendar, now, clock.due)
    if threshold <= used:
        return now
    return add_business_time(calendar, now, threshold - used)


def check_at_of(ticket, clocks: TicketClocks, percent: int,
                given: Container[Given] = NOTHING_GIVEN) -> dt.datetime | None:
    """The ticket's next check moment for its clocks (computed at clocks.computed_at), leaving
    out the alerts in `given`; None when no clock counts."""
    moments, calendar = [], None
    for name, clock in named_clocks(clocks):
        cycle = cycle_of(clock)
        if clock.state is ClockState.BREACHED:
            if (name, cycle, SlaAlertLevel.BREACH) not in given:
                moments.append(clock.due)
        elif clock.state is ClockState.RUNNING:
            if (name, cycle, SlaAlertLevel.WARNING) not in given:
                calendar = calendar or calendar_for(ticket)
                # never after the breach (a warning percent over 100 comes after it)
                moments.append(min(warning_at(calendar, clock, clocks.computed_at, percent),
                                   clock.due))
            elif (name, cycle, SlaAlertLevel.BREACH) not in given:
                moments.append(clock.due)
    return min(moments, default=None)
