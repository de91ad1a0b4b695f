"""The one clock: the current moment, and the company's day in its time zone (SOPORTE_TIMEZONE).

Every rule that means "now" or "today" (work dates, contract coverage, date filters, and the
coming billing periods and service levels) asks here, never `date.today()` or the server's
zone. A user may pick their own zone for display (User.time_zone). Tests fix the clock with
the SOPORTE_FIXED_NOW setting (an aware datetime), so a daylight-saving change can be crossed
on purpose.
"""
from __future__ import annotations

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l

from app.services.errors import ValidationFailed


# The days any door accepts (a form, the API, the command line): far enough for every real
# date, near enough that a day's bounds in any zone stay within what datetime can hold.
DATE_MIN = dt.date(1900, 1, 1)
DATE_MAX = dt.date(2999, 12, 31)


def now() -> dt.datetime:
    """The current moment, aware, in UTC (fixed in tests by SOPORTE_FIXED_NOW)."""
    fixed = current_app.config.get("SOPORTE_FIXED_NOW") if has_app_context() else None
    if fixed is not None:
        return fixed.astimezone(dt.timezone.utc)
    return dt.datetime.now(dt.timezone.utc)


def company_zone() -> ZoneInfo:
    """The company's time zone (SOPORTE_TIMEZONE)."""
    return zone_named(current_app.config["SOPORTE_TIMEZONE"])


def today() -> dt.date:
    """The company's current day."""
    return now().astimezone(company_zone()).date()


def local(moment: dt.datetime, zone: ZoneInfo | None = None) -> dt.datetime:
    """The moment in the given zone (the company's by default)."""
    return moment.astimezone(zone or company_zone())


def day_bounds(day: dt.date, zone: ZoneInfo | None = None) -> tuple[dt.datetime, dt.datetime]:
    """The UTC start and end (exclusive) of a local day: 23 or 25 hours across a
    daylight-saving change."""
    zone = zone or company_zone()
    start = dt.datetime.combine(day, dt.time.min, tzinfo=zone)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    return start.astimezone(dt.timezone.utc), end.astimezone(dt.timezone.utc)


def user_zone(user) -> ZoneInfo:
    """The zone a user reads times in: their own choice, else the company's."""
    name = getattr(user, "time_zone", None)
    return zone_named(name) if name and is_zone(name) else company_zone()


def chosen_zone(name: str | None) -> str | None:
    """A person's choice of display zone: a known IANA name, or None (empty) for the company's.
    Raises ValidationFailed (field time_zone) for an unknown name."""
    name = (name or "").strip()
    if not name:
        return None
    if not is_zone(name):
        raise ValidationFailed(_l("Choose a time zone from the list (for example Europe/Madrid "
                                  "or America/Bogota), or leave it empty for the company's."),
                               field="time_zone")
    return name


def is_zone(name: str | None) -> bool:
    """Whether the name is an IANA time zone this machine knows (e.g. Europe/Madrid)."""
    return bool(name) and name in zone_names()


@lru_cache(maxsize=1)
def zone_names() -> frozenset[str]:
    """Every IANA zone name known here."""
    return frozenset(available_timezones())


@lru_cache(maxsize=64)
def zone_named(name: str) -> ZoneInfo:
    """The zone of an IANA name; ZoneInfoNotFoundError for an unknown one."""
    if name not in zone_names() and name != "UTC":
        raise ZoneInfoNotFoundError(name)
    return ZoneInfo(name)
