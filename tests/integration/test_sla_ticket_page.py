"""The ticket page's "Service levels" panel (issue 14) shows what ticket_clocks computes for the
ticket at the fixed clock (SOPORTE_FIXED_NOW): each clock's state, its due time in the reader's
zone and the business time left or overdue; paused while the ticket is on hold, met after a
public reply. The default calendar: Monday to Friday 09:00-18:00 in Europe/Madrid; the week
of Monday 16 November 2026 has no holiday. The reader is a Spanish-speaking agent."""
import datetime as dt
import re

from flask_babel import force_locale

from app.extensions import db
from app.models.enums import ClockState, TicketStatus, Urgency
from app.services import notes, status_changes
from app.services.customer_mail import CustomerEmail, receive
from app.services.sla.clocks import ticket_clocks
from app.web.local_time import local_datetime
from tests import factories
from tests.clocks import madrid
from tests.factories import PASSWORD


def _login(client, user):
    assert client.post("/login", data={"email": user.email,
                                       "password": PASSWORD}).status_code == 302


def _panel(client, ticket) -> dict[str, tuple[str, str]]:
    """The panel's clocks as the page shows them: name → (state, text of the line)."""
    page = client.get(f"/operacion/ticket/{ticket.number}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    panel = html.split('id="ticket-service-levels"', 1)[1].split("</section>", 1)[0]
    assert "Niveles de servicio" in panel
    lines = re.findall(r'<dd id="sla-(\w+)" data-state="(\w+)">(.*?)</dd>', panel, re.S)
    return {name: (state, re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text)).strip())
            for name, state, text in lines}


def _due(app, moment: dt.datetime) -> str:
    """A moment as the page writes it to a Spanish reader in the company's zone."""
    with app.test_request_context(), force_locale("es"):
        return local_datetime(moment, "Europe/Madrid")


def test_the_panel_shows_each_clocks_state_due_time_and_time_left_as_ticket_clocks(
        app, world, client, at):
    at(16, 10)
    ticket = factories.new_ticket(world)  # Medium: first response 8 h, resolution 40 h
    at(16, 12)
    _login(client, world.agent)
    shown = _panel(client, ticket)
    clocks = ticket_clocks(ticket)
    assert list(shown) == ["first_response", "resolution"]  # no customer message yet
    assert clocks.first_response.due == madrid(16, 18)
    assert clocks.resolution.due == madrid(20, 14)
    first_state, first = shown["first_response"]
    assert first_state == "RUNNING"
    assert first == f"En curso vence {_due(app, madrid(16, 18))} quedan 6 h 0 min"
    assert "16 nov 2026, 18:00" in first  # the reader's zone, not UTC (17:00)
    resolution_state, resolution = shown["resolution"]
    assert resolution_state == "RUNNING"
    assert resolution == f"En curso vence {_due(app, clocks.resolution.due)} quedan 38 h 0 min"


def test_a_clock_past_its_target_is_breached_and_says_by_how_much(app, world, client, at):
    at(16, 10)
    ticket = factories.new_ticket(world, urgency=Urgency.CRITICAL)  # first response: 1 hour
    at(16, 12, 15)
    _login(client, world.agent)
    state, line = _panel(client, ticket)["first_response"]
    assert ticket_clocks(ticket).first_response.state is ClockState.BREACHED
    assert state == "BREACHED"
    assert line == f"Incumplido vence {_due(app, madrid(16, 11))} excedido en 1 h 15 min"
    assert "text-bg-danger" in client.get(f"/operacion/ticket/{ticket.number}").get_data(
        as_text=True).split('id="sla-first_response"', 1)[1].split("</dd>", 1)[0]


def test_the_clocks_show_paused_while_the_ticket_is_on_hold(app, world, client, at):
    at(16, 10)
    ticket = factories.new_ticket(world, contract_id=world.covering_contract.id)  # free
    status_changes.change_status(world.agent, ticket, TicketStatus.IN_PROGRESS, "Empiezo")
    db.session.commit()
    at(16, 10, 30)
    notes.reply_publicly(world.agent, ticket, "Lo estamos mirando")
    db.session.commit()
    at(16, 11)
    status_changes.change_status(world.agent, ticket, TicketStatus.ON_HOLD, "Esperamos datos")
    db.session.commit()
    at(18, 11)  # two days later, still on hold
    _login(client, world.agent)
    page = client.get(f"/operacion/ticket/{ticket.number}").get_data(as_text=True)
    assert "En pausa mientras el cliente debe responder." in page
    shown = _panel(client, ticket)
    clocks = ticket_clocks(ticket)
    assert clocks.paused and clocks.resolution.state is ClockState.PAUSED
    state, line = shown["resolution"]
    assert state == "PAUSED"
    # only Monday 10:00-11:00 counted; due where the rest falls counting on from now
    assert line == f"En pausa vence {_due(app, clocks.resolution.due)} quedan 39 h 0 min"
    assert clocks.resolution.due == madrid(24, 14)
    assert shown["first_response"] == (
        "MET", f"Cumplido vence {_due(app, madrid(16, 18))} cumplido con 7 h 30 min de margen")


def test_the_first_response_is_met_after_a_public_reply_and_a_customer_message_starts_the_next(
        app, world, client, at):
    at(16, 10)
    ticket = factories.new_ticket(world)
    at(16, 13)
    notes.add_internal_note(world.agent, ticket, "Mirando logs")  # not an answer
    db.session.commit()
    _login(client, world.agent)
    assert _panel(client, ticket)["first_response"][0] == "RUNNING"
    notes.reply_publicly(world.agent, ticket, "Lo estamos mirando")
    db.session.commit()
    shown = _panel(client, ticket)
    assert shown["first_response"] == (
        "MET", f"Cumplido vence {_due(app, madrid(16, 18))} cumplido con 5 h 0 min de margen")
    assert "next_response" not in shown
    at(16, 14)
    receive(world.contact, CustomerEmail(subject=f"Re: [{ticket.number}]", text="¿Novedades?",
                                         html=None, uploads=[]), ticket)
    db.session.commit()
    at(16, 15)
    shown = _panel(client, ticket)
    following = ticket_clocks(ticket).next_response
    assert following.due == madrid(17, 13)  # 8 business hours from Monday 14:00
    assert shown["next_response"] == (
        "RUNNING", f"En curso vence {_due(app, following.due)} quedan 7 h 0 min")
    assert list(shown) == ["first_response", "next_response", "resolution"]
