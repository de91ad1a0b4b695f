"""The billing basis of a ticket, decided when work is authorised and kept on the ticket.

A ticket is worked on one basis: marked free by a supervisor, covered by the contract that
covered support on the company's day it was authorised, or billed under the approved quote
version N. The decision is recorded on the row and in the history; a contract edited later
changes new tickets only, until a supervisor re-evaluates a ticket explicitly.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.models.enums import BillingBasis, NoteKind, PaymentStatus, QuoteStatus, TicketStatus
from app.models.quote import Quote
from app.models.ticket import Ticket
from app.services import clock, notes
from app.services.errors import InvalidTransition
from app.services.billing.payment import record_payment
from app.services.history import record_change
from app.services.permissions import Actor, Permission, require
from app.services.quotes import awaits_decision
from app.services.webhooks import events as webhook_events
from app.services.workflow import require_open

B = BillingBasis


def covering_basis(ticket: Ticket) -> BillingBasis | None:
    """CONTRACT when the ticket's contract covers support on the company's today, else None."""
    contract = ticket.contract
    if contract is not None and contract.covers_support_on(clock.today()):
        return B.CONTRACT
    return None


def decide_at_creation(ticket: Ticket) -> None:
    """A new ticket under a covering contract may be worked at once: its basis is the contract."""
    _set_basis(ticket, None, covering_basis(ticket), record=False)


def follow_contract_while_new(actor: Actor, ticket: Ticket) -> None:
    """The ticket's contract was changed before any work was authorised: the basis follows it
    (a ticket marked free or already approved keeps its basis)."""
    if ticket.status is TicketStatus.NEW and ticket.billing_basis in (None, B.CONTRACT):
        _set_basis(ticket, actor, covering_basis(ticket))


def quote_approved(ticket: Ticket, quote: Quote, actor: Actor | None, label: str | None,
                   note=None) -> None:
    """The customer (or a supervisor for them) approved quote version N: billed under it (the
    decision's note, if any, is the reason in the history)."""
    _set_basis(ticket, actor, B.QUOTE, quote_version=quote.version, label=label, note=note)


def check_mark_free(actor: Actor, ticket: Ticket, free: bool) -> None:
    """Raise NotPermitted, TicketClosed or InvalidTransition unless the actor may mark the
    ticket free (free=True) or billed again (free=False) now.

    Not while a quote awaits the customer's decision; billed again only while the ticket is
    New (before work starts).
    """
    require(actor, Permission.SET_BILLING)
    require_open(ticket)
    if free == ticket.is_free:
        return
    if awaits_decision(ticket.current_quote):
        raise InvalidTransition(
            _l("A quote is waiting for the customer's decision. Record the decision first."))
    if not free and ticket.status is not TicketStatus.NEW:
        raise InvalidTransition(
            _l("A ticket can be made billed again only while it is New, before work starts."))


def mark_free(actor: Actor, ticket: Ticket, free: bool, note_text: str = "") -> None:
    """Mark the ticket free (work may start without a quote) or billed again.

    Raises NotPermitted, TicketClosed, InvalidTransition (a quote awaits the
    customer's decision; billing again after work started).
    """
    check_mark_free(actor, ticket, free)
    if free == ticket.is_free:
        return
    note = _note(actor, ticket, note_text)
    _set_basis(ticket, actor, B.FREE if free else None, note=note)


def check_reevaluate(actor: Actor, ticket: Ticket) -> BillingBasis | None:
    """The basis re-evaluating the ticket would give it today (covered by its contract, else
    billed under its approved current quote, else None: billed, waiting for a quote).

    Raises NotPermitted, TicketClosed, InvalidTransition (a ticket marked free: make it billed
    instead; a quote awaits the customer's decision; work has started and nothing would
    authorise it any more; nothing would change; a paid ticket would become free, losing its
    payment record).
    """
    require(actor, Permission.SET_BILLING)
    require_open(ticket)
    if ticket.billing_basis is B.FREE:
        raise InvalidTransition(_l(
            "This ticket was marked free: no contract or quote decides its billing. Make it "
            "billed instead."))
    if awaits_decision(ticket.current_quote):
        raise InvalidTransition(
            _l("A quote is waiting for the customer's decision. Record the decision first."))
    quote = ticket.current_quote
    approved = quote is not None and quote.status is QuoteStatus.APPROVED
    new = covering_basis(ticket) or (B.QUOTE if approved else None)
    if new is None and ticket.status is not TicketStatus.NEW:
        raise InvalidTransition(_l(
            "Work on this ticket has started and neither a covering contract nor an approved "
            "quote would authorise it now. Keep its billing basis, or mark it free."))
    if _describe(new, ticket.contract_id, quote.version if quote else None) \
            == describe_basis(ticket):
        raise InvalidTransition(_l(
            "Nothing to re-evaluate: today's contract and quote give this ticket the billing "
            "basis it already has."))
    if new is B.CONTRACT and ticket.payment_status is PaymentStatus.PAID:
        raise InvalidTransition(_l(
            "This ticket is already paid: its billing basis is kept (re-evaluating it as covered "
            "by its contract would erase the payment record)."))
    return new


def reevaluate(actor: Actor, ticket: Ticket, note_text: str = "") -> None:
    """A supervisor applies today's contract and quote to an open ticket, recorded in the
    history with the optional note.

    Raises what check_reevaluate raises.
    """
    new = check_reevaluate(actor, ticket)
    quote = ticket.current_quote
    _set_basis(ticket, actor, new, quote_version=quote.version if new is B.QUOTE else None,
               note=_note(actor, ticket, note_text))


def _note(actor: Actor, ticket: Ticket, note_text: str):
    text = (note_text or "").strip()
    return notes.create_note(ticket, NoteKind.INTERNAL, text, actor) if text else None


def _set_basis(ticket: Ticket, actor: Actor | None, basis: BillingBasis | None, *,
               quote_version: int | None = None, note=None, label: str | None = None,
               record: bool = True) -> None:
    """Store the basis (with its contract or quote version) and the payment status it implies;
    record the change in the history."""
    old = describe_basis(ticket)
    ticket.billing_basis = basis
    ticket.billing_contract_id = ticket.contract_id if basis is B.CONTRACT else None
    ticket.billing_contract = ticket.contract if basis is B.CONTRACT else None
    ticket.billing_quote_version = quote_version if basis is B.QUOTE else None
    new = describe_basis(ticket)
    if record and old != new:
        record_change(ticket, actor, "billing_basis", old, new, note=note, label=label)
        webhook_events.billing_changed(ticket, "billing_basis", old, new, actor)
    payment = PaymentStatus.NOT_APPLICABLE if ticket.is_free else (
        ticket.payment_status if ticket.payment_status is PaymentStatus.PAID
        else PaymentStatus.UNPAID)
    if not record:  # the basis a new ticket starts with (ticket.created announces it)
        ticket.payment_status = payment
    else:
        record_payment(ticket, actor, payment, label=label)


def describe_basis(ticket: Ticket) -> str:
    """The basis as stored in the history: FREE, CONTRACT:<id>, QUOTE:<version> or BILLED."""
    return _describe(ticket.billing_basis, ticket.billing_contract_id or ticket.contract_id,
                     ticket.billing_quote_version)


def _describe(basis: BillingBasis | None, contract_id: int | None,
              quote_version: int | None) -> str:
    if basis is B.CONTRACT:
        return f"CONTRACT:{contract_id}"
    if basis is B.QUOTE:
        return f"QUOTE:{quote_version}"
    return basis.value if basis is not None else "BILLED"
