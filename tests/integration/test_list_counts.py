"""The list's counts stop at a cap (issue 15: a million tickets): its total, each status chip
and each view of the sidebar count up to COUNT_CAP + 1 and say "more than" past it, the pages
go as deep as COUNT_CAP tickets and say why, and the API's total says it was capped while its
cursor still walks every ticket. The cap is made small here (3) to cross it with few tickets."""
import re

import pytest
from sqlalchemy import event

from app.extensions import db
from app.models.enums import TicketStatus
from app.services import ticket_list
from app.services.ticket_list import TicketFilters, count_tickets, list_tickets
from app.web.tickets import list_page
from tests import factories
from tests.api_calls import API, bearer
from tests.browsers import browser, list_page_with_view_counts
from tests.factories import PASSWORD


@pytest.fixture
def five(world, monkeypatch):
    monkeypatch.setattr(ticket_list, "COUNT_CAP", 3)
    monkeypatch.setattr(list_page, "COUNT_CAP", 3)
    return [factories.new_ticket(world, subject=f"Caso {n}") for n in range(5)]


def test_counts_stop_past_the_cap_and_pages_go_as_deep_as_it(world, five):
    page = list_tickets(world.agent, TicketFilters(per_page=2))
    assert page.total == 4 and ticket_list.more_than_cap(page.total)
    assert page.counts[TicketStatus.NEW] == 4
    assert page.pages == 2  # the first 3 tickets, two a page
    assert count_tickets(world.agent, TicketFilters()) == 4
    assert count_tickets(world.agent, TicketFilters(q="Caso 1")) == 1  # under the cap: exact
    last = list_tickets(world.agent, TicketFilters(per_page=2, page=9))
    assert last.page == 2 and len(last.items) == 2


def _agents_list_page(app, world, url: str) -> tuple[str, str]:
    """The list page at url as the agent sees it, and its total's line."""
    client = browser(app)
    assert client.post("/login", data={"email": world.agent.email,
                                       "password": PASSWORD}).status_code == 302
    html = list_page_with_view_counts(client, url)
    return html, re.search(r'id="list-total">(.*?)</span>', html, re.S).group(1)


def test_the_page_says_more_than_the_cap(app, world, five):
    html, total = _agents_list_page(app, world, "/operacion/ticket")
    assert total.startswith("Más de 3 tickets · página 1 de las primeras 1")
    assert "Nuevo: 3+" in html
    assert re.search(r'id="view-unassigned".*?view-count">3\+<', html, re.S)


def test_a_search_past_the_cap_says_more_than_and_counts_each_status_where_it_can(
        app, world, five):
    html, total = _agents_list_page(app, world, "/operacion/ticket?q=caso")
    assert total.startswith("Más de 3 tickets · página 1 de las primeras 1")
    chip = re.search(r'class="badge status-NEW"[^>]*>([^<]*)<', html).group(1)
    if db.engine.dialect.name == "postgresql":
        assert chip == "Nuevo"  # a search on the ticket's row past the cap: no count per status
    else:
        assert chip == "Nuevo: 3+"


def test_the_api_says_its_total_was_capped_and_its_cursor_walks_every_ticket(app, world, five):
    api, seen, cursor = browser(app), [], None
    while True:
        answer = api.get(f"{API}/tickets", headers=bearer(world.agent), query_string={
            "limit": 2, **({"cursor": cursor} if cursor else {})}).get_json()
        assert (answer["total"], answer["total_capped"]) == (3, True)
        seen += [item["number"] for item in answer["items"]]
        cursor = answer["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(ticket.number for ticket in five)


def test_a_search_that_gathers_its_matches_counts_its_statuses_from_one_gathering(
        world, five, monkeypatch):
    """A text search that gathers its matches whatever the count does (on SQLite, or a phrase
    on PostgreSQL: every matching note is read) counts per status in one GROUP BY over them,
    not one search per status; the per-status counts a broad filter gets (here every filter is
    broad: GROUPED_LIMIT 1) stay for the other filters, a search on the ticket's own words
    (PostgreSQL without a phrase) among them, and count the same."""
    monkeypatch.setattr(ticket_list, "GROUPED_LIMIT", 1)
    for ticket, status in zip(five, (TicketStatus.IN_PROGRESS, TicketStatus.ON_HOLD,
                                     TicketStatus.CLOSED)):
        ticket.status = status
    for ticket in five:
        ticket.description = "Sin wi-fi"  # a hyphenated word: a phrase to PostgreSQL
    db.session.commit()
    searches = []

    def note(_conn, _cursor, statement, *_args):
        if "search_vector" in statement or "ticket_fts" in statement:
            searches.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        counts = ticket_list.status_counts(world.agent, TicketFilters(q="wi-fi"))
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    assert counts == {TicketStatus.NEW: 2, TicketStatus.IN_PROGRESS: 1, TicketStatus.ON_HOLD: 1,
                      TicketStatus.CLOSED: 1}
    assert len(searches) == 1
    on_rows = ticket_list.status_counts(world.agent, TicketFilters(q="caso"))
    if db.engine.dialect.name == "postgresql":
        assert on_rows is None  # five matches: more than the cap (3), not counted per status
    else:
        assert on_rows == counts
    assert ticket_list.status_counts(world.agent, TicketFilters()) == {
        TicketStatus.NEW: 2, TicketStatus.IN_PROGRESS: 1, TicketStatus.ON_HOLD: 1,
        TicketStatus.CLOSED: 1}
