"""Business-hours calendars: the grammar of weekly hours ("mon-fri 09:00-14:00,15:00-18:00;
sat 10:00-13:00"), the default calendar from the configuration (SOPORTE_TIMEZONE,
SOPORTE_BUSINESS_HOURS, SOPORTE_HOLIDAYS), stored calendars (saved by administrators, holidays
seeded from the `holidays` package), and which calendar a ticket follows (calendar_for)."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Container
from zoneinfo import ZoneInfo

import holidays as holiday_data
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.extensions import db
from app.models.sla import BusinessCalendar, BusinessWindow, CalendarHoliday
from app.services import clock
from app.services.errors import ValidationFailed
from app.services.permissions import Actor, Permission, require

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_MINUTES = 24 * 60
# A week: for each weekday (0 Monday … 6 Sunday), its windows as (start, end) minutes from the
# local midnight, sorted and separate; 1440 is 24:00.
Week = tuple[tuple[tuple[int, int], ...], ...]

_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")
EXAMPLE = "mon-fri 09:00-14:00,15:00-18:00; sat 10:00-13:00"


@dataclass(frozen=True, eq=False)
class Calendar:
    """A calendar as business_time reads it: a zone, a week of windows, and the holidays (any
    container of dates: a stored calendar's set, or the `holidays` package's lazy table)."""

    name: str
    zone: ZoneInfo
    week: Week
    holidays: Container[dt.date]

    def windows_on(self, day: dt.date) -> tuple[tuple[int, int], ...]:
        """The day's windows in minutes from local midnight; none on a holiday."""
        if day in self.holidays:
            return ()
        return self.week[day.weekday()]


# --- The grammar -------------------------------------------------------------------------

def parse_business_hours(spec: str, field: str = "business_hours") -> Week:
    """The week a spec describes: groups separated by ";", each days (mon, mon-fri, sat,sun)
    then windows HH:MM-HH:MM separated by ","; 24:00 ends a day. Raises ValidationFailed (the
    field given) for a malformed spec, overlapping windows, or a week without hours."""
    groups = [group.strip() for group in (spec or "").split(";") if group.strip()]
    if not groups:
        raise ValidationFailed(_l("Enter the business hours, for example “%(example)s”.",
                                  example=EXAMPLE), field=field)
    week: list[list[tuple[int, int]]] = [[] for _ in DAY_NAMES]
    for group in groups:
        parts = group.split(None, 1)
        if len(parts) != 2:
            raise ValidationFailed(_l("“%(part)s” is not business hours: write the days, then "
                                      "the times, for example “%(example)s”.",
                                      part=group, example=EXAMPLE), field=field)
        days = _days(parts[0], field)
        windows = [_window(text, field) for text in re.split(r"\s*,\s*", parts[1].strip())]
        for day in days:
            week[day].extend(windows)
    for day, windows in enumerate(week):
        windows.sort()
        for before, after in zip(windows, windows[1:]):
            if after[0] < before[1]:
                raise ValidationFailed(_l("Two windows overlap on %(day)s: make each day's "
                                          "windows separate.", day=DAY_NAMES[day]), field=field)
    return tuple(tuple(windows) for windows in week)


def _days(text: str, field: str) -> list[int]:
    """The weekdays of "mon", "mon-fri", "sat,sun" or "fri-mon" (a range may wrap the week)."""
    days: list[int] = []
    for part in text.lower().split(","):
        first, _, last = part.partition("-")
        if first not in DAY_NAMES or (last and last not in DAY_NAMES):
            raise ValidationFailed(_l("“%(day)s” is not a day: use mon, tue, wed, thu, fri, sat, "
                                      "sun, or a range such as mon-fri.", day=part), field=field)
        start = DAY_NAMES.index(first)
        count = ((DAY_NAMES.index(last) - start) % 7 + 1) if last else 1
        days.extend((start + offset) % 7 for offset in range(count))
    return sorted(set(days))


def _window(text: str, field: str) -> tuple[int, int]:
    """(start, end) minutes of "09:00-18:00"; the start before the end, the end at most 24:00."""
    start, _, end = text.partition("-")
    minutes = [_minutes(start), _minutes(end)]
    if None in minutes or not minutes[0] < minutes[1] <= DAY_MINUTES:
        raise ValidationFailed(_l("“%(window)s” is not a time window: write it as HH:MM-HH:MM "
                                  "with the start before the end, for example 09:00-18:00 "
                                  "(24:00 ends the day).", window=text), field=field)
    return minutes[0], minutes[1]


def _minutes(text: str) -> int | None:
    """Minutes from midnight of "HH:MM" (00:00 to 24:00), else None."""
    match = _TIME.match(text.strip())
    if not match:
        return None
    hours, minutes = int(match.group(1)), int(match.group(2))
    if minutes > 59 or hours > 24 or (hours == 24 and minutes):
        return None
    return hours * 60 + minutes


def format_business_hours(week: Week) -> str:
    """The spec of a week, consecutive days with the same windows as a range (the inverse of
    parse_business_hours): "mon-fri 09:00-18:00; sat 10:00-13:00"."""
    groups: list[str] = []
    day = 0
    while day < 7:
        last = day
        while last + 1 < 7 and week[last + 1] == week[day]:
            last += 1
        if week[day]:
            days = DAY_NAMES[day] if last == day else f"{DAY_NAMES[day]}-{DAY_NAMES[last]}"
            times = ",".join(f"{_hhmm(start)}-{_hhmm(end)}" for start, end in week[day])
            groups.append(f"{days} {times}")
        day = last + 1
    return "; ".join(groups)


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


# --- Holidays from the `holidays` package ------------------------------------------------

def parse_holiday_region(spec: str,
                         field: str = "SOPORTE_HOLIDAYS") -> tuple[str, str | None] | None:
    """(country, subdivision) of "ES" or "ES-MD"; None for "" (no holidays). Raises
    ValidationFailed when the `holidays` package knows no such country or subdivision."""
    spec = (spec or "").strip()
    if not spec:
        return None
    country, _, subdivision = spec.partition("-")
    region = country.strip().upper(), (subdivision.strip() or None)
    package_holidays(*region, field=field)  # refuses an unknown one now, not at first use
    return region


def package_holidays(country: str, subdivision: str | None, years=None,
                      field: str = "country") -> holiday_data.HolidayBase:
    """The `holidays` package's table for the region (expanding to any year asked), its names
    in Spanish where the package has them. Raises ValidationFailed for an unknown region."""
    try:
        table = holiday_data.country_holidays(country, subdiv=subdivision, years=years)
    except NotImplementedError:
        raise ValidationFailed(_l("No holidays are known for “%(region)s”: give a country code "
                                  "such as ES, and optionally a region such as MD (Madrid).",
                                  region="-".join(filter(None, (country, subdivision)))),
                               field=field) from None
    if "es" in getattr(table, "supported_languages", ()):
        table = holiday_data.country_holidays(country, subdiv=subdivision, years=years,
                                              language="es")
    return table


# --- The default calendar and stored ones ------------------------------------------------

def default_calendar() -> Calendar:
    """The configured calendar: SOPORTE_TIMEZONE, SOPORTE_BUSINESS_HOURS, SOPORTE_HOLIDAYS
    (a value, no row). Raises ValidationFailed naming the setting that is malformed."""
    config = current_app.config
    return _default_calendar(config["SOPORTE_TIMEZONE"], config["SOPORTE_BUSINESS_HOURS"],
                             config["SOPORTE_HOLIDAYS"])


@lru_cache(maxsize=8)
def _default_calendar(zone: str, hours: str, region: str) -> Calendar:
    week = parse_business_hours(hours, field="SOPORTE_BUSINESS_HOURS")
    parsed = parse_holiday_region(region)
    days = package_holidays(*parsed) if parsed else frozenset()
    return Calendar(name="default", zone=clock.zone_named(zone), week=week, holidays=days)


def stored_calendar(row: BusinessCalendar) -> Calendar:
    """The calendar of a stored row: its zone, windows and holidays. The same values give the
    same Calendar object, so business_time's table of its days is read once, not per ticket."""
    week: list[list[tuple[int, int]]] = [[] for _ in DAY_NAMES]
    for window in row.windows:
        week[window.weekday].append((window.start_minute, window.end_minute))
    return _calendar_of(row.name, row.time_zone, tuple(tuple(sorted(day)) for day in week),
                        frozenset(holiday.day for holiday in row.holidays))


@lru_cache(maxsize=64)
def _calendar_of(name: str, zone: str, week: Week, holidays: frozenset[dt.date]) -> Calendar:
    return Calendar(name=name, zone=clock.zone_named(zone), week=week, holidays=holidays)


def calendar_for(ticket) -> Calendar:
    """The calendar a ticket's clocks follow: its contract's (when active), else its client's,
    else the configured default."""
    for owner in (ticket.contract, ticket.client):
        calendar_id = getattr(owner, "calendar_id", None)
        if calendar_id is not None:
            row = db.session.get(BusinessCalendar, calendar_id)
            if row is not None and row.active:
                return stored_calendar(row)
    return default_calendar()


def calendar_named(name: str) -> Calendar:
    """A stored calendar by name (case-insensitive). Raises ValidationFailed (field calendar)
    when there is none."""
    row = db.session.scalar(select(BusinessCalendar)
                            .where(func.lower(BusinessCalendar.name) == name.strip().lower()))
    if row is None:
        raise ValidationFailed(_l("There is no calendar named “%(name)s”.", name=name),
                               field="calendar")
    return stored_calendar(row)


def week_of(row: BusinessCalendar) -> Week:
    """A stored calendar's week (for showing it as a spec)."""
    return stored_calendar(row).week


# --- Saving (administrators) -------------------------------------------------------------

@dataclass(frozen=True)
class CalendarFields:
    """What an administrator edits of a calendar: its name, zone, hours as a spec, whether it
    is in use, and its holidays (day, name)."""

    name: str
    time_zone: str
    business_hours: str
    active: bool = True
    holidays: tuple[tuple[dt.date, str], ...] = ()


def save_calendar(actor: Actor, row: BusinessCalendar | None,
                  fields: CalendarFields) -> BusinessCalendar:
    """Create (row None) or change a calendar: its windows are replaced by the spec's, its
    holidays by those given. Raises NotPermitted (not an administrator), ValidationFailed
    (name missing or taken, unknown zone, malformed hours, a day given twice)."""
    require(actor, Permission.MANAGE_REFERENCE)
    name = (fields.name or "").strip()
    if not name:
        raise ValidationFailed(_l("Enter the calendar's name."), field="name")
    taken = select(BusinessCalendar.id).where(func.lower(BusinessCalendar.name) == name.lower())
    if row is not None and row.id is not None:
        taken = taken.where(BusinessCalendar.id != row.id)
    if db.session.scalar(taken) is not None:
        raise ValidationFailed(_l("A calendar named “%(name)s” exists already: choose another "
                                  "name, or edit that one.", name=name), field="name")
    zone = (fields.time_zone or "").strip()
    if not clock.is_zone(zone) and zone != "UTC":
        raise ValidationFailed(_l("Choose a time zone by its IANA name, for example "
                                  "Europe/Madrid."), field="time_zone")
    week = parse_business_hours(fields.business_hours)
    holidays = _holiday_rows(fields.holidays)
    row = row or BusinessCalendar()
    row.name, row.time_zone, row.active = name, zone, bool(fields.active)
    row.windows = [BusinessWindow(weekday=day, start_minute=start, end_minute=end)
                   for day, windows in enumerate(week) for start, end in windows]
    kept = {holiday.day: holiday for holiday in row.holidays}
    row.holidays = [_holiday(kept, day, text) for day, text in holidays]
    db.session.add(row)
    db.session.flush()
    return row


def _holiday_rows(entries) -> list[tuple[dt.date, str]]:
    """The holidays given, each day once, sorted. Raises ValidationFailed (field holidays)."""
    seen: dict[dt.date, str] = {}
    for day, text in entries:
        if not isinstance(day, dt.date):
            raise ValidationFailed(_l("Give each holiday its date."), field="holidays")
        if day in seen:
            raise ValidationFailed(_l("%(day)s is listed twice as a holiday: keep one.",
                                      day=day.isoformat()), field="holidays")
        seen[day] = (text or "").strip()[:200]
    return sorted(seen.items())


def _holiday(kept: dict, day: dt.date, name: str) -> CalendarHoliday:
    """The row of a holiday: the existing one of that day (renamed), or a new one."""
    row = kept.get(day) or CalendarHoliday(day=day)
    row.name = name
    return row


def seed_holidays(actor: Actor, calendar: BusinessCalendar, country: str,
                  subdivision: str | None, year: int) -> int:
    """Add to a stored calendar the public holidays of a country (and region) in a year, from
    the `holidays` package; days it has already keep their name. Returns how many were added.
    Raises NotPermitted, ValidationFailed (unknown country or region, a year out of range)."""
    require(actor, Permission.MANAGE_REFERENCE)
    if not isinstance(year, int) or not 1900 <= year <= 2200:
        raise ValidationFailed(_l("Give the year as four digits, for example 2026."),
                               field="year")
    table = package_holidays((country or "").strip().upper(),
                              (subdivision or "").strip() or None, years=year)
    have = {holiday.day for holiday in calendar.holidays}
    added = [CalendarHoliday(day=day, name=str(name)[:200])
             for day, name in sorted(table.items()) if day not in have and day.year == year]
    calendar.holidays.extend(added)
    db.session.flush()
    return len(added)


def use_calendar(actor: Actor, owner, calendar: BusinessCalendar | None) -> None:
    """Give a client or a contract (owner) a stored calendar for its tickets' clocks (None: the
    next in line, at last the default). Raises NotPermitted (not an administrator),
    ValidationFailed (field calendar) for an inactive calendar."""
    require(actor, Permission.MANAGE_REFERENCE)
    if calendar is not None and not calendar.active:
        raise ValidationFailed(_l("The calendar “%(name)s” is not active: activate it first, "
                                  "or choose another.", name=calendar.name), field="calendar")
    owner.calendar_id = calendar.id if calendar is not None else None
    db.session.flush()
