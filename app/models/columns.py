"""Column types shared by the models: enums stored as plain strings with a CHECK of their
values, UTC timestamps."""
from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import DateTime, Enum, TypeDecorator


# The largest value of an INTEGER column (every primary key, the ticket sequence): 4 bytes on
# PostgreSQL. A larger number cannot name a row; comparing with it would fail on PostgreSQL.
INTEGER_MAX = 2**31 - 1


def enum_column_type(enum_cls: type[enum.Enum]) -> Enum:
    """A portable VARCHAR enum (no native type, so migrations are equal on SQLite and PostgreSQL)
    whose CHECK constraint refuses any other value, whichever door writes the row.

    Unnamed (name=None), so the metadata's naming convention names the CHECK after its table
    and column: ck_ticket_status (app.extensions.NAMING_CONVENTION)."""
    return Enum(enum_cls, native_enum=False, length=20, validate_strings=True,
                create_constraint=True, name=None)


def utcnow() -> dt.datetime:
    """The current moment, aware, in UTC, as the one clock tells it (app.services.clock.now):
    rows are dated by the same clock that says "today", which tests can fix."""
    from app.services.clock import now  # deferred: the clock reads the app's configuration

    return now()


class UTCDateTime(TypeDecorator):
    """A timestamp stored in UTC and always returned timezone-aware (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware UTC datetime")
        if value is not None and dialect.name == "sqlite":
            return value.astimezone(dt.timezone.utc).replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=dt.timezone.utc)
        return value
