"""The open load behind the "least open work" suggestion (issue 15): counted over every open
ticket, so an app keeps it for LOAD_FRESH_FOR_SECONDS; a ticket created, or given another status
or assignee, through the app forgets it at once."""
from sqlalchemy import event, update

from app.extensions import db
from app.models import TicketStatus
from app.models.ticket import Ticket
from app.services import assignment, status_changes
from tests import factories


def _load_queries(run) -> int:
    """How many times `run` counted the open tickets."""
    seen = []

    def count(conn, cursor, statement, *args):
        if "count(*)" in statement and "GROUP BY ticket.assignee_id" in statement:
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        run()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len(seen)


def test_the_load_is_counted_once_then_kept(world):
    ticket = factories.new_ticket(world)
    assignment.assign(world.supervisor, ticket, world.agent.id)
    db.session.commit()
    assert _load_queries(assignment.suggest_assignee) == 1
    assert _load_queries(assignment.suggest_assignee) == 0
    # a change by another door (another worker, raw SQL) shows when the kept load expires
    db.session.execute(update(Ticket).values(assignee_id=world.agent2.id))
    assert assignment.open_load() == {world.agent.id: 1}


def test_a_change_through_the_app_forgets_the_kept_load(world):
    ticket = factories.ticket_in(world, TicketStatus.IN_PROGRESS, free=True)
    assignment.assign(world.supervisor, ticket, world.agent.id)
    assert assignment.open_load() == {world.agent.id: 1}
    assignment.assign(world.supervisor, ticket, world.agent2.id)
    assert assignment.open_load() == {world.agent2.id: 1}
    status_changes.change_status(world.agent2, ticket, TicketStatus.RESOLVED, "listo")
    assert assignment.open_load() == {}
    other = factories.new_ticket(world)
    other.assignee_id = world.agent.id  # as a raw column write through the session
    db.session.flush()
    assert assignment.open_load() == {world.agent.id: 1}


def test_the_kept_load_expires(world, monkeypatch):
    ticket = factories.new_ticket(world)
    assignment.assign(world.supervisor, ticket, world.agent.id)
    assert assignment.open_load() == {world.agent.id: 1}
    db.session.execute(update(Ticket).values(assignee_id=world.agent2.id))
    monkeypatch.setattr(assignment, "LOAD_FRESH_FOR_SECONDS", 0)
    assert assignment.open_load() == {world.agent2.id: 1}
