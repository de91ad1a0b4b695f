"""Times shown to a person: stored moments (UTC) formatted by Babel in the reader's language
and time zone.

The reader's zone is the signed-in user's own (User.time_zone), else the company's
(SOPORTE_TIMEZONE); Flask-Babel asks `reader_zone` (its timezone selector). Pages a customer
reads (the quote portal, mail) pass the company's zone explicitly, since whoever's request
renders them is not their reader. Every template shows a moment through the filters
registered here (`local_datetime`, `local_date`, `age`: how long ago, short), and the admin's
lists through
`admin_datetime`; exports keep ISO 8601 with the UTC offset (app/export.py).
"""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time, format_timedelta, get_datetime_format
from flask import Flask
from flask_babel import get_locale, get_timezone
from flask_login import current_user

from app.services import clock


def reader_zone() -> ZoneInfo:
    """The zone the current reader reads times in: the signed-in user's, else the company's."""
    if getattr(current_user, "is_authenticated", False):
        return clock.user_zone(current_user)
    return clock.company_zone()


def _zone(zone: ZoneInfo | str | None) -> dt.tzinfo:
    """The zone asked for (a ZoneInfo or an IANA name), else the reader's."""
    if zone is None:
        return get_timezone()
    return clock.zone_named(zone) if isinstance(zone, str) else zone


def local_datetime(moment: dt.datetime | None, zone: ZoneInfo | str | None = None) -> str:
    """A moment as date and time in the reader's language and zone (or the given zone):
    "25 oct 2026, 2:30" in Spanish, "Oct 25, 2026, 2:30 AM" in English; "" for none."""
    if moment is None:
        return ""
    locale = get_locale()
    local = clock.local(_aware(moment), _zone(zone))
    pattern = get_datetime_format("medium", locale=locale).replace("'", "")
    return (pattern.replace("{0}", format_time(local, "short", locale=locale))
            .replace("{1}", format_date(local, "medium", locale=locale)))


def local_date(moment: dt.datetime | dt.date | None,
               zone: ZoneInfo | str | None = None) -> str:
    """The local day of a moment (or a plain date) in the reader's language: "25 oct 2026"."""
    if moment is None:
        return ""
    if isinstance(moment, dt.datetime):
        moment = clock.local(_aware(moment), _zone(zone)).date()
    return format_date(moment, "medium", locale=get_locale())


def age(moment: dt.datetime) -> str:
    """How long ago the moment was, short and in the reader's language ("3 d", "5 h"), by the
    one clock."""
    elapsed = max(clock.now() - _aware(moment), dt.timedelta(0))
    return format_timedelta(elapsed, format="short", locale=get_locale())


def reader_zone_name() -> str:
    """The IANA name of the zone this page's times are in (e.g. Europe/Madrid)."""
    return str(get_timezone())


def admin_datetime(view, context, model, name) -> str:
    """A Flask-Admin column formatter: the model's datetime column in the reader's zone.
    Use as `column_formatters = {"created_at": admin_datetime}`."""
    return local_datetime(getattr(model, name))


def _aware(moment: dt.datetime) -> dt.datetime:
    """A stored moment as an aware datetime (a naive one is UTC, as every column stores)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


def register(app: Flask) -> None:
    """Put the filters and the zone's name on the app's templates."""
    app.jinja_env.filters["local_datetime"] = local_datetime
    app.jinja_env.filters["local_date"] = local_date
    app.jinja_env.filters["age"] = age
    app.jinja_env.globals["reader_zone_name"] = reader_zone_name
    app.jinja_env.globals["company_zone"] = clock.company_zone
