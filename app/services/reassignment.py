"""Which open tickets need a new assignee: those with no assignee, and those whose assignee can no
longer work tickets (deactivated, or given a role without Permission.WORK; see
permissions.can_work_tickets). One rule, as a check on a loaded ticket (the marker on the list
and the ticket page) and as a SQL condition (the list's "needs a new assignee" filter)."""
from __future__ import annotations

from sqlalchemy import ColumnElement, and_, or_, select

from app.models.enums import OPEN_STATUSES, Role
from app.models.ticket import Ticket
from app.models.user import User
from app.services.permissions import ROLE_PERMISSIONS, Permission, can_work_tickets


def working_roles() -> list[Role]:
    """The roles whose holders may be assigned and work tickets."""
    return [role for role, granted in ROLE_PERMISSIONS.items() if Permission.WORK in granted]


def assignee_cannot_work(ticket: Ticket) -> bool:
    """True for an open ticket still assigned to someone who can no longer work it."""
    return (ticket.status in OPEN_STATUSES and ticket.assignee is not None
            and not can_work_tickets(ticket.assignee))


def needs_assignee(ticket: Ticket) -> bool:
    """True for an open ticket that nobody who can work it is assigned to."""
    return ticket.status in OPEN_STATUSES and (ticket.assignee is None
                                               or not can_work_tickets(ticket.assignee))


def needs_assignee_condition() -> ColumnElement[bool]:
    """needs_assignee as a condition on Ticket rows, for a query."""
    cannot_work = select(User.id).where(or_(User.active.is_(False),
                                            User.role.not_in(working_roles())))
    return and_(Ticket.status.in_(OPEN_STATUSES),
                or_(Ticket.assignee_id.is_(None), Ticket.assignee_id.in_(cannot_work)))
