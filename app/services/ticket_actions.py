"""Which actions the ticket page offers a user now.

A flag is a check that did not raise: each action's `check_…` function lives beside the action
in its service (which calls it first), and a button is shown exactly when its check passes.
"""
from __future__ import annotations

from app.models.enums import TicketStatus
from app.models.ticket import Ticket
from app.services import assignment, notes, portal_links, quote_decisions, quotes, \
    status_changes, tickets, worklog
from app.services.assignment import assignable_staff, suggest_assignee
from app.services.billing import basis, payment
from app.services.errors import DomainError, NoStaffAvailable, NotPermitted, TicketClosed, \
    passes
from app.services.permissions import Actor


def status_targets(actor: Actor, ticket: Ticket) -> list[TicketStatus]:
    """The statuses "change status" would move this ticket to for this actor now."""
    return [target for target in TicketStatus
            if passes(status_changes.check_change_status, actor, ticket, target)]


def refusal(check, *args) -> str | None:
    """Why a form is not offered, when the ticket's state (not the user's role, not a closed
    ticket) refuses it: the check's message in the current language, else None."""
    try:
        check(*args)
    except (NotPermitted, TicketClosed):
        return None
    except DomainError as error:
        return str(error)
    return None


def available_actions(actor: Actor, ticket: Ticket) -> dict:
    """Flags and choices for the ticket page, each from its action's check."""
    transitions = status_targets(actor, ticket)
    payment_allowed = passes(payment.check_set_payment, actor, ticket)
    # the billing form toggles: "Mark free" on a billed ticket, "Make it billed" on a free one
    mark_free_target = not ticket.is_free
    actions = {
        "edit": passes(tickets.check_edit, actor, ticket),
        "assign": passes(assignment.check_assign, actor, ticket),
        "quote": passes(quotes.check_save_quote, actor, ticket),
        "record_decision": passes(quote_decisions.check_record_decision, actor, ticket),
        "mark_free": passes(basis.check_mark_free, actor, ticket, mark_free_target),
        "mark_free_target": mark_free_target,  # True: the form marks it free; False: billed
        "reevaluate": passes(basis.check_reevaluate, actor, ticket),
        "payment": payment_allowed,
        "payment_choices": list(payment.PAYMENT_CHOICES) if payment_allowed else [],
        "log_time": passes(worklog.check_log_time, actor, ticket),
        "log_time_refused": refusal(worklog.check_log_time, actor, ticket),
        "transitions": transitions,  # "change status" is offered when there is one
        # the targets whose note is mailed to the customer (the form says so before sending)
        "customer_notified": status_changes.customer_notified_statuses(transitions),
        "status_refused": None if transitions else refusal(
            status_changes.check_status_choice, actor, ticket),
        "note": passes(notes.check_add_note, actor, ticket),
        "reply": passes(notes.check_reply, actor, ticket),
        "close": passes(status_changes.check_close, actor, ticket),
        "reopen": passes(status_changes.check_reopen, actor, ticket),
        "portal_link": passes(portal_links.check_send_new_link, actor, ticket),
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
