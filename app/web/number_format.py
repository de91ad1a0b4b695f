"""Numbers shown to a person, formatted by Babel in the reader's language: amounts with their
currency ("150,50 US$" in Spanish, "$150.50" in English), hours ("2,5 h"), logged time
("1 h 30 min") and file sizes ("98 bytes", "1,2 MB").

The language is Flask-Babel's current locale: the signed-in user's on the dashboard, the
customer's on the quote portal and in mail (both render inside `force_locale`). Every template
shows a price, hours, logged time or a size through the filters registered here (`money`,
`hours`, `duration`, `filesize`).
"""
from __future__ import annotations

from decimal import Decimal

from flask import Flask
from flask_babel import format_currency, format_decimal, gettext, ngettext

SIZE_UNITS = ("KB", "MB", "GB", "TB")


def money(amount: Decimal | float | None, currency: str) -> str:
    """An amount in its currency, in the reader's language: "150,50 US$"; "" for none."""
    if amount is None:
        return ""
    return format_currency(amount, currency)


def hours(value: Decimal | float | None) -> str:
    """A number of hours in the reader's language with its unit: "2,5 h"; "" for none."""
    if value is None:
        return ""
    return f"{format_decimal(value, format='#,##0.##')} h"


def duration(minutes: int) -> str:
    """Logged minutes as hours and minutes: "1 h 30 min"."""
    return gettext("%(hours)s h %(minutes)s min", hours=minutes // 60, minutes=minutes % 60)


def filesize(size: int | None) -> str:
    """A size in bytes as a person reads it: "98 bytes", "1,2 MB" (powers of 1024)."""
    size = size or 0
    if size < 1024:
        return ngettext("%(num)s byte", "%(num)s bytes", size)
    value, unit = float(size), SIZE_UNITS[0]
    for unit in SIZE_UNITS:
        value /= 1024
        if value < 1024:
            break
    return f"{format_decimal(value, format='#,##0.#')} {unit}"


def capped_count(count: int, cap: int) -> str:
    """A count that stops counting past `cap`, in the reader's language: "1.234", or "10.000+"
    when it went past."""
    if count > cap:
        return f"{format_decimal(cap, format='#,##0')}+"
    return format_decimal(count, format="#,##0")


def register(app: Flask) -> None:
    """Put the filters on the app's templates."""
    app.jinja_env.filters["money"] = money
    app.jinja_env.filters["hours"] = hours
    app.jinja_env.filters["duration"] = duration
    app.jinja_env.filters["filesize"] = filesize
    app.jinja_env.filters["capped_count"] = capped_count
