"""The list sorted by status or by urgency (app.services.ticket_list._from_groups): its page is
drawn from each shown value's newest tickets, and must be exactly the page of the plain order (the
column, then the id newest first), page by page and cursor by cursor, under any filter."""
import pytest
from sqlalchemy import event

from app.extensions import db
from app.models import Ticket, TicketStatus, Urgency
from app.services import ticket_list
from app.services.ticket_list import TicketFilters, keyset_of, list_tickets
from tests import factories

STATUSES = [TicketStatus.NEW, TicketStatus.QUOTED, TicketStatus.IN_PROGRESS,
            TicketStatus.ON_HOLD, TicketStatus.CLOSED, TicketStatus.RESOLVED]


@pytest.fixture
def mixed(world):
    """Seventeen tickets over six statuses, four urgencies and two clients, in no order."""
    made = []
    for n in range(17):
        status = STATUSES[(n * 5) % len(STATUSES)]
        ticket = factories.ticket_in(world, status,
                                     free=status is not TicketStatus.QUOTED and n % 3 != 0)
        ticket.urgency = list(Urgency)[(n * 3) % len(Urgency)]
        if n % 4 == 0:
            ticket.client_id, ticket.contact_id = world.other_client.id, world.other_contact.id
        made.append(ticket)
    db.session.commit()
    return made


def _plain_order(filters: TicketFilters) -> list[int]:
    """The filters' tickets in the list's order, sorted by the database in one ORDER BY."""
    column, descending = ticket_list.sort_column(filters.sort)
    order = column.desc() if descending else column.asc()
    query = ticket_list._filtered(filters).with_only_columns(Ticket.id)
    return list(db.session.scalars(query.order_by(order, Ticket.id.desc())))


def _by_pages(world, filters: TicketFilters) -> list[int]:
    seen, page = [], 1
    while True:
        listed = list_tickets(world.agent, TicketFilters(**{**filters.__dict__, "page": page}))
        seen += [ticket.id for ticket in listed.items]
        if page >= listed.pages:
            return seen
        page += 1


def _by_cursor(world, filters: TicketFilters) -> list[int]:
    seen, after = [], None
    while True:
        listed = list_tickets(world.agent, TicketFilters(**{**filters.__dict__, "after": after}))
        if not listed.items:
            return seen
        seen += [ticket.id for ticket in listed.items]
        after = keyset_of(listed.items[-1], filters.sort)


@pytest.mark.parametrize("sort", ["status", "-status", "urgency", "-urgency"])
@pytest.mark.parametrize("narrowed", ["open", "archived", "client", "statuses", "urgency"])
def test_a_list_sorted_by_a_shared_value_is_the_plain_order_page_by_page(world, mixed, sort,
                                                                          narrowed):
    filters = TicketFilters(sort=sort, per_page=3, **{
        "open": {}, "archived": {"archived": True}, "client": {"client_id": world.client.id},
        "statuses": {"statuses": [TicketStatus.CLOSED, TicketStatus.NEW]},
        "urgency": {"urgency": Urgency.HIGH, "archived": True}}[narrowed])
    expected = _plain_order(filters)
    assert len(expected) >= 4  # more than a page
    assert _by_pages(world, filters) == expected
    assert _by_cursor(world, filters) == expected


def test_the_page_reads_each_value_apart_on_its_index(world, mixed):
    """What makes it fast at a million tickets: one part per shown value, each taking only as
    many of that value's newest tickets as the page needs (Closed not read for an open list)."""
    statements = []

    def seen(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        list_tickets(world.agent, TicketFilters(sort="-status", per_page=3, page=2))
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    [page] = [s for s in statements if "ORDER BY ticket.status DESC" in s]
    shown = [s for s in TicketStatus if s is not TicketStatus.CLOSED]
    assert page.count("UNION ALL") == len(shown) - 1
    assert page.count("ORDER BY ticket.id DESC") >= len(shown)
