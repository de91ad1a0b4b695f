"""Billing test data: tickets, valued time entries written as rows (their valuation explicit, so
the tests do not depend on how app.services.billing.coverage values logged time) and quotes
approved at a chosen moment, all under a fixed clock."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from flask import current_app

from app.extensions import db
from app.models import TimeEntry
from app.services import quote_decisions
from app.services.billing import rates
from tests import factories

UTC = dt.timezone.utc
# The clock the billing tests run at: a Friday in November 2026, mid-morning in Madrid.
NOW = dt.datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
NOV_1, NOV_30 = dt.date(2026, 11, 1), dt.date(2026, 11, 30)


def fix_clock(app, moment: dt.datetime = NOW, zone: str = "Europe/Madrid") -> None:
    """Run the app at this moment, in this company time zone."""
    app.config.update(SOPORTE_FIXED_NOW=moment, SOPORTE_TIMEZONE=zone)


def ticket(world, other_client: bool = False, **overrides):
    """A billed ticket still waiting for a quote (no fixed price of its own): of the world's
    client, or of the other client."""
    if other_client:
        overrides.update(client_id=world.other_client.id, contact_id=world.other_contact.id)
    return factories.new_ticket(world, **overrides)


def entry(ticket, user, day: dt.date, minutes: int = 60, rate: str = "50.00",
          currency: str = "EUR", billable: bool = True) -> TimeEntry:
    """A time entry valued at the rate (amount = minutes / 60 × rate, half up to the cent)."""
    row = TimeEntry(ticket=ticket, user_id=user.id, minutes=minutes, work_date=day,
                    billable=billable, rate=Decimal(rate), currency=currency,
                    amount=rates.amount_for(minutes, Decimal(rate)))
    db.session.add(row)
    db.session.flush()
    return row


def approved_quote(world, decided_at: dt.datetime, price: str = "300.00", hours: str = "2.5",
                   currency: str = "USD", **overrides):
    """A ticket whose quote v1 the customer approved at that moment: billed at its price."""
    app = current_app
    before = app.config.get("SOPORTE_FIXED_NOW")
    app.config["SOPORTE_FIXED_NOW"] = decided_at
    try:
        billed = ticket(world, **overrides)
        quote = factories.quote(world, billed, price, hours, currency)
        quote_decisions.decide_by_customer(quote.id, quote.version, True)
        db.session.commit()
    finally:
        app.config["SOPORTE_FIXED_NOW"] = before
    return billed, quote
