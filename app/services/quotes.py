"""Quotes: saving a new version, and the customer's (or a supervisor's) approval or rejection.

A billed ticket needs an approved quote before work starts (see workflow.py).
A new version supersedes every older one, so links to an older version stop working.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from babel.numbers import list_currencies
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.extensions import db
from app.models.columns import utcnow
from app.models.enums import DecisionChannel, NoteKind, QuoteStatus, Role, TicketStatus
from app.models.quote import Quote
from app.models.ticket import Ticket
from app.models.user import User
from app.services import notes
from app.services.errors import InvalidTransition, ValidationFailed
from app.services.history import customer_label, record_change
from app.services.notifications import notify
from app.services.outbox import AUTO_GENERATED, enqueue_mail
from app.services.permissions import Actor, Permission, actor_user_id, require
from app.services.workflow import QUOTE_APPROVED, QUOTE_REJECTED, QUOTE_SAVED, is_free, move_to, \
    require_open

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


def save_quote(actor: Actor, ticket: Ticket, data: QuoteInput) -> Quote:
    """Save a new quote version, mail it to the requester; the ticket becomes Quoted.

    Raises NotPermitted, TicketClosed, InvalidTransition (status other than New or
    Quoted, or a free ticket), ValidationFailed (price, hours, currency, no requester).
    """
    require(actor, Permission.QUOTE)
    require_open(ticket)
    if is_free(ticket):
        raise InvalidTransition(_l("This ticket is free: it needs no quote. Start work instead."))
    if ticket.status not in QUOTE_SAVED:
        raise InvalidTransition(
            _l("A quote can be saved only while the ticket is New or Quoted (it is %(status)s).",
               status=ticket.status.label), field="status")
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
    if ticket.contact is None:
        raise ValidationFailed(
            _l("Set the requester contact first: the quote is sent to them for approval."),
            field="contact")
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
    from app.services.quote_links import link_for  # links are built from the saved quote

    notes.mail_requester(ticket, "quote_request", quote=quote,
                         approve_url=link_for(quote, "approve"),
                         reject_url=link_for(quote, "reject"))
    return quote


def record_decision(actor: Actor, ticket: Ticket, approve: bool, note_text: str) -> Quote:
    """A supervisor records the customer's approval or rejection received another way (phone, …).

    Raises NotPermitted, TicketClosed, ValidationFailed (no note), InvalidTransition
    (no quote awaiting a decision).
    """
    require(actor, Permission.RECORD_APPROVAL)
    require_open(ticket)
    note_text = (note_text or "").strip()
    if not note_text:
        raise ValidationFailed(
            _l("Write a note saying how and when the customer gave this decision."), field="note")
    quote = _pending_quote(ticket)
    note = notes.create_note(ticket, NoteKind.INTERNAL, note_text, actor)
    _decide(quote, approve, DecisionChannel.RECORDED, actor, note_text, note=note)
    return quote


def decide_by_customer(quote_id: int, version: int, approve: bool, reason: str = "") -> Quote:
    """The customer approves or rejects from the quote link; exactly one decision can win.

    The quote row is locked, and must still be the current, undecided version.
    Raises InvalidTransition when it was already decided or superseded.
    """
    quote = db.session.execute(
        select(Quote).where(Quote.id == quote_id).with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if quote is None or quote.version != version:
        raise InvalidTransition(_l("This quote no longer exists."))
    db.session.refresh(quote.ticket)
    _pending_quote(quote.ticket, expected=quote)
    reason = (reason or "").strip()
    note = None
    if reason:
        note = notes.create_note(quote.ticket, NoteKind.CUSTOMER_EMAIL, reason, None)
        note.author_contact_id = quote.ticket.contact_id
    _decide(quote, approve, DecisionChannel.LINK, None, reason, note=note)
    return quote


def awaits_decision(quote: Quote | None) -> bool:
    """The one rule of when a quote can be decided: it is its ticket's current version, still
    Quoted, and the ticket is Quoted."""
    return bool(quote is not None and quote.status is QuoteStatus.QUOTED
                and quote.ticket.current_quote is quote
                and quote.ticket.status is TicketStatus.QUOTED)


def _pending_quote(ticket: Ticket, expected: Quote | None = None) -> Quote:
    """The quote awaiting a decision (the current version, status Quoted) or InvalidTransition."""
    quote = ticket.current_quote
    if not awaits_decision(quote) or (expected is not None and quote.id != expected.id):
        raise InvalidTransition(
            _l("There is no quote awaiting a decision: it was already decided or replaced "
               "by a newer version."))
    return quote


def _decide(quote: Quote, approve: bool, channel: DecisionChannel, actor: Actor | None,
            note_text: str, note=None) -> None:
    """Apply a decision to the quote and the ticket, tell the staff and confirm to the customer."""
    ticket = quote.ticket
    contact = ticket.contact
    label = customer_label(contact.email) if actor is None and contact else None
    quote.status = QuoteStatus.APPROVED if approve else QuoteStatus.REJECTED
    quote.decided_at = utcnow()
    quote.decided_by_user_id = actor_user_id(actor)
    quote.decided_by_label = label or (actor.name if isinstance(actor, User) else None)
    quote.decision_channel = channel
    quote.decision_note = note_text or None
    record_change(ticket, actor, "quote_status", QuoteStatus.QUOTED, quote.status, note=note,
                  label=label)
    move_to(ticket, (QUOTE_APPROVED if approve else QUOTE_REJECTED)[ticket.status], actor, note,
            label=label)
    _notify_staff(ticket, quote)
    notes.mail_requester(ticket, "quote_decision", quote=quote)
    db.session.flush()


def _notify_staff(ticket: Ticket, quote: Quote) -> None:
    """The assignee and every active supervisor see the decision in the dashboard."""
    recipients = {u.id: u for u in db.session.execute(
        select(User).where(User.active.is_(True), User.role == Role.SUPERVISOR)).scalars()}
    if ticket.assignee is not None:
        recipients[ticket.assignee.id] = ticket.assignee
    kind = "quote_approved" if quote.status is QuoteStatus.APPROVED else "quote_rejected"
    for user in recipients.values():
        with force_locale(user.language.value):
            message = _("%(number)s: the customer's decision on quote version %(version)s: "
                        "%(status)s.", number=ticket.number, version=quote.version,
                        status=quote.status.label)
        notify(user, kind, message, ticket)
        enqueue_mail("quote_decided_staff", to_address=user.email, to_name=user.name,
                     language=user.language.value, ticket=ticket,
                     auto_submitted=AUTO_GENERATED, quote=quote, staff=user)


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
