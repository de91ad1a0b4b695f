"""Which actions the ticket page offers a user now: computed from the same rules the services
enforce, so a button is shown only when pressing it can succeed."""
from __future__ import annotations

from app.models.enums import PaymentStatus
from app.models.ticket import Ticket
from app.services.assignment import assignable_staff, suggest_assignee
from app.services.errors import NoStaffAvailable
from app.services.permissions import Actor, Permission, can
from app.services.quotes import awaits_decision
from app.services.workflow import QUOTE_SAVED, allowed_manual_transitions, is_free, work_allowed


def available_actions(actor: Actor, ticket: Ticket) -> dict:
    """Flags and choices for the ticket page."""
    open_ = not ticket.is_closed
    pending = awaits_decision(ticket.current_quote)
    actions = {
        "assign": open_ and can(actor, Permission.ASSIGN),
        "quote": open_ and can(actor, Permission.QUOTE) and ticket.status in QUOTE_SAVED
        and not is_free(ticket),
        "record_decision": open_ and pending and can(actor, Permission.RECORD_APPROVAL),
        "mark_free": open_ and can(actor, Permission.SET_BILLING) and not pending,
        # payment often comes after closing: offered on closed tickets too
        "payment": can(actor, Permission.SET_BILLING) and not is_free(ticket),
        "payment_choices": [PaymentStatus.UNPAID, PaymentStatus.PAID],
        "log_time": open_ and can(actor, Permission.WORK) and work_allowed(ticket),
        "change_status": open_ and can(actor, Permission.WORK),
        "note": open_ and can(actor, Permission.NOTE),
        "reply": open_ and can(actor, Permission.REPLY) and ticket.contact is not None,
        "close": open_ and can(actor, Permission.CLOSE),
        "reopen": ticket.is_closed and can(actor, Permission.REOPEN_CLOSED),
        "transitions": allowed_manual_transitions(ticket) if open_ else [],
        "staff": [],
        "suggested": None,
    }
    if actions["assign"]:
        actions["staff"] = assignable_staff()
        try:
            actions["suggested"] = suggest_assignee()
        except NoStaffAvailable:
            actions["suggested"] = None
    return actions
