"""Saved views of the ticket list: the service's rules (a name required and one per user, only
the owner changes a view), the built-in views' counts equal to the list's totals, the "customer
waiting" marker, and the sidebar and its forms through Flask's test client."""
from __future__ import annotations

import re
from itertools import count

import pytest
from werkzeug.datastructures import MultiDict

from app.extensions import db
from app.models import TicketStatus, Urgency
from app.models.workspace import SavedView
from app.services import assignment, clock, notes, saved_views
from app.services.errors import NotPermitted, ValidationFailed
from app.services.sla.clocks import pressing_clock, ticket_clocks
from app.services.ticket_list import count_tickets, list_tickets
from app.web.tickets.filters import canonical_query, filters_from_args
from app.web.tickets.list_page import args_of
from mail_ingest.ingest import ingest
from tests import factories
from tests import mail_corpus as corpus
from tests.browsers import list_page_with_view_counts
from tests.factories import PASSWORD

_uids = count(1)


def _reader(user):
    """The read_query the list passes to the sidebar, for `user`."""
    zone = clock.user_zone(user)
    return lambda query: filters_from_args(args_of(query), user.id, zone)[0]


def _customer_writes(ticket) -> None:
    """The requester answers the ticket by email (threaded by the number in the subject)."""
    ingest("INBOX", 1, str(next(_uids)),
           corpus.simple(subject=f"Re: [{ticket.number}] sigue sin funcionar",
                         body="Sigue igual, ¿novedades?"))
    db.session.expire_all()


@pytest.fixture
def tickets(world):
    """One ticket for each built-in view (and some for none of them)."""
    mine = factories.new_ticket(world)
    assignment.assign(world.supervisor, mine, world.agent.id)
    critical = factories.new_ticket(world, urgency=Urgency.CRITICAL)
    assignment.assign(world.supervisor, critical, world.agent2.id)
    quoted = factories.ticket_in(world, TicketStatus.QUOTED)
    on_hold = factories.ticket_in(world, TicketStatus.ON_HOLD)
    closed_critical = factories.ticket_in(world, TicketStatus.CLOSED)
    closed_critical.urgency = Urgency.CRITICAL
    db.session.commit()
    _customer_writes(mine)
    return dict(mine=mine, critical=critical, quoted=quoted, on_hold=on_hold,
                closed_critical=closed_critical)


def _by_pressing_due(tickets, keep) -> set[str]:
    """The numbers of the tickets whose first running clock's due time `keep`s (due, now, the
    end of today in the company's zone), by ticket_clocks."""
    now = clock.now()
    _, tonight = clock.day_bounds(clock.today())
    numbers = set()
    for ticket in tickets.values():
        pressing = pressing_clock(ticket_clocks(ticket, now))
        if pressing and keep(pressing[1].due, now, tonight):
            numbers.add(ticket.number)
    return numbers


def test_each_built_in_views_count_is_the_lists_total_for_its_filter(world, tickets):
    read = _reader(world.agent)
    lines = {line.key: line for line in saved_views.sidebar(world.agent, read)}
    assert [view.key for view in saved_views.BUILT_IN_VIEWS] == list(lines)
    for view in saved_views.BUILT_IN_VIEWS:
        listed = list_tickets(world.agent, read(view.query))
        assert lines[view.key].count == listed.total, view.key
        shown = {ticket.number for ticket in listed.items}
        expected = {
            "unassigned": {tickets["quoted"].number, tickets["on_hold"].number},
            "mine": {tickets["mine"].number},
            "waiting-on-customer": {tickets["quoted"].number, tickets["on_hold"].number},
            "customer-waiting": {tickets["mine"].number},
            "critical": {tickets["critical"].number},  # the closed one is not open
            # as the one computation of the clocks says now (the stored due time agrees)
            "overdue": _by_pressing_due(tickets, lambda due, now, _: due < now),
            "due-today": _by_pressing_due(
                tickets, lambda due, now, tonight: now <= due < tonight),
        }[view.key]
        assert shown == expected, view.key


def test_a_saved_views_count_follows_the_tickets(world, tickets):
    query = canonical_query(MultiDict({"urgency": "CRITICAL", "archived": "1"}), world.agent.id,
                            clock.user_zone(world.agent))
    view = saved_views.save_view(world.agent, "  Críticos   de siempre ", query)
    db.session.commit()
    assert view.name == "Críticos de siempre" and view.query == "urgency=CRITICAL&archived=1"
    line = saved_views.sidebar(world.agent, _reader(world.agent))[-1]
    assert (line.name, line.count, line.saved) == ("Críticos de siempre", 2, view)
    factories.new_ticket(world, urgency=Urgency.CRITICAL)
    assert saved_views.sidebar(world.agent, _reader(world.agent))[-1].count == 3
    # a colleague does not see it among their views
    assert all(line.saved is None for line in saved_views.sidebar(world.agent2,
                                                                  _reader(world.agent2)))


@pytest.mark.parametrize("name", ["", "   ", "x" * 81])
def test_a_view_needs_a_name_of_at_most_80_characters(world, name):
    with pytest.raises(ValidationFailed) as refused:
        saved_views.save_view(world.agent, name, "mine=1")
    assert refused.value.field == "name"


def test_a_user_cannot_have_two_views_with_one_name_but_colleagues_can(world):
    saved_views.save_view(world.agent, "Mis críticos", "urgency=CRITICAL&mine=1")
    with pytest.raises(ValidationFailed) as refused:
        saved_views.save_view(world.agent, "MIS críticos", "urgency=HIGH")
    assert refused.value.field == "name" and "MIS críticos" in str(refused.value)
    saved_views.save_view(world.agent2, "Mis críticos", "urgency=CRITICAL&mine=1")
    other = saved_views.save_view(world.agent, "Altos", "urgency=HIGH")
    with pytest.raises(ValidationFailed):
        saved_views.rename_view(world.agent, other, "mis críticos")
    saved_views.rename_view(world.agent, other, "Altos y urgentes")
    assert other.name == "Altos y urgentes"
    saved_views.rename_view(world.agent, other, "altos y urgentes")  # its own name, recased
    assert other.name == "altos y urgentes"


def test_views_are_kept_in_the_order_they_were_saved_up_to_the_limit(world):
    for number in range(saved_views.VIEWS_MAX):
        saved_views.save_view(world.agent, f"Vista {number}", f"client={number + 1}")
    assert [v.name for v in saved_views.own_views(world.agent)] == [
        f"Vista {number}" for number in range(saved_views.VIEWS_MAX)]
    with pytest.raises(ValidationFailed):
        saved_views.save_view(world.agent, "Una más", "urgency=LOW")


def test_only_the_owner_renames_or_deletes_a_view(world):
    view = saved_views.save_view(world.agent, "Mía", "mine=1")
    db.session.commit()
    for someone in (world.agent2, world.admin):
        with pytest.raises(NotPermitted):
            saved_views.get_view(someone, view.id)
        with pytest.raises(NotPermitted):
            saved_views.rename_view(someone, view, "Robada")
        with pytest.raises(NotPermitted):
            saved_views.delete_view(someone, view)
    db.session.expire_all()
    assert db.session.get(SavedView, view.id).name == "Mía"
    saved_views.delete_view(world.agent, saved_views.get_view(world.agent, view.id))
    db.session.commit()
    assert db.session.get(SavedView, view.id) is None


def test_a_viewer_may_save_views_too(world):
    assert saved_views.save_view(world.viewer, "Todo", "archived=1").user_id == world.viewer.id


def test_the_customer_waiting_marker_comes_with_their_email_and_goes_with_our_reply(world):
    ticket = factories.new_ticket(world)
    assert not ticket.customer_waiting
    _customer_writes(ticket)
    ticket = db.session.merge(ticket)
    assert ticket.customer_waiting
    waiting = filters_from_args(MultiDict({"customer_waiting": "1"}), world.agent.id,
                                clock.user_zone(world.agent))[0]
    assert count_tickets(world.agent, waiting) == 1
    notes.add_internal_note(world.agent, ticket, "Lo miro mañana")  # not an answer
    db.session.commit()
    assert ticket.customer_waiting and count_tickets(world.agent, waiting) == 1
    notes.reply_publicly(world.agent, ticket, "Ya está resuelto, pruebe de nuevo.")
    db.session.commit()
    assert not ticket.customer_waiting and count_tickets(world.agent, waiting) == 0


def test_the_canonical_query_reads_the_same_filter_the_same_way(world):
    canon = lambda **args: canonical_query(MultiDict(args), world.agent.id,  # noqa: E731
                                           clock.user_zone(world.agent))
    assert canon(urgency="HIGH", q=" red ", page="3") == canon(q="red", urgency="HIGH") \
        == "q=red&urgency=HIGH"
    assert canon(mine="1", assignee="7") == "mine=1"
    assert canon(client="abc", sort="nonsense", archived="") == ""
    assert canon(sort="-number", customer_waiting="yes") == "customer_waiting=1&sort=-number"
    statuses = MultiDict([("status", "ON_HOLD"), ("status", "NEW"), ("status", "NEW")])
    assert canonical_query(statuses, world.agent.id, clock.user_zone(world.agent)) \
        == "status=NEW&status=ON_HOLD"


# ---- through the web ----

def _numbers(html: str) -> list[str]:
    return re.findall(r">(TCK-\d{6})</a>", html)


def _sidebar(html: str) -> str:
    return html.split('id="views"', 1)[1].split("</nav>", 1)[0]


@pytest.fixture
def signed_in(world, client):
    assert client.post("/login", data={"email": world.agent.email,
                                       "password": PASSWORD}).status_code == 302
    return world


def test_the_list_shows_the_built_in_views_with_counts_and_marks_waiting_customers(
        signed_in, tickets, client):
    html = list_page_with_view_counts(client, "/operacion/ticket")
    side = _sidebar(html)
    for key, name, number in [("unassigned", "Sin asignar", 2), ("mine", "Mis abiertos", 1),
                              ("waiting-on-customer", "Esperando al cliente", 2),
                              ("customer-waiting", "Cliente esperando respuesta", 1),
                              ("critical", "Críticos", 1)]:
        link = re.search(rf'id="view-{key}"[^>]*>(.*?)</a>', side, re.S).group(1)
        assert re.search(rf'class="badge rounded-pill view-count">{number}<', link), key
        assert name in link, key
    rows = {number: row for row in html.split('<tr class="ticket-row')[1:]
            for number in _numbers(row)}
    assert "customer-waiting" in rows[tickets["mine"].number]
    assert "customer-waiting" not in rows[tickets["critical"].number]
    assert 'data-href="/operacion/ticket/' in rows[tickets["mine"].number]
    waiting = list_page_with_view_counts(client, "/operacion/ticket?waiting_on_customer=1")
    assert set(_numbers(waiting)) == {tickets["quoted"].number, tickets["on_hold"].number}
    assert re.search(r'id="view-waiting-on-customer"[^>]*aria-current="page"', _sidebar(waiting))
    assert not re.search(r'id="view-critical"[^>]*aria-current', _sidebar(waiting))

def test_saving_the_shown_filter_puts_it_in_the_sidebar_with_its_count(signed_in, tickets,
                                                                        client):
    saved = client.post("/operacion/vistas", data={
        "name": "Críticos abiertos y cerrados", "query": "archived=1&page=2&urgency=CRITICAL"})
    assert saved.status_code == 303
    assert saved.headers["Location"].endswith("/operacion/ticket?urgency=CRITICAL&archived=1")
    html = list_page_with_view_counts(client, saved.headers["Location"])
    view = db.session.query(SavedView).one()
    link = re.search(rf'id="view-saved-{view.id}"([^>]*)>(.*?)</a>', _sidebar(html), re.S)
    assert 'aria-current="page"' in link.group(1)
    assert "Críticos abiertos y cerrados" in link.group(2) and ">2<" in link.group(2)
    assert "Vista guardada" in html  # the flash
    # the same name again: the list again with the name as typed and what to do
    again = client.post("/operacion/vistas", data={"name": "críticos abiertos y cerrados",
                                                   "query": "urgency=HIGH"})
    page = again.get_data(as_text=True)
    assert again.status_code == 422 and 'value="críticos abiertos y cerrados"' in page
    assert "Ya tiene una vista llamada" in page


def test_renaming_and_deleting_from_the_sidebar_and_not_a_colleagues_view(signed_in, client):
    view = saved_views.save_view(signed_in.agent, "Mía", "mine=1")
    theirs = saved_views.save_view(signed_in.agent2, "Suya", "mine=1")
    db.session.commit()
    renamed = client.post(f"/operacion/vistas/{view.id}/nombre",
                          data={"name": "Mis tickets", "back": "mine=1"})
    assert renamed.status_code == 303 and renamed.headers["Location"].endswith("?mine=1")
    db.session.expire_all()
    assert db.session.get(SavedView, view.id).name == "Mis tickets"
    assert client.post(f"/operacion/vistas/{theirs.id}/nombre",
                       data={"name": "Robada"}).status_code == 403
    assert client.post(f"/operacion/vistas/{theirs.id}/borrar").status_code == 403
    assert client.post("/operacion/vistas/999999/borrar").status_code == 404
    refused = client.post(f"/operacion/vistas/{view.id}/nombre", data={"name": " "})
    assert refused.status_code == 422 and f'id="rename-error-{view.id}"' in refused.get_data(
        as_text=True)
    deleted = client.post(f"/operacion/vistas/{view.id}/borrar", data={"back": ""})
    assert deleted.status_code == 303
    db.session.expire_all()
    assert db.session.get(SavedView, view.id) is None
    assert db.session.get(SavedView, theirs.id).name == "Suya"


def test_saved_view_forms_need_the_csrf_token(signed_in, app, client):
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.post("/operacion/vistas", data={"name": "Sin token",
                                                  "query": "mine=1"}).status_code == 400
    assert db.session.query(SavedView).count() == 0


def test_a_count_is_the_lists_total_for_any_filter_even_a_closed_ticket_named_by_number(world,
                                                                                      tickets):
    closed = tickets["closed_critical"]
    read = _reader(world.agent)
    for query in (f"q={closed.number}", f"q={closed.sequence}", "archived=1", "status=CLOSED",
                  "q=Servidor", "urgency=CRITICAL&archived=1", "needs_assignee=1&urgency=HIGH",
                  "customer_waiting=1&waiting_on_customer=1", ""):
        filters = read(query)
        assert count_tickets(world.agent, filters) == list_tickets(world.agent, filters).total, \
            query
    assert count_tickets(world.agent, read(f"q={closed.number}")) == 1


def test_a_refused_name_shows_the_list_whose_links_keep_its_filter(signed_in, tickets, client):
    """The list shown again after a refused name (its request has no arguments) sorts, and
    leaves for a bulk action, with the filter it shows."""
    refused = client.post("/operacion/vistas", data={
        "name": "", "query": "urgency=HIGH&status=NEW&status=IN_PROGRESS"})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422
    shown = "status=NEW&amp;status=IN_PROGRESS&amp;urgency=HIGH"
    assert f'href="/operacion/ticket?{shown}&amp;sort=number"' in page
    assert f'href="/operacion/ticket?{shown}&amp;sort=created"' in page
    assert f'name="back" value="{shown}"' in page.split('id="bulk-form"', 1)[1]


def test_the_list_page_counts_no_view_and_asks_for_the_counts_after_itself(signed_in, tickets,
                                                                           client):
    """A page of the list never waits for the sidebar's counts (at a million tickets a saved
    text search's count alone took 105 ms): the views come uncounted, and their list fetches
    itself with the counts once shown; that request needs a signed-in user like the list."""
    html = client.get("/operacion/ticket?urgency=CRITICAL").get_data(as_text=True)
    side = _sidebar(html)
    assert 'id="view-critical"' in side and "view-count" not in side
    source = re.search(r'id="view-list"[^>]*hx-get="([^"]+)"', side).group(1)
    assert source == "/operacion/vistas/cuentas?actual=urgency%3DCRITICAL"
    counts = client.get(source).get_data(as_text=True)
    assert re.search(r'id="view-critical"[^>]*aria-current="page"', counts)
    assert "hx-get" not in counts and counts.count("view-count") == len(
        saved_views.BUILT_IN_VIEWS)
    client.post("/logout")
    assert client.get(source).status_code == 302  # to the sign-in page
