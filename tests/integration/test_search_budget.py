"""A text search has a time budget (app.services.search_budget, issue 15): a query of the list's
search that runs past SOPORTE_SEARCH_TIME_LIMIT_MS is stopped by the database, and the list, the
sidebar's counts and the API say to narrow the search instead of holding a worker until the web
server's own timeout. A search that broad needs a million tickets; here the search is made slow
by a condition that counts to ten million inside the database (both databases run it for
seconds), added to the real search, and the budget is 50 ms."""
import re

import pytest
from sqlalchemy import and_, text

from app.extensions import db
from app.services import saved_views, ticket_list
from app.services.search_budget import SearchTooBroad
from app.services.ticket_list import TicketFilters, count_tickets, list_tickets
from tests import factories
from tests.api_calls import API, assert_error, bearer
from tests.browsers import browser
from tests.factories import PASSWORD

SLOW = ("(WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 10000000) "
        "SELECT count(*) FROM c) > 0")
NARROW_IT = "Esta búsqueda coincide con demasiados tickets para responder a tiempo"


@pytest.fixture
def printers(world):
    return [factories.new_ticket(world, subject=f"Impresora {n}") for n in range(3)]


@pytest.fixture
def slow_search(app, monkeypatch, printers):
    monkeypatch.setitem(app.config, "SOPORTE_SEARCH_TIME_LIMIT_MS", 50)
    search = ticket_list._search
    monkeypatch.setattr(ticket_list, "_search", lambda words: and_(search(words), text(SLOW)))


def _statement_timeout() -> str | None:
    if db.session.get_bind().dialect.name != "postgresql":
        return None
    return db.session.scalar(text("SHOW statement_timeout"))


def test_a_search_past_its_time_is_stopped_and_says_to_narrow_it(world, slow_search):
    before = _statement_timeout()
    with pytest.raises(SearchTooBroad) as refused:
        list_tickets(world.agent, TicketFilters(q="impresora"))
    assert refused.value.field == "q" and NARROW_IT in str(refused.value)
    with pytest.raises(SearchTooBroad):
        count_tickets(world.agent, TicketFilters(q="impresora"))
    # the request goes on: the session answers, with the server's own timeout back
    assert _statement_timeout() == before
    assert list_tickets(world.agent, TicketFilters()).total == 3


def test_a_search_within_its_time_answers_and_leaves_the_setting_as_it_was(app, world,
                                                                             printers):
    before = _statement_timeout()
    page = list_tickets(world.agent, TicketFilters(q="impresora"))
    assert sorted(ticket.subject for ticket in page.items) == [
        "Impresora 0", "Impresora 1", "Impresora 2"]
    assert _statement_timeout() == before
    assert count_tickets(world.agent, TicketFilters(q="impresora")) == 3


def test_the_list_page_says_it_in_spanish_and_the_sidebar_leaves_that_views_count_out(
        app, world, slow_search):
    saved_views.save_view(world.agent, "Impresoras", "q=impresora")
    db.session.commit()
    client = browser(app)
    assert client.post("/login", data={"email": world.agent.email,
                                       "password": PASSWORD}).status_code == 302
    page = client.get("/operacion/ticket?q=impresora")
    html = page.get_data(as_text=True)
    assert page.status_code == 422 and NARROW_IT in html
    assert re.search(r'<input[^>]*name="q"[^>]*value="impresora"', html)
    counts = client.get("/operacion/vistas/cuentas?actual=")
    listed = counts.get_data(as_text=True)
    assert counts.status_code == 200
    saved = re.search(r'id="view-saved-\d+".*?</a>', listed, re.S).group(0)
    assert "Impresoras" in saved and "view-count" not in saved
    assert re.search(r'id="view-unassigned".*?view-count">3<', listed, re.S)


def test_the_api_answers_422_naming_the_search(app, world, slow_search):
    answer = browser(app).get(f"{API}/tickets", headers=bearer(world.agent),
                              query_string={"q": "impresora"})
    body = assert_error(answer, 422, "validation_failed")
    assert body["field"] == "q"
