from app.models import TicketStatus
from tests import factories


def test_factory_reaches_each_status(world):
    for status in TicketStatus:
        assert factories.ticket_in(world, status).status is status
