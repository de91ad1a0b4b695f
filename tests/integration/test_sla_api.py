"""The API's ticket (GET /api/v1/tickets/{number}) carries its service-level clocks (issue 14):
the same due time, state and time left as ticket_clocks computes and the ticket page shows, for
one ticket at a fixed clock (SOPORTE_FIXED_NOW); due and met_at in ISO 8601, UTC. The default
calendar: Monday to Friday 09:00-18:00 in Europe/Madrid; the week of Monday 16 November 2026
has no holiday."""
import datetime as dt
import re

import pytest
from flask_babel import force_locale

from app.extensions import db
from app.models.enums import TicketStatus
from app.services import notes, status_changes
from app.services.customer_mail import CustomerEmail, receive
from app.services.sla.clocks import ticket_clocks
from app.web.local_time import local_datetime
from tests import factories
from tests.api_calls import API, bearer
from tests.browsers import browser
from tests.factories import PASSWORD

UTC = dt.timezone.utc


@pytest.fixture
def api(app):
    """A client whose every request picks its user afresh, as on a server."""
    return browser(app)


def _levels(api, headers, ticket) -> dict:
    answer = api.get(f"{API}/tickets/{ticket.number}", headers=headers)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer.get_json()["service_levels"]


def _page_due(client, ticket, name: str) -> str:
    """The due time the ticket page shows for a clock (its text after "vence")."""
    html = client.get(f"/operacion/ticket/{ticket.number}").get_data(as_text=True)
    line = html.split(f'id="sla-{name}"', 1)[1].split("</dd>", 1)[0]
    return re.search(r'<span class="sla-due">vence ([^<]+)</span>', line).group(1)


def _as_page_writes(app, iso: str) -> str:
    with app.test_request_context(), force_locale("es"):
        return local_datetime(dt.datetime.fromisoformat(iso), "Europe/Madrid")


def test_one_tickets_due_times_agree_in_ticket_clocks_the_api_and_the_page(
        app, world, api, client, at):
    at(16, 10)
    ticket = factories.new_ticket(world)  # Medium: first response 8 h, resolution 40 h
    at(16, 12)
    levels = _levels(api, bearer(world.viewer), ticket)
    clocks = ticket_clocks(ticket)
    assert levels == {
        "first_response": {"state": "RUNNING", "due": "2026-11-16T17:00:00+00:00",
                           "business_minutes_left": 360, "target_minutes": 480,
                           "met_at": None},
        "next_response": None,
        "resolution": {"state": "RUNNING", "due": "2026-11-20T13:00:00+00:00",
                       "business_minutes_left": 38 * 60, "target_minutes": 40 * 60,
                       "met_at": None},
    }
    for name in ("first_response", "resolution"):
        due = dt.datetime.fromisoformat(levels[name]["due"])
        assert due == getattr(clocks, name).due and due.utcoffset() == dt.timedelta(0)
    assert client.post("/login", data={"email": world.agent.email,
                                       "password": PASSWORD}).status_code == 302
    for name in ("first_response", "resolution"):
        assert _page_due(client, ticket, name) == _as_page_writes(app, levels[name]["due"])
    assert _page_due(client, ticket, "first_response") == "16 nov 2026, 18:00"


def test_the_api_shows_a_reply_met_a_next_response_running_and_the_pause_on_hold(
        world, api, at):
    headers = bearer(world.agent)
    at(16, 10)
    ticket = factories.new_ticket(world, contract_id=world.covering_contract.id)  # free
    status_changes.change_status(world.agent, ticket, TicketStatus.IN_PROGRESS, "Empiezo")
    db.session.commit()
    at(16, 13)
    notes.reply_publicly(world.agent, ticket, "Lo estamos mirando")
    db.session.commit()
    at(16, 14)
    receive(world.contact, CustomerEmail(subject=f"Re: [{ticket.number}]", text="¿Novedades?",
                                         html=None, uploads=[]), ticket)
    db.session.commit()
    at(16, 15)
    levels = _levels(api, headers, ticket)
    assert levels["first_response"] == {
        "state": "MET", "due": "2026-11-16T17:00:00+00:00", "business_minutes_left": 300,
        "target_minutes": 480, "met_at": "2026-11-16T12:00:00+00:00"}
    assert levels["next_response"] == {
        "state": "RUNNING", "due": "2026-11-17T12:00:00+00:00", "business_minutes_left": 420,
        "target_minutes": 480, "met_at": None}
    status_changes.change_status(world.agent, ticket, TicketStatus.ON_HOLD, "Esperamos datos")
    db.session.commit()
    at(18, 15)  # two days on hold: nothing more counted
    levels = _levels(api, headers, ticket)
    assert levels["resolution"]["state"] == "PAUSED"
    assert levels["resolution"]["business_minutes_left"] == 40 * 60 - 5 * 60  # Monday 10-15
    assert levels["resolution"]["due"] == ticket_clocks(ticket).resolution.due.isoformat()


def test_a_new_ticket_answers_with_its_clocks(world, api, at):
    at(16, 10)
    headers = bearer(world.agent)
    made = api.post(f"{API}/tickets", headers=headers, json={
        "client_id": world.client.id, "contact_id": world.contact.id, "subject": "Impresora",
        "description": "No imprime", "urgency": "CRITICAL"})
    assert made.status_code == 201, made.get_data(as_text=True)
    first = made.get_json()["service_levels"]["first_response"]
    assert (first["state"], first["due"], first["target_minutes"]) == (
        "RUNNING", "2026-11-16T10:00:00+00:00", 60)
