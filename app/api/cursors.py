"""The API's list cursors: opaque to clients, a signed position in a list (the values of its last
row in the list's order) bound to the filters it was given with. A cursor altered, made up, or
sent with other filters is a 422 on the field "cursor"."""
from __future__ import annotations

import hashlib
import json

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeSerializer

from app.services.errors import ValidationFailed

BAD_CURSOR = _l("This cursor was not given by this list for these filters. Send the filters "
                "of the page that gave it, or start again without a cursor.")


def _serializer(kind: str) -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=f"api.{kind}.cursor")


def _fingerprint(query: dict) -> str:
    """What a cursor must be sent with: the filters of the list that gave it."""
    canonical = json.dumps(query, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


def make_cursor(kind: str, position: list, query: dict) -> str:
    """The cursor of the page after `position` (JSON values) of the list `kind` under `query`."""
    return _serializer(kind).dumps([position, _fingerprint(query)])


def read_cursor(kind: str, cursor: str, query: dict) -> list:
    """The position a cursor holds. Raises ValidationFailed (cursor) for a cursor this list did
    not give, or gave for other filters."""
    try:
        position, given_for = _serializer(kind).loads(cursor)
    except (BadSignature, TypeError, ValueError):
        raise ValidationFailed(BAD_CURSOR, field="cursor") from None
    if given_for != _fingerprint(query) or not isinstance(position, list):
        raise ValidationFailed(BAD_CURSOR, field="cursor")
    return position
