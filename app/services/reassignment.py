"""Which open tickets need an assignee: those nobody is assigned to, and those whose assignee can
no longer work tickets (deactivated, or given a role without Permission.WORK; see
permissions.can_work_tickets). One rule, as a check on a loaded ticket (the markers on the list
and the ticket page) and as a SQL condition (the list's filter)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, and_, or_, select

from app.models.enums import OPEN_STATUSES, LabeledEnum
from app.models.ticket import Ticket
from app.models.user import User
from app.services.permissions import can_work_tickets, working_roles


class AssigneeNeed(LabeledEnum):
    """Why an open ticket needs someone assigned."""

    UNASSIGNED = "UNASSIGNED"  # nobody is assigned
    REASSIGN = "REASSIGN"  # its assignee can no longer work tickets

    @classmethod
    def _labels(cls) -> dict:
        return {cls.UNASSIGNED: _l("unassigned"), cls.REASSIGN: _l("needs a new assignee")}


def assignee_need(ticket: Ticket) -> AssigneeNeed | None:
    """Why this open ticket needs an assignee, or None when someone who can work it has it
    (or it is closed)."""
    if ticket.status not in OPEN_STATUSES:
        return None
    if ticket.assignee is None:
        return AssigneeNeed.UNASSIGNED
    return None if can_work_tickets(ticket.assignee) else AssigneeNeed.REASSIGN


def needs_assignee_condition() -> ColumnElement[bool]:
    """assignee_need is not None, as a condition on Ticket rows, for a query."""
    cannot_work = select(User.id).where(or_(User.active.is_(False),
                                            User.role.not_in(working_roles())))
    return and_(Ticket.status.in_(OPEN_STATUSES),
                or_(Ticket.assignee_id.is_(None), Ticket.assignee_id.in_(cannot_work)))
