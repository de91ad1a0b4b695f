"""Collision detection through the requests a browser sends: who else has a ticket open or is
writing a reply (the presence box's heartbeat), and the reply guard (a reply is not sent over a
customer message its author has not seen, until they confirm)."""
import datetime as dt
import html
import re
import threading
from pathlib import Path

import pytest
from jinja2 import nodes
from sqlalchemy import func, select

from app.extensions import db
from app.models import OutboxMessage
from app.models.workspace import TicketPresence
from app.services import customer_mail, notes, presence
from app.services.customer_mail import CustomerEmail
from app.services.presence import NewerCustomerMessage
from app.services.ticket_view import ticket_view
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
    window = presence.fresh_for()
    assert window == dt.timedelta(seconds=45)  # three of the default 15 s refreshes
    app.config["SOPORTE_FIXED_NOW"] = T0
    _heartbeat(beto, ticket, composing=True)
    app.config["SOPORTE_FIXED_NOW"] = T0 + window - dt.timedelta(seconds=1)
    assert "Agente Dos" in _heartbeat(ana, ticket)
    app.config["SOPORTE_FIXED_NOW"] = T0 + window + dt.timedelta(seconds=1)
    assert _heartbeat(ana, ticket) == ""
    rows = db.session.scalars(select(TicketPresence.user_id).where(
        TicketPresence.ticket_id == ticket.id)).all()
    assert rows == [world.agent.id]  # the stale row was pruned by Ana's heartbeat


def test_with_a_long_refresh_a_colleague_stays_while_their_page_is_open(world, app):
    app.config["SOPORTE_PRESENCE_REFRESH_SECONDS"] = 60
    ana, beto = _signed_in(app, world.agent), _signed_in(app, world.agent2)
    ticket = factories.new_ticket(world)
    app.config["SOPORTE_FIXED_NOW"] = T0
    _heartbeat(beto, ticket)
    app.config["SOPORTE_FIXED_NOW"] = T0 + dt.timedelta(seconds=100)  # one beat late, page open
    assert "Agente Dos también está viendo este ticket" in _heartbeat(ana, ticket)
    app.config["SOPORTE_FIXED_NOW"] = T0 + dt.timedelta(seconds=181)  # three refreshes missed
    assert _heartbeat(ana, ticket) == ""


def test_the_page_refreshes_the_box_at_the_configured_interval(world, client, app):
    app.config["SOPORTE_PRESENCE_REFRESH_SECONDS"] = 60
    _login(client, world.agent)
    ticket = factories.new_ticket(world)
    page = client.get(f"/operacion/ticket/{ticket.number}").get_data(as_text=True)
    assert 'hx-trigger="load, every 60s, presence-changed"' in page


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
        assert error.code == "customer_wrote_again" and [m.note_id for m in error.messages] == [newer.id]
        assert "Otra cosa más" in str(error)
    else:
        raise AssertionError("the reply was sent over a message its author had not seen")
    db.session.rollback()
    notes.reply_publicly(world.agent, ticket, "Hola", seen_through=newer.id)  # it was seen
    notes.reply_publicly(world.agent, ticket, "Hola", seen_through=0, confirmed=True)
    notes.reply_publicly(world.agent, ticket, "Hola")  # a caller that shows no conversation
    db.session.commit()
    assert _replies(ticket) == 3


@pytest.mark.parametrize("seen", ["²", "-1", "1e3", "99999999999999999999", "2147483648", "",
                                  " 7", "abc"])
def test_a_damaged_seen_through_is_refused_with_the_page_again_and_nothing_sent(world, client,
                                                                                seen):
    _login(client, world.agent)
    ticket = factories.new_ticket(world)
    response = _reply(client, ticket, text="Estamos en ello.", seen_through=seen)
    assert response.status_code == 422
    page = html.unescape(response.get_data(as_text=True))
    assert "Su respuesta no se envió" in page
    assert "Estamos en ello.</textarea>" in page  # what was typed is kept
    assert _replies(ticket) == 0


def test_a_ticket_without_customer_messages_is_guarded_from_zero(world, client):
    _login(client, world.agent)
    ticket = factories.new_ticket(world)
    page = client.get(f"/operacion/ticket/{ticket.number}").get_data(as_text=True)
    assert _seen_through(page) == "0"
    _customer_writes(world, ticket, "Sigue sin funcionar")
    assert _reply(client, ticket, text="Hola", seen_through="0").status_code == 409
    assert _replies(ticket) == 0


def test_the_ticket_view_knows_the_newest_customer_message_it_shows(world, app):
    ticket = factories.new_ticket(world)
    assert ticket_view(world.agent, ticket.number).newest_customer_message_id == 0
    first = _customer_writes(world, ticket, "Primero")
    notes.add_internal_note(world.agent, ticket, "Nota interna")
    db.session.commit()
    assert ticket_view(world.agent, ticket.number).newest_customer_message_id == first.id
    second = _customer_writes(world, ticket, "Segundo")
    assert ticket_view(world.agent, ticket.number).newest_customer_message_id == second.id


def test_the_ticket_pages_partials_are_required_not_skipped_when_missing(app):
    # a missing reply guard would switch a safety check off without a word: it must fail loudly
    env = app.jinja_env
    for name in ("tickets/detail.html", "tickets/_thread_composer.html"):
        source = Path(app.root_path).parent.joinpath("templates", name).read_text()
        includes = list(env.parse(source).find_all(nodes.Include))
        assert includes and not [i.template.value for i in includes if i.ignore_missing], name


def _htmx(current_url):
    return {"HX-Request": "true", "HX-Current-URL": current_url}


def test_an_expired_session_sends_the_htmx_box_to_sign_in_not_into_the_box(world, app):
    ticket = factories.new_ticket(world)
    number = ticket.number
    page = f"http://localhost/operacion/ticket/{number}?pestana=1"
    with app.app_context():
        response = app.test_client().post(f"/operacion/ticket/{number}/presencia",
                                          headers=_htmx(page))
    assert response.status_code == 401
    assert response.headers["HX-Redirect"] == (
        f"/login?next=%2Foperacion%2Fticket%2F{number}%3Fpestana%3D1")
    assert "<form" not in response.get_data(as_text=True)  # no sign-in page to swap in
    with app.app_context():
        picker = app.test_client().get(f"/operacion/ticket/{number}/respuestas",
                                       headers=_htmx(page))
    assert picker.status_code == 401 and picker.headers["HX-Redirect"].startswith("/login?next=")


@pytest.mark.parametrize("current", ["https://elsewhere.example/operacion/ticket/1",
                                     "//elsewhere.example/x", "javascript:alert(1)", ""])
def test_an_htmx_sign_in_returns_only_to_a_page_of_this_site(world, app, current):
    ticket = factories.new_ticket(world)
    number = ticket.number
    with app.app_context():
        response = app.test_client().post(f"/operacion/ticket/{number}/presencia",
                                          headers=_htmx(current))
    assert response.status_code == 401 and response.headers["HX-Redirect"] == "/login"


def test_a_page_without_a_session_still_redirects_to_sign_in(world, app):
    ticket = factories.new_ticket(world)
    number = ticket.number
    with app.app_context():
        response = app.test_client().get(f"/operacion/ticket/{number}")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/login?next=%2Foperacion%2Fticket%2F{number}"


def test_the_heartbeat_needs_the_pages_csrf_token(world, app):
    ana = _signed_in(app, world.agent)
    ticket = factories.new_ticket(world)
    number = ticket.number
    db.session.commit()  # the test's read ends: the browser's requests need the database
    app.config["WTF_CSRF_ENABLED"] = True
    with app.app_context():
        page = ana.get(f"/operacion/ticket/{number}").get_data(as_text=True)
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)
    with app.app_context():
        refused = ana.post(f"/operacion/ticket/{number}/presencia", data={"composing": "1"},
                           headers={"HX-Request": "true", "Accept-Language": "es"})
    assert refused.status_code == 400
    assert "Recargue la página" in refused.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(TicketPresence)) == 0
    db.session.commit()  # the read ends: the next heartbeat may write
    with app.app_context():
        accepted = ana.post(f"/operacion/ticket/{number}/presencia", data={"composing": "1"},
                            headers={"HX-Request": "true", "X-CSRFToken": token})
    assert accepted.status_code == 200


def test_a_box_refreshing_without_any_session_cookie_goes_to_sign_in(world, app):
    """No cookie at all: the CSRF check fails before the sign-in check, and must not leave the
    box silently dead."""
    ticket = factories.new_ticket(world)
    number = ticket.number
    db.session.commit()
    app.config["WTF_CSRF_ENABLED"] = True
    with app.app_context():
        response = app.test_client().post(f"/operacion/ticket/{number}/presencia",
                                          headers=_htmx(f"http://localhost/operacion/ticket/{number}"))
    assert response.status_code == 401 and response.headers["HX-Redirect"].startswith("/login")
