"""Arithmetic in business time on a calendar (app.services.sla.calendars.Calendar): the moment a
number of business minutes after another, and the business time between two moments.

Each day's windows are read in the calendar's wall time and converted to UTC per window
(zoneinfo), so a window on a daylight-saving day has its real length (00:00-24:00 is 23 hours
in spring and 25 in autumn), and a holiday has none. Pure: no database, no clock.
"""
from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.services.sla.calendars import Calendar

UTC = dt.timezone.utc
# A calendar whose windows are all on holidays for this long has no business time to give.
MAX_DAYS = 3660


def add_business_minutes(calendar: Calendar, start: dt.datetime,
                         minutes: float) -> dt.datetime:
    """The moment (aware, UTC) when `minutes` business minutes have passed since `start` (a
    start outside business hours counts from the next window). Exactly filling a window ends
    at its close, not at the next opening. Raises ValueError for a naive start or a calendar
    without business hours."""
    return add_business_time(calendar, start, dt.timedelta(minutes=minutes))


def add_business_time(calendar: Calendar, start: dt.datetime,
                      amount: dt.timedelta) -> dt.datetime:
    """add_business_minutes with a timedelta (negative amounts are not business time)."""
    start = _utc(start)
    if amount <= dt.timedelta(0):
        return start
    remaining = amount
    for opens, closes in _windows_from(calendar, start):
        if closes <= start:
            continue
        begin = max(opens, start)
        available = closes - begin
        if remaining <= available:
            return begin + remaining
        remaining -= available
    raise ValueError(f"calendar {calendar.name!r} has no business hours within {MAX_DAYS} days")


def business_time_between(calendar: Calendar, start: dt.datetime,
                          end: dt.datetime) -> dt.timedelta:
    """The business time from `start` to `end` (negative when `end` is earlier)."""
    start, end = _utc(start), _utc(end)
    if end < start:
        return -business_time_between(calendar, end, start)
    total = dt.timedelta(0)
    for opens, closes in _windows_from(calendar, start):
        if opens >= end:
            break
        overlap = min(closes, end) - max(opens, start)
        if overlap > dt.timedelta(0):
            total += overlap
    return total


def business_minutes_between(calendar: Calendar, start: dt.datetime, end: dt.datetime) -> int:
    """Whole business minutes from `start` to `end`, rounded down (negative when `end` is
    earlier: -0.5 minutes is -1, already late)."""
    return math.floor(business_time_between(calendar, start, end) / dt.timedelta(minutes=1))


def _windows_from(calendar: Calendar, start: dt.datetime) -> Iterator[tuple[dt.datetime,
                                                                             dt.datetime]]:
    """The calendar's windows as UTC (opens, closes), from the local day of `start` onwards,
    for at most MAX_DAYS days."""
    day = start.astimezone(calendar.zone).date()
    for offset in range(MAX_DAYS):
        current = day + dt.timedelta(days=offset)
        for first, last in calendar.windows_on(current):
            yield _wall(calendar, current, first), _wall(calendar, current, last)


def _wall(calendar: Calendar, day: dt.date, minute: int) -> dt.datetime:
    """The UTC moment of a wall time (minutes from the local midnight; 1440 is the next
    midnight). A time skipped by the spring change reads with the offset before it, so a
    window that starts or ends in the gap keeps its real length."""
    day += dt.timedelta(days=minute // 1440)
    minute %= 1440
    local = dt.datetime.combine(day, dt.time(minute // 60, minute % 60), tzinfo=calendar.zone)
    return local.astimezone(UTC)


def _utc(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None:
        raise ValueError("naive datetime given; use an aware one")
    return moment.astimezone(UTC)
