"""Deciding a quote: the customer's approval or rejection from the quote link, or a decision a
supervisor records after receiving it another way (phone, …). Exactly one decision can win.
"""
from __future__ import annotations

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.extensions import db
from app.models.columns import utcnow
from app.models.enums import DecisionChannel, NoteKind, QuoteStatus, Role
from app.models.quote import Quote
from app.models.ticket import Ticket
from app.models.user import User
from app.services import notes
from app.services.billing import basis
from app.services.errors import InvalidTransition, LinkProblem, ValidationFailed
from app.services.history import customer_label, record_change
from app.services.notifications import notify
from app.services.outbox import AUTO_GENERATED, enqueue_mail
from app.services.permissions import Actor, Permission, actor_user_id, require
from app.services.quote_links import quote_of_token
from app.services.quotes import awaits_decision
from app.services.workflow import QUOTE_APPROVED, QUOTE_REJECTED, move_to, require_open
from app.services.webhooks import events as webhook_events


def check_record_decision(actor: Actor, ticket: Ticket) -> Quote:
    """The quote awaiting a decision, or NotPermitted, TicketClosed or InvalidTransition (none
    awaits) when the actor may not record the customer's approval or rejection now."""
    require(actor, Permission.RECORD_APPROVAL)
    require_open(ticket)
    return _pending_quote(ticket)


def record_decision(actor: Actor, ticket: Ticket, approve: bool, note_text: str) -> Quote:
    """A supervisor records the customer's approval or rejection received another way (phone, …).

    Raises NotPermitted, TicketClosed, ValidationFailed (no note), InvalidTransition
    (no quote awaiting a decision).
    """
    quote = check_record_decision(actor, ticket)
    note_text = (note_text or "").strip()
    if not note_text:
        raise ValidationFailed(
            _l("Write a note saying how and when the customer gave this decision."), field="note")
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
    if approve:
        basis.quote_approved(ticket, quote, actor, label, note=note)
    _notify_staff(ticket, quote)
    notes.mail_requester(ticket, "quote_decision", quote=quote)
    webhook_events.quote_decided(quote, actor)
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


def quote_for_link(token: str, *, lock: bool = False) -> Quote:
    """The quote a link names, if it can still be decided; LinkProblem otherwise."""
    quote = quote_of_token(token, lock=lock)
    current = quote.ticket.current_quote
    if quote.status is QuoteStatus.SUPERSEDED or (current is not None and current.id != quote.id):
        raise LinkProblem("superseded", _l("This quote was replaced by a newer version, sent in "
                                           "another email. Use the link of the newest one."))
    if not awaits_decision(quote):
        raise LinkProblem("used", _l("This quote was already answered. Thank you."))
    return quote


def decide_from_link(token: str, approve: bool, reason: str = "") -> Quote:
    """Apply the customer's decision from the page of a valid link (exactly one can win)."""
    quote = quote_for_link(token, lock=True)
    return decide_by_customer(quote.id, quote.version, approve, reason)
