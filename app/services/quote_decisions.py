"""Deciding a quote: the customer's approval or rejection from the quote link or by replying to
the quote email with its code (APROBAR/RECHAZAR <code>), or a decision a supervisor records after
receiving it another way (phone, …). Exactly one decision can win.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.extensions import db
from app.models.columns import utcnow
from app.models.client import Contact
from app.models.enums import DecisionChannel, NoteKind, QuoteStatus, TicketStatus
from app.models.quote import Quote
from app.models.ticket import Note, Ticket
from app.models.user import User
from app.received_mail import written_part
from app.services import notes
from app.services.billing import basis
from app.services.errors import InvalidTransition, LinkProblem, ValidationFailed
from app.services.history import customer_label, record_change
from app.services.notifications import active_supervisors, notify
from app.services.outbox import AUTO_GENERATED, enqueue_mail
from app.services.permissions import Actor, Permission, actor_user_id, require
from app.services.quote_codes import ReplyCommand, code_for, commands_in
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
    quote = _lock_pending(quote_id, version)
    reason = (reason or "").strip()
    note = None
    if reason:
        note = notes.create_note(quote.ticket, NoteKind.CUSTOMER_EMAIL, reason, None)
        note.author_contact_id = quote.ticket.contact_id
    _decide(quote, approve, DecisionChannel.LINK, None, reason, note=note)
    return quote


def _lock_pending(quote_id: int, version: int) -> Quote:
    """The quote, locked and read afresh, if it is still the current, undecided version;
    InvalidTransition otherwise (the single-use and superseded rules of every customer door)."""
    quote = db.session.execute(
        select(Quote).where(Quote.id == quote_id).with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if quote is None or quote.version != version:
        raise InvalidTransition(_l("This quote no longer exists."))
    db.session.refresh(quote.ticket)
    return _pending_quote(quote.ticket, expected=quote)


def _pending_quote(ticket: Ticket, expected: Quote | None = None) -> Quote:
    """The quote awaiting a decision (the current version, status Quoted) or InvalidTransition."""
    quote = ticket.current_quote
    if not awaits_decision(quote) or (expected is not None and quote.id != expected.id):
        raise InvalidTransition(
            _l("There is no quote awaiting a decision: it was already decided or replaced "
               "by a newer version."))
    return quote


def _decide(quote: Quote, approve: bool, channel: DecisionChannel, actor: Actor | None,
            note_text: str, note=None, contact: Contact | None = None) -> None:
    """Apply a decision to the quote and the ticket, tell the staff and confirm to the customer
    (the customer who decided is the requester unless `contact` names another)."""
    ticket = quote.ticket
    contact = contact or ticket.contact
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
    recipients = {u.id: u for u in active_supervisors()}
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
    why = _why_undecidable(quote)
    if why == "superseded":
        raise LinkProblem("superseded", _l("This quote was replaced by a newer version, sent in "
                                           "another email. Use the link of the newest one."))
    if why == "used":
        raise LinkProblem("used", _l("This quote was already answered. Thank you."))
    return quote


def _why_undecidable(quote: Quote) -> str | None:
    """Why the customer can no longer decide this quote version: "superseded" (a newer version
    replaced it) or "used" (decided, or its ticket waits for no decision); None when it awaits
    one (quotes.awaits_decision)."""
    current = quote.ticket.current_quote
    if quote.status is QuoteStatus.SUPERSEDED or (current is not None and current.id != quote.id):
        return "superseded"
    return None if awaits_decision(quote) else "used"


def decide_from_link(token: str, approve: bool, reason: str = "") -> Quote:
    """Apply the customer's decision from the page of a valid link (exactly one can win)."""
    quote = quote_for_link(token, lock=True)
    return decide_by_customer(quote.id, quote.version, approve, reason)


@dataclass(frozen=True)
class ReplyDecision:
    """What a reply's command did: the quote it decided, or why it did not count."""

    quote: Quote | None
    refusal: str | None = None


class _Refused(Exception):
    """A reply's command that does not count: its kind (see reply_refusal) and detail."""

    def __init__(self, kind: str, detail: str = ""):
        super().__init__(kind)
        self.kind, self.detail = kind, detail


def decide_by_reply(contact: Contact, note: Note, text: str, html: str | None = None
                    ) -> ReplyDecision | None:
    """The customer's emailed reply, already a note on its ticket, that says APROBAR or RECHAZAR
    <code> (quote_codes) in what they wrote (not in the quoted history) decides the quote version
    of that code, by the link's rules (the current version, undecided, exactly one decision wins;
    _lock_pending), when the sender is the requester or a contact of the ticket's client.
    Otherwise the note stays an ordinary note, the history says why the reply did not count and
    the assignee (or every active supervisor) is told. None when the reply carries no command."""
    written = written_part(text, html)
    commands = commands_in(written)
    if not commands:
        return None
    ticket = note.ticket
    try:
        quote, approve = _reply_target(contact, ticket, commands)
        try:
            quote = _lock_pending(quote.id, quote.version)
        except InvalidTransition:  # decided through another door meanwhile
            raise _used(quote) from None
    except _Refused as refused:
        _tell_reply_refused(ticket, note, contact, refused)
        return ReplyDecision(None, refused.kind)
    label = customer_label(contact.email)
    record_change(ticket, None, "quote_reply", None, quote.version, note=note, label=label)
    _decide(quote, approve, DecisionChannel.LINK, None, written.strip(), note=note,
            contact=contact)
    return ReplyDecision(quote)


def _reply_target(contact: Contact, ticket: Ticket, commands: list[ReplyCommand]
                  ) -> tuple[Quote, bool]:
    """The quote version a reply's commands name and whether they approve it; _Refused when
    they do not count (a stranger, no code of this ticket, both approve and reject, a version
    replaced or already decided)."""
    if contact.id != ticket.contact_id and contact.client_id != ticket.client_id:
        raise _Refused("stranger", contact.email)
    by_code = {code_for(quote): quote for quote in ticket.quotes}
    named = [command for command in commands if command.code in by_code]
    if not named:
        raise _Refused("wrong_code", commands[0].code)
    current = [c for c in named if by_code[c.code] is ticket.current_quote] or named
    if len({command.approve for command in current}) > 1:
        raise _Refused("ambiguous")
    quote = by_code[current[0].code]
    why = _why_undecidable(quote)
    if why == "superseded":
        raise _Refused("superseded", str(quote.version))
    if why == "used":
        raise _used(quote)
    return quote, current[0].approve


def _used(quote: Quote) -> _Refused:
    """The refusal of a quote that awaits no decision: decided already, or its ticket moved on."""
    if quote.status in (QuoteStatus.APPROVED, QuoteStatus.REJECTED):
        return _Refused("decided", quote.status.value)
    return _Refused("not_waiting", quote.ticket.status.value)


def _tell_reply_refused(ticket: Ticket, note: Note, contact: Contact, refused: _Refused) -> None:
    """A history line on the email's note, and the bell of the assignee (every active supervisor
    when nobody is assigned), saying why the reply did not count as a decision."""
    record_change(ticket, None, "quote_reply_refused", refused.detail, refused.kind, note=note,
                  label=customer_label(contact.email))
    assignee = ticket.assignee
    recipients = [assignee] if assignee is not None and assignee.active else active_supervisors()
    for user in recipients:
        with force_locale(user.language.value):
            message = _("%(number)s: a reply to the quote email did not count as a decision: "
                        "%(reason)s. It was added as a note.", number=ticket.number,
                        reason=reply_refusal(refused.kind, refused.detail))
        notify(user, "quote_reply_refused", message, ticket)


def reply_refusal(kind: str, detail: str | None) -> str:
    """Why a reply's command did not count, in the current language (for the history line and
    the bell; `detail` as _reply_target stored it)."""
    detail = detail or ""
    if kind == "stranger":
        return _("%(address)s is neither the requester nor a contact of the ticket's client",
                 address=detail)
    if kind == "wrong_code":
        return _("%(code)s is not the code of any quote of this ticket", code=detail)
    if kind == "superseded":
        return _("its code is that of quote version %(version)s, replaced by a newer version",
                 version=detail)
    if kind == "decided":
        return _("the quote was already decided (%(status)s)", status=_label(QuoteStatus, detail))
    if kind == "not_waiting":
        return _("the ticket is not waiting for a decision (it is %(status)s)",
                 status=_label(TicketStatus, detail))
    if kind == "ambiguous":
        return _("it says both approve and reject")
    return kind


def _label(enum_cls, value: str) -> str:
    """An enum value's label, or the value as stored when it is not one (an older version's)."""
    try:
        return str(enum_cls(value).label)
    except ValueError:
        return value
