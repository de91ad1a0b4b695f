"""A request's text searches have a time budget (app.services.search_budget, issue 15): past
SOPORTE_SEARCH_TIME_LIMIT_MS the database stops the search's query, and the list, the sidebar's
counts and the API say to narrow the search instead of holding a worker until the web server's
own timeout; the request's later searches find no time left and run no query. A search that
broad needs a million tickets; here the search is made slow by a condition that counts to ten
million inside the database (both databases run it for seconds), added to the real search, and
the budget is 50 ms."""
import re
import time

import pytest
from sqlalchemy import and_, event, text

from app.extensions import db
from app.services import saved_views, ticket_list
from app.services.search_budget import SearchTooBroad
from app.services.ticket_search import SearchPlan
from app.services.ticket_list import TicketFilters, count_tickets, list_tickets
from tests import factories
from tests.api_calls import API, assert_error, bearer
from tests.browsers import browser
from tests.conftest import on_backends
from tests.factories import PASSWORD

COUNT_TO = ("(WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < {})"
            " SELECT count(*) FROM c)")
SLOW = COUNT_TO.format(10_000_000) + " > 0"
NARROW_IT = "Esta búsqueda coincide con demasiados tickets para responder a tiempo"


@pytest.fixture
def printers(world):
    return [factories.new_ticket(world, subject=f"Impresora {n}") for n in range(3)]


@pytest.fixture
def slow_search(app, monkeypatch, printers):
    monkeypatch.setitem(app.config, "SOPORTE_SEARCH_TIME_LIMIT_MS", 50)
    search = ticket_list.search_condition
    monkeypatch.setattr(ticket_list, "search_condition",
                        lambda words: and_(search(words), text(SLOW)))


def _statement_timeout() -> str | None:
    """The transaction's own statement_timeout on PostgreSQL (set to 7 s by _own_timeout);
    None on SQLite."""
    if db.session.get_bind().dialect.name != "postgresql":
        return None
    return db.session.scalar(text("SHOW statement_timeout"))


def _own_timeout() -> None:
    """A timeout of the transaction's own (PostgreSQL), which the budget must give back."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL statement_timeout = '7s'"))


def test_a_search_past_its_time_is_stopped_and_says_to_narrow_it(world, slow_search):
    _own_timeout()
    before = _statement_timeout()
    with pytest.raises(SearchTooBroad) as refused:
        list_tickets(world.agent, TicketFilters(q="impresora"))
    assert refused.value.field == "q" and NARROW_IT in str(refused.value)
    with pytest.raises(SearchTooBroad):
        count_tickets(world.agent, TicketFilters(q="impresora"))
    # the request goes on: the session answers, with its own timeout back and no deadline left
    # behind (a query of a few hundred milliseconds runs to its end)
    assert _statement_timeout() == before
    assert db.session.scalar(text("SELECT " + COUNT_TO.format(300_000))) == 300_000
    assert list_tickets(world.agent, TicketFilters()).total == 3


def test_a_search_within_its_time_answers_and_leaves_the_setting_as_it_was(app, world,
                                                                             printers):
    _own_timeout()
    before = _statement_timeout()
    page = list_tickets(world.agent, TicketFilters(q="impresora"))
    assert sorted(ticket.subject for ticket in page.items) == [
        "Impresora 0", "Impresora 1", "Impresora 2"]
    assert _statement_timeout() == before
    assert count_tickets(world.agent, TicketFilters(q="impresora")) == 3


def test_the_list_page_says_it_in_spanish_where_it_would_count(app, world, slow_search):
    client = browser(app)
    assert client.post("/login", data={"email": world.agent.email,
                                       "password": PASSWORD}).status_code == 302
    page = client.get("/operacion/ticket?q=impresora")
    html = page.get_data(as_text=True)
    assert page.status_code == 422
    assert re.search(r'<input[^>]*name="q"[^>]*value="impresora"[^>]*aria-invalid="true"', html)
    assert NARROW_IT in re.search(r'id="filter-q-error">(.*?)</div>', html, re.S).group(1)
    assert NARROW_IT in re.search(r'id="list-empty">(.*?)</td>', html, re.S).group(1)
    assert "Sin contar" in re.search(r'id="list-total">(.*?)</span>', html, re.S).group(1)
    assert not re.search(r"Nuevo: \d", html)  # no status counted as 0


def test_the_sidebar_marks_the_searches_it_could_not_count_and_stops_searching_once_out_of_time(
        app, world, slow_search):
    for name, words in (("Impresoras", "impresora"), ("La 0", "impresora+0"),
                        ("La 1", "impresora+1")):
        saved_views.save_view(world.agent, name, f"q={words}")
    db.session.commit()
    client = browser(app)
    assert client.post("/login", data={"email": world.agent.email,
                                       "password": PASSWORD}).status_code == 302
    slow_queries = []

    def note(_conn, _cursor, statement, *_args):
        if "RECURSIVE" in statement:
            slow_queries.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        counts = client.get("/operacion/vistas/cuentas?actual=")
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    listed = counts.get_data(as_text=True)
    assert counts.status_code == 200
    saved = re.findall(r'id="view-saved-\d+".*?</a>', listed, re.S)
    assert len(saved) == 3 and all("view-count-unknown" in line for line in saved)
    assert len(slow_queries) == 1  # the first used the request's time; the others ran nothing
    assert re.search(r'id="view-unassigned".*?view-count">3<', listed, re.S)


def test_the_api_answers_422_naming_the_search(app, world, slow_search):
    answer = browser(app).get(f"{API}/tickets", headers=bearer(world.agent),
                              query_string={"q": "impresora"})
    body = assert_error(answer, 422, "search_too_broad")
    assert body["field"] == "q"


def test_each_request_has_its_own_search_time(app, world, printers, monkeypatch):
    """The deadline belongs to the request, not to the application context a test (or a worker)
    keeps across requests: a later request searches with the whole limit again."""
    monkeypatch.setitem(app.config, "SOPORTE_SEARCH_TIME_LIMIT_MS", 300)
    client = browser(app)
    assert client.post("/login", data={"email": world.agent.email,
                                       "password": PASSWORD}).status_code == 302
    assert client.get("/operacion/ticket?q=impresora").status_code == 200
    time.sleep(0.4)  # past the first request's deadline
    assert client.get("/operacion/ticket?q=impresora").status_code == 200


@on_backends("postgresql")
def test_a_search_walking_the_list_past_its_time_is_stopped_the_same_way(world, slow_search,
                                                                        monkeypatch):
    """A walk (ticket_search.walking: bitmap scans off for its statements) stopped by the
    budget says to narrow the search, and leaves the planner as it was."""
    monkeypatch.setattr(SearchPlan, "walks", lambda self, wanted: True)
    with pytest.raises(SearchTooBroad):
        list_tickets(world.agent, TicketFilters(q="impresora"))
    assert db.session.scalar(text("SHOW enable_bitmapscan")) == "on"
    assert list_tickets(world.agent, TicketFilters()).total == 3
