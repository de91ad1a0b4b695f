"""Assignment: active staff only, notification and email, the least-loaded suggestion."""
import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Notification, OutboxMessage, Role, TicketStatus, User
from app.services import assignment, status_changes
from app.services.errors import NoStaffAvailable, NotPermitted, TicketClosed, ValidationFailed
from tests import factories


def test_assigning_notifies_in_app_and_by_email(world):
    ticket = factories.new_ticket(world)
    assignment.assign(world.supervisor, ticket, world.agent2.id)
    db.session.commit()
    assert ticket.assignee_id == world.agent2.id
    [note] = db.session.scalars(select(Notification)).all()
    assert note.user_id == world.agent2.id and ticket.number in note.message
    assert note.read_at is None
    [mail] = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "assignment"))
    assert mail.to_address == world.agent2.email
    assert mail.headers["Auto-Submitted"] == "auto-generated"
    assert ticket.changes[-1].field == "assignee"
    assert ticket.changes[-1].new_value == world.agent2.email


def test_the_assignee_is_told_in_their_language(world):
    from app.models import Language

    world.agent2.language = Language.EN
    ticket = factories.new_ticket(world)
    assignment.assign(world.supervisor, ticket, world.agent2.id)
    note = db.session.scalars(select(Notification)).one()
    assert note.message == f"Ticket {ticket.number} was assigned to you."
    mail = db.session.scalars(select(OutboxMessage)).one()
    assert "Ticket assigned to you" in mail.subject


@pytest.mark.parametrize("who", ["inactive", "viewer"])
def test_only_active_staff_who_work_tickets(world, who):
    ticket = factories.new_ticket(world)
    with pytest.raises(ValidationFailed) as error:
        assignment.assign(world.supervisor, ticket, getattr(world, who).id)
    assert error.value.field == "assignee_id"
    db.session.rollback()
    assert ticket.assignee_id is None
    assert db.session.scalars(select(Notification)).all() == []


def test_unknown_user_is_refused(world):
    ticket = factories.new_ticket(world)
    with pytest.raises(ValidationFailed):
        assignment.assign(world.supervisor, ticket, 424242)


def test_agents_cannot_assign(world):
    ticket = factories.new_ticket(world)
    with pytest.raises(NotPermitted):
        assignment.assign(world.agent, ticket, world.agent.id)


def test_unassign_and_closed(world):
    ticket = factories.new_ticket(world)
    assignment.assign(world.supervisor, ticket, world.agent.id)
    assignment.assign(world.supervisor, ticket, None)
    assert ticket.assignee is None
    closed = factories.ticket_in(world, TicketStatus.CLOSED)
    with pytest.raises(TicketClosed):
        assignment.assign(world.supervisor, closed, world.agent.id)


def test_suggestion_is_the_least_loaded(world):
    # admin and supervisor also work tickets; give everyone but agent2 open work
    for user in (world.admin, world.supervisor, world.agent):
        ticket = factories.new_ticket(world)
        assignment.assign(world.supervisor, ticket, user.id)
    assert assignment.suggest_assignee().id == world.agent2.id
    # resolved and closed work does not count as load
    free = factories.ticket_in(world, TicketStatus.IN_PROGRESS, free=True)
    assignment.assign(world.supervisor, free, world.agent2.id)
    assert assignment.suggest_assignee().id != world.agent2.id
    status_changes.change_status(world.agent2, free, TicketStatus.RESOLVED, "listo")
    assert assignment.suggest_assignee().id == world.agent2.id


def test_no_staff_to_suggest(world):
    for user in db.session.scalars(select(User)):
        if user.role is not Role.VIEWER:
            user.active = False
    with pytest.raises(NoStaffAvailable) as error:
        assignment.suggest_assignee()
    assert "administrador" in str(error.value)
