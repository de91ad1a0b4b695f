"""The weeks and months a report counts in, in the company's time zone (clock.company_zone):
each cut to the report's period, and the SQL expression that puts a UTC timestamp in its
company-local week or month (a CASE on the periods' UTC bounds: the same on SQLite and
PostgreSQL, right across a daylight-saving change)."""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, case, literal

from app.services import clock


@dataclass(frozen=True)
class Period:
    """A week or month of a report, cut to the report's period: its key (2026-W48, 2026-11)
    and its first and last company-local day."""

    key: str
    first: dt.date
    last: dt.date


def weeks(first: dt.date, last: dt.date) -> list[Period]:
    """The ISO weeks (Monday to Sunday) from the first day to the last, the first and last week
    cut to them."""
    periods, day = [], first
    while day <= last:
        end = min(day + dt.timedelta(days=6 - day.weekday()), last)
        year, week, _ = day.isocalendar()
        periods.append(Period(f"{year}-W{week:02d}", day, end))
        day = end + dt.timedelta(days=1)
    return periods


def months(first: dt.date, last: dt.date) -> list[Period]:
    """The calendar months from the first day to the last, the first and last month cut to
    them."""
    periods, day = [], first
    while day <= last:
        following = month_start(day.replace(day=28) + dt.timedelta(days=4))
        periods.append(Period(f"{day.year}-{day.month:02d}", day,
                              min(following - dt.timedelta(days=1), last)))
        day = following
    return periods


def key_of(moment: ColumnElement, periods: Sequence[Period]) -> ColumnElement:
    """SQL: the key of the period a UTC timestamp column falls in (NULL after the last; the
    caller keeps the moments within utc_bounds)."""
    zone = clock.company_zone()
    return case(*((moment < clock.day_bounds(p.last, zone)[1], literal(p.key))
                  for p in periods), else_=literal(None))


def utc_bounds(first: dt.date, last: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The first moment of the first company day and the moment after the last, in UTC."""
    return clock.day_bounds(first)[0], clock.day_bounds(last)[1]


def month_start(day: dt.date) -> dt.date:
    """The first day of the day's month."""
    return day.replace(day=1)
