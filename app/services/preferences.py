"""A user's own display preferences: the time zone they read times in (User.time_zone), and the
one list of zones every form that sets it offers (zone_options).

A user sets only their own; None means the company's zone (SOPORTE_TIMEZONE), so a change of
the company's zone reaches everyone who did not choose another.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models.user import User
from app.services import clock
from app.services.errors import NotPermitted

_ALIASES = ("Etc/", "SystemV/", "US/", "Canada/", "Brazil/", "Chile/", "Mexico/")


def set_time_zone(actor: User, user: User, name: str | None) -> str | None:
    """Set the zone the user reads times in: an IANA name (e.g. America/Bogota), or empty for
    the company's. Only the user themself may; an unknown name is refused. Returns the zone kept."""
    if actor is None or actor.id != user.id:
        raise NotPermitted(_l("Each person chooses their own time zone."))
    name = clock.chosen_zone(name)
    user.time_zone = name
    db.session.flush()
    return name


def zone_choices(current: str | None = None) -> list[str]:
    """The IANA zones a person may be given, sorted: each region's zones (not the legacy
    aliases), and the current one when it is set and not among them, so that a form showing the
    list keeps a zone set elsewhere instead of silently resetting it to the company's."""
    names = sorted(name for name in clock.zone_names() if name == "UTC" or (
        "/" in name and not name.startswith(_ALIASES)))
    return sorted([*names, current]) if current and current not in names else names


def zone_options(current: str | None = None) -> list[tuple[str, str]]:
    """The choices of every form that sets a display zone (the account page, staff
    administration), as (value, label): first "" for the company's zone, then zone_choices."""
    company = _l("The company's (%(zone)s)", zone=clock.company_zone().key)
    return [("", company), *((name, name) for name in zone_choices(current))]
