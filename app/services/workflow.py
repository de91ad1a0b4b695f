"""The rules of the ticket workflow (SPEC §3): allowed moves, the work gate, the read-only lock.

Every rule about a ticket's status lives here. The actions that move a ticket
(status_changes.py, quotes.py, the mail poller's customer replies) check with these
functions and record the move with `move_to`.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.models.columns import utcnow
from app.models.enums import TicketStatus
from app.models.ticket import Note, Ticket
from app.services.errors import InvalidTransition, QuoteNotApproved, TicketClosed
from app.services.history import record_change
from app.services.permissions import Actor
from app.services.webhooks import events as webhook_events

S = TicketStatus

# Moves a person makes with "change status" (each needs a note).
MANUAL_TRANSITIONS: dict[TicketStatus, frozenset[TicketStatus]] = {
    S.NEW: frozenset({S.IN_PROGRESS}),
    S.QUOTED: frozenset(),
    S.APPROVED: frozenset({S.IN_PROGRESS}),
    S.IN_PROGRESS: frozenset({S.ON_HOLD, S.RESOLVED}),
    S.ON_HOLD: frozenset({S.IN_PROGRESS, S.RESOLVED}),
    S.RESOLVED: frozenset({S.IN_PROGRESS}),
    S.CLOSED: frozenset(),
}

# Moves caused by other actions (saving or deciding a quote, closing, reopening, a customer reply).
QUOTE_SAVED = {S.NEW: S.QUOTED, S.QUOTED: S.QUOTED}
QUOTE_APPROVED = {S.QUOTED: S.APPROVED}
QUOTE_REJECTED = {S.QUOTED: S.NEW}
# A customer's reply reopens a resolved ticket (a closed one gets a new linked ticket instead).
CUSTOMER_REPLY = {S.RESOLVED: S.IN_PROGRESS}


def work_allowed(ticket: Ticket) -> bool:
    """Work may start and time may be logged once a billing basis was decided: free, covered by
    a contract, or billed under an approved quote."""
    return ticket.billing_basis is not None


def require_open(ticket: Ticket) -> None:
    """Raise TicketClosed when the ticket is closed (read-only until a supervisor reopens it)."""
    if ticket.is_closed:
        raise TicketClosed(
            _l("Ticket %(number)s is closed and read-only. A supervisor can reopen it.",
               number=ticket.number)
        )


def require_work_allowed(ticket: Ticket) -> None:
    """Raise QuoteNotApproved on a billed ticket whose quote is not approved."""
    if not work_allowed(ticket):
        raise QuoteNotApproved(
            _l("This ticket is billed: work and time need the customer's approval of the quote "
               "first. Save a quote and wait for the approval, or a supervisor can mark the "
               "ticket free.")
        )


def allowed_manual_transitions(ticket: Ticket) -> list[TicketStatus]:
    """The statuses "change status" can move this ticket to now (for the dashboard's choices)."""
    targets = MANUAL_TRANSITIONS[ticket.status]
    if ticket.status is S.NEW and not work_allowed(ticket):
        targets = frozenset()
    return [s for s in TicketStatus if s in targets]


def move_to(
    ticket: Ticket, target: TicketStatus, actor: Actor | None, note: Note | None = None,
    label: str | None = None,
) -> None:
    """Set the status and record it in the history (callers have checked the move is allowed)."""
    old = ticket.status
    if old is target:
        return  # a move that changes nothing (a new quote version while Quoted) is no history
    ticket.status = target
    ticket.closed_at = utcnow() if target is S.CLOSED else None
    record_change(ticket, actor, "status", old, target, note=note, label=label)
    webhook_events.status_changed(ticket, old, target, actor, note)


def check_manual_transition(ticket: Ticket, target: TicketStatus) -> None:
    """Raise InvalidTransition (or QuoteNotApproved) telling the user what to do instead."""
    current = ticket.status
    if target in MANUAL_TRANSITIONS[current]:
        if current is S.NEW and target is S.IN_PROGRESS:
            require_work_allowed(ticket)
        return
    hints = {
        S.QUOTED: _l("A ticket becomes Quoted by saving a quote."),
        S.APPROVED: _l("A ticket becomes Approved when the customer approves the quote, "
                       "or when a supervisor records an approval received another way."),
        S.CLOSED: _l("Use Close, with a final resolution note, to close a ticket."),
        S.NEW: _l("A ticket goes back to New only when the customer rejects the quote."),
    }
    if target in hints and target is not current:
        raise InvalidTransition(hints[target], field="status")
    allowed = ", ".join(str(s.label) for s in allowed_manual_transitions(ticket))
    if not allowed:
        raise InvalidTransition(
            _l("A ticket cannot go from %(current)s to %(target)s. %(unlock)s",
               current=current.label, target=target.label, unlock=_what_allows_a_move(ticket)),
            field="status",
        )
    raise InvalidTransition(
        _l("A ticket cannot go from %(current)s to %(target)s. Allowed from here: %(allowed)s.",
           current=current.label, target=target.label, allowed=allowed),
        field="status",
    )


def require_a_manual_move(ticket: Ticket) -> None:
    """Raise InvalidTransition saying what would allow one when "change status" has no target
    from the ticket's status (New and billed, Quoted, Closed)."""
    if not allowed_manual_transitions(ticket):
        raise InvalidTransition(_what_allows_a_move(ticket), field="status")


def _what_allows_a_move(ticket: Ticket):
    """What would let a status be chosen by hand again; what only a supervisor may do says so,
    since an agent reads it too."""
    if ticket.status is S.QUOTED:
        return _l("No status can be chosen while the quote awaits the customer: wait for the "
                  "customer's approval, or a supervisor can record an approval received another "
                  "way.")
    if ticket.status is S.CLOSED:
        return _l("No status can be chosen on a closed ticket: a supervisor can reopen it.")
    return _l("No status can be chosen yet: save a quote and wait for the customer's approval, "
              "or a supervisor can record an approval received another way or mark the ticket "
              "free.")
