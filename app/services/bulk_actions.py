"""Bulk actions from the ticket list: assign, change status with one note, close with one
resolution, on up to BULK_MAX tickets at once, each through the same service (and so the same
checks, history, notifications and mails) as the ticket page's action, with a result per ticket.

Each ticket's action runs in a SAVEPOINT of its own (`db.session.begin_nested()`), not in a
commit of its own:
- a ticket the rules refuse rolls back to its savepoint, which takes its partial writes with it,
  including the outbox rows and in-app notifications its action wrote (they are rows of the same
  transaction), so nothing of a refused ticket is ever sent; the tickets before and after it are
  untouched;
- services flush and never commit (the adapter owns the transaction): the caller commits the run
  once, so the result page never reports as done a ticket whose commit did not happen, and a
  run that fails as a whole (the database gone, the input wrong) leaves nothing half done.
  A commit per ticket would make the service commit, and a failure at ticket 40 would leave 39
  committed tickets that no page reports.
The price is one transaction holding its row locks (SQLite: the write lock) for the whole run,
which BULK_MAX keeps short.

Wrong input is refused before any ticket: no ticket selected, too many, an unknown action, no
assignee or status chosen. A ValidationFailed raised by a ticket's service concerns the shared
input (an assignee who cannot work tickets, an empty note or resolution) and would refuse every
ticket alike, so it refuses the whole run: everything the run did is rolled back and the error
is raised for the form to show.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from app.extensions import db
from app.models.enums import TicketStatus
from app.models.ticket import Ticket
from app.services import assignment, status_changes
from app.services.errors import Conflict, DomainError, NotFound, ValidationFailed, passes
from app.services.permissions import Actor, Permission, require
from app.services.workflow import MANUAL_TRANSITIONS

BULK_MAX = 100  # tickets per run: one transaction, one page of results
CHANGED_MEANWHILE = _l("Someone else changed this ticket at the same moment, and their change "
                       "is kept. Open the ticket, check it and make your change there.")


@dataclass(frozen=True)
class BulkInput:
    """The values one run applies to every selected ticket."""

    assignee_id: int | None = None
    status: TicketStatus | None = None
    note: str = ""


@dataclass(frozen=True)
class BulkAction:
    """One action offered in bulk: the role part of the action's own check (the one its
    single-ticket check calls; it raises NotPermitted), by which the action is offered and the
    run refused before any ticket, and the service call for one ticket (which checks the role
    again, with the ticket's state)."""

    check_role: Callable[[Actor], None]
    run: Callable[[Actor, Ticket, BulkInput], object]


ACTIONS: dict[str, BulkAction] = {
    "assign": BulkAction(assignment.check_may_assign,
                         lambda actor, ticket, given: assignment.assign(
                             actor, ticket, given.assignee_id)),
    "status": BulkAction(status_changes.check_may_change_status,
                         lambda actor, ticket, given: status_changes.change_status(
                             actor, ticket, given.status, given.note)),
    "close": BulkAction(status_changes.check_may_close,
                        lambda actor, ticket, given: status_changes.close_ticket(
                            actor, ticket, given.note)),
}


@dataclass(frozen=True)
class BulkResult:
    """What happened to one selected ticket: done (with the ticket and what its service
    returned) or refused (with the domain error, whose message says why)."""

    number: str
    ticket: Ticket | None = None
    outcome: object = None
    error: DomainError | None = None

    @property
    def done(self) -> bool:
        """True when the action was applied to this ticket."""
        return self.error is None

    @property
    def message(self) -> str:
        """Why the ticket was refused, in the current language ("" when done)."""
        return str(self.error) if self.error is not None else ""


def offered_actions(actor: Actor) -> list[str]:
    """The bulk actions the actor's role allows (the toolbar offers exactly these)."""
    return [name for name, action in ACTIONS.items() if passes(action.check_role, actor)]


def status_choices() -> list[TicketStatus]:
    """The statuses a bulk status change may aim at: those some ticket can be moved to by hand
    (whether a given ticket can is its own check's answer)."""
    targets = set().union(*MANUAL_TRANSITIONS.values())
    return [status for status in TicketStatus if status in targets]


def check_bulk(actor: Actor, action: str) -> BulkAction:
    """The action by name. Raises ValidationFailed (unknown action) or NotPermitted (the actor's
    role does not allow viewing tickets or this action)."""
    require(actor, Permission.VIEW)
    if action not in ACTIONS:
        raise ValidationFailed(_l("Choose what to do with the selected tickets: assign them, "
                                  "change their status or close them."), field="action")
    chosen = ACTIONS[action]
    chosen.check_role(actor)
    return chosen


def run_bulk(actor: Actor, numbers: list[str], action: str, given: BulkInput) -> list[BulkResult]:
    """Apply the action to each selected ticket, each atomic on its own (see the module's
    docstring); a result per ticket, in the order selected (repeats once).

    A number that names no ticket the actor can see is reported as not found. Raises
    NotPermitted (role), ValidationFailed (no ticket or more than BULK_MAX, unknown action, no
    assignee or status chosen, or a service's refusal of the shared input: then nothing is
    done).
    """
    chosen = check_bulk(actor, action)
    selected = _selected(numbers)
    _check_input(action, given)
    tickets = _visible_tickets(actor, selected)
    results = []
    with db.session.begin_nested():  # the whole run, undone when the shared input is refused
        for number in selected:
            ticket = tickets.get(number)
            if ticket is None:
                results.append(BulkResult(number, error=NotFound(
                    _l("There is no ticket %(number)s. Check the number, or find the ticket in "
                       "the list.", number=number), field="numbers")))
                continue
            results.append(_run_one(chosen, actor, ticket, given))
    return results


def _run_one(chosen: BulkAction, actor: Actor, ticket: Ticket, given: BulkInput) -> BulkResult:
    """One ticket's action in its own savepoint; a refusal rolls back only this ticket."""
    try:
        with db.session.begin_nested():
            outcome = chosen.run(actor, ticket, given)
    except ValidationFailed:
        raise  # the shared input is wrong: every ticket would be refused alike
    except DomainError as error:
        return BulkResult(ticket.number, ticket, error=error)
    except StaleDataError:  # another transaction saved this ticket since it was read
        return BulkResult(ticket.number, ticket, error=Conflict(CHANGED_MEANWHILE))
    return BulkResult(ticket.number, ticket, outcome)


def _selected(numbers: list[str]) -> list[str]:
    """The ticket numbers, trimmed, without blanks and repeats. Raises ValidationFailed when
    none is left or more than BULK_MAX."""
    selected = list(dict.fromkeys(n.strip() for n in numbers if n and n.strip()))
    if not selected:
        raise ValidationFailed(_l("Select at least one ticket in the list (the box at the start "
                                  "of its row), then choose the action."), field="numbers")
    if len(selected) > BULK_MAX:
        raise ValidationFailed(_l("Select at most %(max)s tickets at a time; %(count)s were "
                                  "selected.", max=BULK_MAX, count=len(selected)),
                               field="numbers")
    return selected


def _check_input(action: str, given: BulkInput) -> None:
    """Refuse a run whose action lacks its choice (whom to assign, which status)."""
    if action == "assign" and not given.assignee_id:
        raise ValidationFailed(_l("Choose whom to assign the selected tickets to."),
                               field="assignee_id")
    if action == "status" and given.status is None:
        raise ValidationFailed(_l("Choose the new status."), field="status")


def _visible_tickets(actor: Actor, numbers: list[str]) -> dict[str, Ticket]:
    """The selected tickets the actor can see, by number (Permission.VIEW sees every ticket)."""
    require(actor, Permission.VIEW)
    rows = db.session.scalars(select(Ticket).where(Ticket.number.in_(numbers)))
    return {ticket.number: ticket for ticket in rows}
