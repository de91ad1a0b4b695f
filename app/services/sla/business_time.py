"""Arithmetic in business time on a calendar (app.services.sla.calendars.Calendar): the moment a
number of business minutes after another, and the business time between two moments.

Each day's windows are read in the calendar's wall time and converted to UTC per window
(zoneinfo), so a window on a daylight-saving day has its real length (00:00-24:00 is 23 hours
in spring and 25 in autumn), and a holiday has none. Pure: no database, no clock.

A calendar's days are read once (_Days, kept per calendar object): each day's windows in UTC,
and per year the business time before each day, so the time between moments months apart (an
old ticket's overdue clock) costs a few lookups, not a walk over every day between them.
"""
from __future__ import annotations

import datetime as dt
import math
import weakref
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
    days = _days_of(calendar)
    first, last = days.local_day(start), days.local_day(end)
    if first == last:
        return days.within(first, start, end)
    return (days.within(first, start, end) + days.between(first + ONE_DAY, last)
            + days.within(last, start, end))


def business_minutes_between(calendar: Calendar, start: dt.datetime, end: dt.datetime) -> int:
    """Whole business minutes from `start` to `end`, rounded down (negative when `end` is
    earlier: -0.5 minutes is -1, already late)."""
    return math.floor(business_time_between(calendar, start, end) / dt.timedelta(minutes=1))


ONE_DAY = dt.timedelta(days=1)
ZERO = dt.timedelta(0)


class _Days:
    """One calendar's days as UTC windows, each read once, and per year the business time
    before each of its days (a prefix sum)."""

    def __init__(self, calendar: Calendar):
        self.calendar = calendar
        self._windows: dict[dt.date, tuple[tuple[dt.datetime, dt.datetime], ...]] = {}
        self._before: dict[int, list[dt.timedelta]] = {}  # year → time before each day, + total

    def local_day(self, moment: dt.datetime) -> dt.date:
        return moment.astimezone(self.calendar.zone).date()

    def windows(self, day: dt.date) -> tuple[tuple[dt.datetime, dt.datetime], ...]:
        """The day's windows as UTC (opens, closes); all within the local day."""
        found = self._windows.get(day)
        if found is None:
            found = self._windows[day] = tuple(
                (_wall(self.calendar, day, first), _wall(self.calendar, day, last))
                for first, last in self.calendar.windows_on(day))
        return found

    def within(self, day: dt.date, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
        """The business time of the day's windows between start and end."""
        total = ZERO
        for opens, closes in self.windows(day):
            overlap = min(closes, end) - max(opens, start)
            if overlap > ZERO:
                total += overlap
        return total

    def between(self, first: dt.date, last: dt.date) -> dt.timedelta:
        """The business time of the whole days from `first` to before `last`."""
        if last <= first:
            return ZERO
        if first.year == last.year:
            year = self._year(first.year)
            return year[_day_index(last)] - year[_day_index(first)]
        total = self._year(first.year)[-1] - self._year(first.year)[_day_index(first)]
        for year in range(first.year + 1, last.year):
            total += self._year(year)[-1]
        return total + self._year(last.year)[_day_index(last)]

    def _year(self, year: int) -> list[dt.timedelta]:
        """The business time before each day of the year (by index from 1 January), and the
        year's total last."""
        found = self._before.get(year)
        if found is None:
            found, total, day = [], ZERO, dt.date(year, 1, 1)
            while day.year == year:
                found.append(total)
                total += sum((closes - opens for opens, closes in self.windows(day)), ZERO)
                day += ONE_DAY
            found.append(total)
            self._before[year] = found
        return found


def _day_index(day: dt.date) -> int:
    return day.timetuple().tm_yday - 1


_TABLES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _days_of(calendar: Calendar) -> _Days:
    """The calendar's day table (kept as long as the calendar object lives: the default
    calendar's for the process)."""
    days = _TABLES.get(calendar)
    if days is None:
        days = _TABLES[calendar] = _Days(calendar)
    return days


def _windows_from(calendar: Calendar, start: dt.datetime) -> Iterator[tuple[dt.datetime,
                                                                             dt.datetime]]:
    """The calendar's windows as UTC (opens, closes), from the local day of `start` onwards,
    for at most MAX_DAYS days."""
    days = _days_of(calendar)
    day = days.local_day(start)
    for offset in range(MAX_DAYS):
        yield from days.windows(day + dt.timedelta(days=offset))


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
