"""Collision detection through the requests a browser sends: who else has a ticket open or is
writing a reply (the presence box's heartbeat), and the reply guard (a reply is not sent over a
customer message its author has not seen, until they confirm)."""
import datetime as dt
import html
import re
import threading

from sqlalchemy import func, select

from app.extensions import db
from app.models import OutboxMessage
from app.models.workspace import TicketPresence
from app.services import customer_mail, notes, presence
from app.services.customer_mail import CustomerEmail
from app.services.presence import FRESH_FOR, NewerCustomerMessage
from tests import factories
from tests.factories import PASSWORD

T0 = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.timezone.utc)


def _login(client, user):
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302


def _signed_in(app, user):
    """A browser of its own, signed in as the user (in a fresh app context: see _heartbeat)."""
    client, email = app.test_client(), user.email
    db.session.commit()
    with app.app_context():
        response = client.post("/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302
    return client


def _heartbeat(client, ticket, composing=False) -> str:
    # a fresh app context per request, as a server gives each one: the test's own context would
    # keep the first request's signed-in user (Flask-Login caches it in `g`) for the other
    # browser too. The test's session ends its transaction first, so it holds no lock.
    number = ticket.number
    db.session.commit()
    with client.application.app_context():
        response = client.post(f"/operacion/ticket/{number}/presencia",
                               data={"composing": "1" if composing else "0"})
    assert response.status_code == 200, response.headers.get("Location")
    return html.unescape(" ".join(response.get_data(as_text=True).split()))


def _customer_writes(world, ticket, text):
    result = customer_mail.receive(world.contact, CustomerEmail(
        subject=f"Re: [{ticket.number}] {ticket.subject}", text=text, html=None, uploads=[]),
        ticket)
    db.session.commit()
    return result.note


def _seen_through(page: str) -> str:
    return re.search(r'name="seen_through" value="(\d+)"', page).group(1)


def _replies(ticket) -> int:
    return db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.ticket_id == ticket.id, OutboxMessage.kind == "public_reply"))


def _reply(client, ticket, **data):
    return client.post(f"/operacion/ticket/{ticket.number}/reply", data=data,
                       content_type="multipart/form-data")


def test_a_colleague_with_the_ticket_open_is_shown_and_so_is_their_writing(world, app):
    ana, beto = _signed_in(app, world.agent), _signed_in(app, world.agent2)
    ticket = factories.new_ticket(world)
    assert _heartbeat(ana, ticket) == ""  # alone: nothing
    _heartbeat(beto, ticket)
    box = _heartbeat(ana, ticket)
    assert "Agente Dos también está viendo este ticket" in box
    assert "Agente Uno" not in box  # never oneself
    assert "Agente Uno también está viendo este ticket" in _heartbeat(beto, ticket)
    _heartbeat(beto, ticket, composing=True)
    assert "Agente Dos está escribiendo una respuesta" in _heartbeat(ana, ticket)
    _heartbeat(beto, ticket, composing=False)
    assert "Agente Dos también está viendo este ticket" in _heartbeat(ana, ticket)


def test_a_page_left_longer_than_the_window_is_not_shown_and_its_row_goes(world, app):
    ana, beto = _signed_in(app, world.agent), _signed_in(app, world.agent2)
    ticket = factories.new_ticket(world)
    app.config["SOPORTE_FIXED_NOW"] = T0
    _heartbeat(beto, ticket, composing=True)
    app.config["SOPORTE_FIXED_NOW"] = T0 + FRESH_FOR - dt.timedelta(seconds=1)
    assert "Agente Dos" in _heartbeat(ana, ticket)
    app.config["SOPORTE_FIXED_NOW"] = T0 + FRESH_FOR + dt.timedelta(seconds=1)
    assert _heartbeat(ana, ticket) == ""
    rows = db.session.scalars(select(TicketPresence.user_id).where(
        TicketPresence.ticket_id == ticket.id)).all()
    assert rows == [world.agent.id]  # the stale row was pruned by Ana's heartbeat


def test_the_box_is_refused_to_nobody_signed_in_and_unknown_tickets_are_not_found(world, app):
    ticket = factories.new_ticket(world)
    ana = _signed_in(app, world.agent)
    with app.app_context():
        assert ana.post("/operacion/ticket/TCK-999999/presencia").status_code == 404
    with app.app_context():
        response = app.test_client().post(f"/operacion/ticket/{ticket.number}/presencia")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_two_heartbeats_of_the_same_user_at_once_both_succeed(world, app):
    ticket = factories.new_ticket(world)
    ticket_id, user_id = ticket.id, world.agent.id
    db.session.commit()  # the threads' sessions meet no lock of this one
    first_wrote, errors = threading.Event(), []

    def beat(hold: bool):
        with app.app_context():
            try:
                user = db.session.get(type(world.agent), user_id)
                presence.touch(user, db.session.get(type(ticket), ticket_id), composing=hold)
                if hold:
                    first_wrote.set()
                    threading.Event().wait(0.3)  # the other heartbeat meets this uncommitted row
                db.session.commit()
            except Exception as error:  # noqa: BLE001 - the test reports any failure
                errors.append(error)
                first_wrote.set()
            finally:
                db.session.remove()

    holder = threading.Thread(target=beat, args=(True,))
    holder.start()
    first_wrote.wait(5)
    second = threading.Thread(target=beat, args=(False,))
    second.start()
    holder.join(10)
    second.join(10)
    assert errors == []
    db.session.commit()  # a new transaction sees the threads' rows
    rows = db.session.scalars(select(TicketPresence).where(
        TicketPresence.ticket_id == ticket_id)).all()
    assert [(r.user_id, r.composing) for r in rows] == [(user_id, False)]  # the later one won


def test_a_reply_over_an_unseen_customer_message_is_held_back_then_sent_when_confirmed(world,
                                                                                       client):
    _login(client, world.agent)
    ticket = factories.new_ticket(world)
    page = client.get(f"/operacion/ticket/{ticket.number}").get_data(as_text=True)
    seen = _seen_through(page)
    newer = _customer_writes(world, ticket, "Además ahora la pantalla no enciende.\n\n"
                                            "> No arranca el servidor")
    response = _reply(client, ticket, text="Reinicie el equipo, por favor.", seen_through=seen)
    assert response.status_code == 409
    page = html.unescape(response.get_data(as_text=True))
    assert "El cliente escribió de nuevo desde que abrió la página" in page
    assert "Además ahora la pantalla no enciende." in page
    assert "Reinicie el equipo, por favor.</textarea>" in page  # what was typed is kept
    assert _seen_through(page) == str(newer.id)  # the page now shows the new message
    assert 'name="confirm_newer" value="1"' in page
    assert _replies(ticket) == 0

    response = _reply(client, ticket, text="Reinicie el equipo, por favor.",
                      seen_through=seen, confirm_newer="1")
    assert response.status_code == 303
    assert _replies(ticket) == 1


def test_a_reply_with_no_newer_customer_message_is_sent_at_once(world, client):
    _login(client, world.agent)
    ticket = factories.new_ticket(world)
    earlier = _customer_writes(world, ticket, "¿Alguna novedad?")
    page = client.get(f"/operacion/ticket/{ticket.number}").get_data(as_text=True)
    assert _seen_through(page) == str(earlier.id)
    response = _reply(client, ticket, text="Estamos en ello.", seen_through=_seen_through(page))
    assert response.status_code == 303
    assert _replies(ticket) == 1


def test_the_guard_is_the_services_rule_for_every_adapter(world, app):
    ticket = factories.new_ticket(world)
    newer = _customer_writes(world, ticket, "Otra cosa más")
    try:
        notes.reply_publicly(world.agent, ticket, "Hola", seen_through=0)
    except NewerCustomerMessage as error:
        assert error.code == "conflict" and [m.note_id for m in error.messages] == [newer.id]
        assert "Otra cosa más" in str(error)
    else:
        raise AssertionError("the reply was sent over a message its author had not seen")
    db.session.rollback()
    notes.reply_publicly(world.agent, ticket, "Hola", seen_through=newer.id)  # it was seen
    notes.reply_publicly(world.agent, ticket, "Hola", seen_through=0, confirmed=True)
    notes.reply_publicly(world.agent, ticket, "Hola")  # a caller that shows no conversation
    db.session.commit()
    assert _replies(ticket) == 3
