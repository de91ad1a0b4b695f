"""What a schema said about each refused field, in the caller's language.

marshmallow (and the API's own fields) word their refusals in English, some with values in them
("Length must be between 1 and 200."). Each known wording is listed here once with its message
id; `translated` rewrites a 422's per-field messages through the catalogs when the answer is
made, values kept. A wording not listed stays as it is (English)."""
from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l

_ORDER = r"(?:greater|less) than(?: or equal to)?"
# (marshmallow's wording as a pattern, the message in the catalogs)
_WORDINGS = [
    (r"Missing data for required field\.", _l("This field is required.")),
    (r"Field may not be null\.", _l("This field cannot be null.")),
    (r"Unknown field\.", _l("Unknown field: the API's document lists the fields it takes.")),
    (r"Invalid input type\.|Invalid type\.", _l("This value has the wrong type: see the API's "
                                                "document for the type it takes.")),
    (r"Invalid input\.|Invalid value\.", _l("This value is not valid.")),
    (r"Not a valid string\.", _l("Send text (a JSON string).")),
    (r"Not a valid integer\.", _l("Send a whole number.")),
    (r"Not a valid number\.", _l("Send a number.")),
    (r"Number too large\.", _l("This number is too large.")),
    (r"Special numeric values \(nan or infinity\) are not permitted\.",
     _l("Send a finite number (not NaN or Infinity).")),
    (r"Not a valid boolean\.", _l("Send true or false.")),
    (r"Not a valid date\.", _l("Send a date as YYYY-MM-DD.")),
    (r"Not a valid (?:aware |naive )?datetime\.",
     _l("Send a date and time in ISO 8601 with its offset, e.g. 2026-11-26T09:30:00+01:00.")),
    (r"Not a valid list\.", _l("Send a list (a JSON array).")),
    (r"Not a valid mapping type\.", _l("Send an object (a JSON object).")),
    (r"Not a valid email address\.", _l("Send a valid email address.")),
    (r"Not a valid URL\.", _l("Send a valid URL.")),
    (r"String does not match expected pattern\.", _l("This value does not have the expected "
                                                      "form: see the field's pattern in the "
                                                      "API's document.")),
    (r"Must be one of: (?P<choices>.*)\.", _l("Choose one of: %(choices)s.")),
    (r"Length must be between (?P<min>\d+) and (?P<max>\d+)\.",
     _l("Send from %(min)s to %(max)s characters (or items).")),
    (r"Length must be (?P<equal>\d+)\.", _l("Send exactly %(equal)s characters (or items).")),
    (r"Shorter than minimum length (?P<min>\d+)\.",
     _l("Send at least %(min)s characters (or items).")),
    (r"Longer than maximum length (?P<max>\d+)\.",
     _l("Send at most %(max)s characters (or items).")),
    (rf"Must be {_ORDER} (?P<min>\S+) and {_ORDER} (?P<max>\S+)\.",
     _l("Send a value from %(min)s to %(max)s.")),
    (r"Must be greater than(?: or equal to)? (?P<min>\S+)\.",
     _l("Send a value of at least %(min)s.")),
    (r"Must be less than(?: or equal to)? (?P<max>\S+)\.", _l("Send a value of at most %(max)s.")),
    (r"Control characters are not allowed\.",
     _l("Control characters (such as NUL or escape) are not allowed here.")),
    (r"Send a file here \(a part with a filename\), not a text value\.",
     _l("Send a file here (a part with a filename), not a text value.")),
    (r'Send a positive decimal number as a string, for example "150\.00"\.',
     _l('Send a positive decimal number as a string, for example "150.00".')),
]
_COMPILED = [(re.compile(pattern), message) for pattern, message in _WORDINGS]


def translated(messages):
    """The per-field messages of a 422 (nested dicts and lists of strings) in the current
    language."""
    if isinstance(messages, dict):
        return {key: translated(value) for key, value in messages.items()}
    if isinstance(messages, list):
        return [translated(value) for value in messages]
    if isinstance(messages, str):
        for pattern, message in _COMPILED:
            found = pattern.fullmatch(messages)
            if found:
                return str(message) % found.groupdict() if found.groupdict() else str(message)
    return messages
