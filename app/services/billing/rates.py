"""Hourly rates and the value of logged time (SPEC §8, issue 13).

Which rate values a ticket's time, the most specific wins, for the rate and for its currency
each on their own:

1. the ticket's contract (Contract.hourly_rate, Contract.currency), when it sets one;
2. else the ticket's client (Client.hourly_rate, Client.currency), when it sets one;
3. else the configuration: SOPORTE_DEFAULT_HOURLY_RATE (e.g. "50.00") and SOPORTE_CURRENCY.

So a contract that overrides only the rate bills in its client's currency. A time entry is
valued once, when it is logged: amount = minutes / 60 × rate, rounded half up to the cent; the
entry keeps its rate, currency and amount, and a later change of any rate never touches it.
Money is Decimal throughout, never float.
"""
from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from flask import current_app
from flask_babel import lazy_gettext as _l

from app.models.ticket import Ticket
from app.services.errors import ValidationFailed

CENT = Decimal("0.01")
# An hour of work costs at most this much (a typo guard; the column holds 10 digits).
MAX_RATE = Decimal("1000000.00")
CURRENCY_RE = re.compile(r"^[A-Z]{3}$")


def rate_for(ticket: Ticket) -> tuple[Decimal, str]:
    """The hourly rate and currency the ticket's time is valued at now: the contract's, else
    the client's, else the configured default (each of rate and currency on its own)."""
    levels = [level for level in (ticket.contract, ticket.client) if level is not None]
    rate = next((level.hourly_rate for level in levels if level.hourly_rate is not None), None)
    currency = next((level.currency for level in levels if level.currency), None)
    return (rate if rate is not None else default_rate(),
            currency or current_app.config["SOPORTE_CURRENCY"])


def default_rate() -> Decimal:
    """The configured SOPORTE_DEFAULT_HOURLY_RATE; a value that is not a rate stops the
    valuation with ValueError (a configuration mistake, not a user's)."""
    configured = current_app.config["SOPORTE_DEFAULT_HOURLY_RATE"]
    try:
        return parse_rate(configured, field="SOPORTE_DEFAULT_HOURLY_RATE")
    except ValidationFailed:
        raise ValueError(f"SOPORTE_DEFAULT_HOURLY_RATE is not a rate: {configured!r}") from None


def amount_for(minutes: int, rate: Decimal) -> Decimal:
    """minutes / 60 × rate, rounded half up to the cent (once, on the exact product)."""
    return (Decimal(minutes) * rate / Decimal(60)).quantize(CENT, rounding=ROUND_HALF_UP)


def parse_rate(value, field: str = "hourly_rate") -> Decimal | None:
    """A rate as typed (a decimal string, a Decimal or an int; blank or None: no rate) as a
    Decimal. Raises ValidationFailed unless it is positive, has at most two decimals and is at
    most MAX_RATE. A float is refused: it cannot hold a price exactly."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, (float, bool)):
        raise ValidationFailed(_l("Write the rate as a decimal number, for example 50.00."),
                               field=field)
    try:
        rate = Decimal(str(value).strip().replace(",", ".") if isinstance(value, str) else value)
    except (InvalidOperation, TypeError, ValueError):
        rate = None
    if rate is None or not rate.is_finite():
        raise ValidationFailed(_l("Write the rate as a decimal number, for example 50.00."),
                               field=field)
    if rate <= 0 or rate > MAX_RATE:
        raise ValidationFailed(_l("The rate must be more than 0 and at most %(max)s.",
                                  max=f"{MAX_RATE:.2f}"), field=field)
    if rate != rate.quantize(CENT):
        raise ValidationFailed(_l("The rate can have at most two decimals."), field=field)
    return rate.quantize(CENT)


def parse_currency(value, field: str = "currency") -> str | None:
    """A currency code as typed (blank or None: none) in capitals; ValidationFailed unless it
    is three letters (ISO 4217, e.g. EUR, USD, MXN)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    code = str(value).strip().upper()
    if not CURRENCY_RE.match(code):
        raise ValidationFailed(
            _l("Write the currency as its three-letter code, for example EUR or USD."),
            field=field)
    return code
