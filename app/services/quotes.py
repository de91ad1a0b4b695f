"""Quotes: saving a new version, and the one rule of when a quote awaits the customer's decision.

A billed ticket needs an approved quote before work starts (see workflow.py).
A new version supersedes every older one, so links to an older version stop working.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from babel.numbers import list_currencies
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models.enums import QuoteStatus, TicketStatus
from app.models.quote import Quote
from app.models.ticket import Ticket
from app.services import notes
from app.services.contacts import requester_language
from app.services.errors import InvalidTransition, ValidationFailed
from app.services.history import record_change
from app.services.permissions import Actor, Permission, actor_user_id, require
from app.services.quote_codes import reply_commands
from app.services.quote_links import expires_at, link_for
from app.services.workflow import QUOTE_SAVED, move_to, require_open
from app.services.webhooks import events as webhook_events

CENT = Decimal("0.01")
MAX_PRICE = Decimal("9999999999.99")
MAX_HOURS = Decimal("999999.99")
CURRENCIES = frozenset(list_currencies())


@dataclass
class QuoteInput:
    """What staff type into the quote form."""

    price: Decimal | str | None
    estimated_hours: Decimal | str | None
    currency: str | None
    message: str = ""


def check_save_quote(actor: Actor, ticket: Ticket) -> None:
    """Raise NotPermitted, TicketClosed, InvalidTransition (free, or not New or Quoted) or
    ValidationFailed (no requester to send it to) unless the actor may quote the ticket now."""
    require(actor, Permission.QUOTE)
    require_open(ticket)
    if ticket.is_free:
        raise InvalidTransition(_l("This ticket is free: it needs no quote. Start work instead."))
    if ticket.status not in QUOTE_SAVED:
        raise InvalidTransition(
            _l("A quote can be saved only while the ticket is New or Quoted (it is %(status)s).",
               status=ticket.status.label), field="status")
    if ticket.contact is None:
        raise ValidationFailed(
            _l("Set the requester contact first: the quote is sent to them for approval."),
            field="contact")


def save_quote(actor: Actor, ticket: Ticket, data: QuoteInput) -> Quote:
    """Save a new quote version, mail it to the requester; the ticket becomes Quoted.

    Raises NotPermitted, TicketClosed, InvalidTransition (status other than New or
    Quoted, or a free ticket), ValidationFailed (price, hours, currency, no requester).
    """
    check_save_quote(actor, ticket)
    price = _amount(data.price, "price", MAX_PRICE,
                    _l("Enter the price as a positive amount with at most two decimals, "
                       "for example 150.00."))
    hours = _amount(data.estimated_hours, "estimated_hours", MAX_HOURS,
                    _l("Enter the estimated hours as a positive number with at most two "
                       "decimals, for example 2.5."))
    currency = (data.currency or "").strip().upper()
    if currency not in CURRENCIES:
        raise ValidationFailed(_l("Choose a currency by its ISO 4217 code, for example USD or EUR."),
                               field="currency")
    previous = ticket.current_quote
    if previous is not None and previous.status is QuoteStatus.QUOTED:
        previous.status = QuoteStatus.SUPERSEDED
    quote = Quote(
        ticket=ticket,
        version=(previous.version + 1) if previous else 1,
        price=price,
        estimated_hours=hours,
        currency=currency,
        message=(data.message or "").strip(),
        status=QuoteStatus.QUOTED,
        created_by_id=actor_user_id(actor),
    )
    db.session.add(quote)
    db.session.flush()
    record_change(ticket, actor, "quote", previous.version if previous else None, quote.version)
    move_to(ticket, QUOTE_SAVED[ticket.status], actor)
    approve_reply, reject_reply = reply_commands(quote, requester_language(ticket))
    notes.mail_requester(ticket, "quote_request", quote=quote,
                         approve_url=link_for(quote, "approve"),
                         reject_url=link_for(quote, "reject"),
                         approve_reply=approve_reply, reject_reply=reject_reply,
                         expires_at=expires_at(quote))
    webhook_events.quote_sent(quote, actor)
    return quote


def awaits_decision(quote: Quote | None) -> bool:
    """The one rule of when a quote can be decided: it is its ticket's current version, still
    Quoted, and the ticket is Quoted."""
    return bool(quote is not None and quote.status is QuoteStatus.QUOTED
                and quote.ticket.current_quote is quote
                and quote.ticket.status is TicketStatus.QUOTED)


def _amount(value, field: str, maximum: Decimal, message) -> Decimal:
    """A positive decimal with at most two decimals, or ValidationFailed with the message."""
    if isinstance(value, float):
        value = repr(value)  # never compute money in binary floating point
    try:
        amount = Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, AttributeError):
        raise ValidationFailed(message, field=field) from None
    if not amount.is_finite() or amount <= 0 or amount > maximum or amount != amount.quantize(CENT):
        raise ValidationFailed(message, field=field)
    return amount.quantize(CENT)
