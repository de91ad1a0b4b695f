"""The ticket list's service levels (issue 14): each row's time left on the clock due first, as
ticket_clocks computes it and the ticket page and the API show it; the sort by it; the
"overdue" and "due today" filters; and Ticket.sla_due, the stored due time they use, kept on
every commit that touches a ticket's history and by the tick. The clock is fixed (`at`); the
default calendar: Monday to Friday 09:00-18:00 in Europe/Madrid; the week of Monday 16 November
2026 has no holiday. The reader is a Spanish-speaking agent."""
import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models.enums import TicketStatus, Urgency
from app.models.sla import SlaTarget
from app.models.ticket import Ticket
from app.services import notes, status_changes
from app.services.sla.clocks import pressing_clock, ticket_clocks
from app.services.sla.ticks import tick
from app.services.ticket_list import TicketFilters, list_tickets
from tests import factories
from tests.api_calls import API, bearer
from tests.browsers import browser, list_page_with_view_counts
from tests.clocks import madrid
from tests.factories import PASSWORD


@pytest.fixture
def board(world, at):
    """Monday 16 November 2026: an overdue critical ticket, one due later today, one due
    tomorrow, one on hold (paused) and a resolved one; read at 11:30."""
    at(16, 9)
    overdue = factories.new_ticket(world, urgency=Urgency.CRITICAL, subject="Caído")  # 10:00
    at(16, 10)
    today = factories.new_ticket(world, urgency=Urgency.HIGH, subject="Lento",  # 14:00
                                 contract_id=world.covering_contract.id)  # free
    tomorrow = factories.new_ticket(world, urgency=Urgency.LOW, subject="Consulta")  # +16 h
    paused = factories.ticket_in(world, TicketStatus.ON_HOLD, free=True)
    resolved = factories.ticket_in(world, TicketStatus.RESOLVED, free=True)
    at(16, 11, 30)
    return dict(overdue=overdue, today=today, tomorrow=tomorrow, paused=paused,
                resolved=resolved)


def _numbers(world, **filters) -> list[str]:
    return [ticket.number for ticket in list_tickets(world.agent, TicketFilters(**filters)).items]


def _stored(ticket):
    return db.session.scalar(select(Ticket.sla_due).where(Ticket.id == ticket.id))


def test_the_stored_due_time_is_the_first_running_clocks_of_ticket_clocks(world, board):
    for name, ticket in board.items():
        pressing = pressing_clock(ticket_clocks(ticket))
        assert _stored(ticket) == (pressing[1].due if pressing else None), name
    assert _stored(board["overdue"]) == madrid(16, 10)
    assert _stored(board["today"]) == madrid(16, 14)
    assert _stored(board["paused"]) is None and _stored(board["resolved"]) is None


def test_overdue_and_due_today_filter_by_the_clocks_and_the_sort_puts_the_first_due_first(
        world, board):
    assert _numbers(world, overdue=True) == [board["overdue"].number]
    assert _numbers(world, due_today=True) == [board["today"].number]
    assert set(_numbers(world, overdue=True, due_today=True)) == {board["overdue"].number,
                                                                  board["today"].number}
    in_order = _numbers(world, sort="due")
    assert in_order[:3] == [board[name].number for name in ("overdue", "today", "tomorrow")]
    assert set(in_order[3:]) == {board["paused"].number, board["resolved"].number}
    reverse = _numbers(world, sort="-due")  # the exact reverse: no clock running first
    assert set(reverse[:2]) == {board["paused"].number, board["resolved"].number}
    assert reverse[2:] == [board[name].number for name in ("tomorrow", "today", "overdue")]


def test_the_stored_due_time_follows_a_reply_a_pause_and_its_end_without_a_new_version(
        world, board, at):
    ticket = board["today"]
    version = ticket.lock_version
    notes.reply_publicly(world.agent, ticket, "Lo miramos")  # first response met at 11:30
    db.session.commit()
    assert _stored(ticket) == ticket_clocks(ticket).resolution.due == madrid(17, 17)
    assert ticket.lock_version == version + 1  # the reply's own change, not the due time's
    status_changes.change_status(world.agent, ticket, TicketStatus.IN_PROGRESS, "Empiezo")
    status_changes.change_status(world.agent, ticket, TicketStatus.ON_HOLD, "Esperamos datos")
    db.session.commit()
    assert _stored(ticket) is None  # paused: nothing runs
    at(17, 11, 30)  # a day later, still on hold
    status_changes.change_status(world.agent, ticket, TicketStatus.IN_PROGRESS, "Seguimos")
    db.session.commit()
    assert _stored(ticket) == madrid(18, 17)  # the day on hold is not counted
    assert _stored(ticket) == pressing_clock(ticket_clocks(ticket))[1].due


def test_the_tick_stores_what_no_history_shows_an_edited_target(world, board):
    db.session.add(SlaTarget(urgency=Urgency.HIGH, first_response_minutes=60,
                             next_response_minutes=60, resolution_minutes=16 * 60))
    db.session.commit()
    assert _stored(board["today"]) == madrid(16, 14)  # no history moved: not yet
    assert tick(db.session.commit).dues >= 1
    db.session.commit()
    assert _stored(board["today"]) == madrid(16, 11)
    assert _numbers(world, overdue=True) == [board["today"].number, board["overdue"].number]


def _row_time_left(html: str, ticket) -> str:
    row = html.split(f'value="{ticket.number}"', 1)[1].split("</tr>", 1)[0]
    cell = re.search(r'<td class="time-left">(.*?)</td>', row, re.S).group(1)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", cell)).strip()


def test_each_row_shows_the_time_left_the_ticket_page_and_the_api_show(app, world, board):
    client = browser(app)
    assert client.post("/login", data={"email": world.agent.email,
                                       "password": PASSWORD}).status_code == 302
    html = client.get("/operacion/ticket?sort=due").get_data(as_text=True)
    assert "Tiempo restante" in html
    assert _row_time_left(html, board["overdue"]) == "excedido en 1 h 30 min"
    assert _row_time_left(html, board["today"]) == "quedan 2 h 30 min"
    assert _row_time_left(html, board["paused"]) == "En pausa"
    assert _row_time_left(html, board["resolved"]) == "—"
    page = client.get(f"/operacion/ticket/{board['today'].number}").get_data(as_text=True)
    first = page.split('id="sla-first_response"', 1)[1].split("</dd>", 1)[0]
    assert "quedan 2 h 30 min" in first
    listed = browser(app).get(f"{API}/tickets?sort=due", headers=bearer(world.agent))
    assert listed.status_code == 200
    items = {item["number"]: item for item in listed.get_json()["items"]}
    one = browser(app).get(f"{API}/tickets/{board['today'].number}",
                           headers=bearer(world.agent)).get_json()
    assert items[board["today"].number]["service_levels"] == one["service_levels"]
    assert one["service_levels"]["first_response"]["business_minutes_left"] == 150


def test_the_filters_in_the_url_are_kept_and_offered_in_the_sidebar(app, world, board):
    client = browser(app)
    assert client.post("/login", data={"email": world.agent.email,
                                       "password": PASSWORD}).status_code == 302
    html = list_page_with_view_counts(client, "/operacion/ticket?overdue=1")
    assert 'id="filter-overdue" name="overdue" value="1" checked' in html
    assert board["overdue"].number in html and board["today"].number not in html
    sidebar = html.split('id="views"', 1)[1].split("</ul>", 1)[0]
    assert re.search(r'id="view-overdue"[^>]*aria-current="page"', sidebar)
    assert re.search(r'Vencidos</span> <span class="badge rounded-pill view-count">1<', sidebar)
    assert re.search(r'Vencen hoy</span> <span class="badge rounded-pill view-count">1<', sidebar)


@pytest.mark.parametrize("sort", ["due", "-due"])
def test_an_api_walk_sorted_by_due_time_sees_every_ticket_once(app, world, board, sort):
    api, seen, cursor = browser(app), [], None
    for _ in range(10):
        answer = api.get(f"{API}/tickets", headers=bearer(world.agent),
                         query_string={"sort": sort, "limit": 2,
                                       **({"cursor": cursor} if cursor else {})})
        assert answer.status_code == 200, answer.get_data(as_text=True)
        body = answer.get_json()
        seen += [item["number"] for item in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == _numbers(world, sort=sort, per_page=100)
    assert len(seen) == len(set(seen)) == len(board)


def test_a_savepoint_rolled_back_in_the_same_transaction_keeps_the_tickets_to_store(
        world, board):
    """A rule that tries an insert in a savepoint and rolls it back (a warning given once, a
    counter made once) leaves the transaction's earlier changes to store at its commit."""
    from sqlalchemy.exc import IntegrityError

    from app.models.ticket import TicketCounter

    ticket = board["today"]
    notes.reply_publicly(world.agent, ticket, "Lo miramos")
    db.session.flush()
    db.session.add(TicketCounter(name="savepoint-test", value=1))
    db.session.flush()
    try:
        with db.session.begin_nested():
            db.session.add(TicketCounter(name="savepoint-test", value=2))
            db.session.flush()
    except IntegrityError:
        pass
    db.session.commit()
    assert _stored(ticket) == ticket_clocks(ticket).resolution.due == madrid(17, 17)
