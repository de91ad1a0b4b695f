"""Request parameters as bounded values, one place for every view and form: record ids within
the database's integer range (in the query, the form and the URL), dates within a sane range,
whole page numbers, choices of an enumeration. A value that does not fit is refused with a
ValidationFailed whose message names the field and says what to send instead."""
from __future__ import annotations

import datetime as dt
import re
from enum import Enum
from typing import TypeVar

from flask import abort, request
from flask_babel import lazy_gettext as _l
from werkzeug.routing import BaseConverter
from werkzeug.routing import ValidationError as NoMatch
from wtforms import Form, SelectField

from app.models.columns import INTEGER_MAX
from app.services.clock import DATE_MAX, DATE_MIN  # noqa: F401 - the range every door takes
from app.services.control_characters import fits_one_line
from app.services.errors import ValidationFailed

ID_MAX = INTEGER_MAX  # every primary key is an INTEGER
PAGE_MAX = 1_000_000
# ASCII digits only: int() would also take " 7", "1_0" and other scripts' digits.
_WHOLE = re.compile(r"[0-9]{1,10}")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# Where a page sends the browser next (after sign-in; Flask-Admin's return address).
REDIRECT_PARAMS = ("next", "url")

E = TypeVar("E", bound=Enum)
F = TypeVar("F", bound=Form)


def _not_an_option(label) -> str:
    return _l("%(field)s: choose one of the options offered; the value sent is not one of them.",
              field=label)


def bounded_id(value: str | int | None) -> int | None:
    """A record id from text or int; None when empty. ValueError unless it is a whole number
    from 1 to ID_MAX (a larger one cannot be any row's id)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and _WHOLE.fullmatch(value):
        number = int(value)
    else:
        raise ValueError(value)
    if not 1 <= number <= ID_MAX:
        raise ValueError(value)
    return number


def parse_id(value: str | None, field: str, label) -> int | None:
    """A record id from a request (None when absent or empty). Raises ValidationFailed."""
    try:
        return bounded_id(value)
    except ValueError:
        raise ValidationFailed(_not_an_option(label), field=field) from None


def parse_choice(value: str | None, enum: type[E], field: str, label) -> E | None:
    """A member of the enumeration by its value (None when absent or empty).
    Raises ValidationFailed."""
    if value is None or value == "":
        return None
    try:
        return enum(value)
    except ValueError:
        raise ValidationFailed(_not_an_option(label), field=field) from None


def parse_date(value: str | None, field: str, label) -> dt.date | None:
    """A date written YYYY-MM-DD between DATE_MIN and DATE_MAX (None when absent or empty).
    Raises ValidationFailed."""
    if value is None or value == "":
        return None
    try:
        if not _ISO_DATE.fullmatch(value):
            raise ValueError(value)
        date = dt.date.fromisoformat(value)
        if not DATE_MIN <= date <= DATE_MAX:
            raise ValueError(value)
        return date
    except ValueError:
        raise ValidationFailed(
            _l("%(field)s: write a date between %(first)s and %(last)s as YYYY-MM-DD.",
               field=label, first=DATE_MIN.isoformat(), last=DATE_MAX.isoformat()),
            field=field) from None


def parse_page(value: str | None, field: str = "page", label=_l("Page")) -> int:
    """A page number (1 when absent); past PAGE_MAX it is PAGE_MAX (lists show their last
    page). Raises ValidationFailed unless it is a whole number."""
    if value is None or value == "":
        return 1
    if not re.fullmatch(r"[0-9]+", value):
        raise ValidationFailed(_l("%(field)s: write a whole number of 1 or more.", field=label),
                               field=field)
    digits = value.lstrip("0") or "0"
    return PAGE_MAX if len(digits) > len(str(PAGE_MAX)) else max(1, min(PAGE_MAX, int(digits)))


def refuse_unusable_redirect_targets() -> None:
    """Before each request: a return address with control characters could never become a
    Location header (the server would fail after the work is done), so the request is refused
    (400) before anything happens."""
    for name in REDIRECT_PARAMS:
        if not all(fits_one_line(value) for value in request.values.getlist(name)):
            abort(400)


class IdConverter(BaseConverter):
    """`<id:name>` in a URL: a record id from 1 to ID_MAX; anything else matches no route
    (a 404), instead of reaching the database as a number it cannot hold."""

    regex = r"[0-9]{1,10}"
    weight = 50
    part_isolating = True

    def to_python(self, value: str) -> int:
        try:
            return bounded_id(value)
        except ValueError:
            raise NoMatch() from None

    def to_url(self, value) -> str:
        return str(int(value))


class IdSelectField(SelectField):
    """The record id chosen in a <select> (None for its empty option): a value that is not a
    bounded id is refused with a message naming the field. Whether that record may be chosen
    is the service's rule, so the options are not checked here."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, coerce=bounded_id, validate_choice=False,
                         invalid_value_message=_not_an_option(label), **kwargs)


def checked(form: F) -> F:
    """The form, once its fields validate. Raises ValidationFailed with the first refusal."""
    if not form.validate():
        field, messages = next(iter(form.errors.items()))
        raise ValidationFailed(messages[0], field=field)
    return form
