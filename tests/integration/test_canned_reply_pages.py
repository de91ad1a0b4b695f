"""Canned replies in the dashboard: supervisors manage them on /operacion/respuestas (a refused
one comes back as typed with the message under its field), agents are refused there; on a
ticket the picker offers the active ones and the filled text comes as JSON, refused for a
ticket that does not exist, a user who may not reply, and a deactivated reply."""
import html
import re

import pytest

from app.extensions import db
from app.models.workspace import CannedReply
from app.services import canned_replies
from tests import factories
from tests.factories import PASSWORD

LIST = "/operacion/respuestas"


def _login(client, user):
    assert client.post("/login", data={"email": user.email,
                                       "password": PASSWORD}).status_code == 302


def _text(response) -> str:
    """The page as a person reads it: tags dropped, entities decoded, spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))
                    .split())


def _reply(world, title="Saludo", body="Hola {solicitante}, sobre {ticket}.") -> CannedReply:
    reply = canned_replies.create_reply(world.supervisor, title, body)
    db.session.commit()
    return reply


@pytest.fixture
def supervisor(world, client):
    _login(client, world.supervisor)
    return world


@pytest.fixture
def agent(world, client):
    world.ticket = factories.new_ticket(world)
    _login(client, world.agent)
    return world


def test_a_supervisor_creates_edits_deactivates_and_reactivates_a_reply(supervisor, client):
    response = client.post(LIST, data={"title": "Saludo", "body": "Hola {solicitante}"})
    assert response.status_code == 303
    reply = db.session.scalars(db.select(CannedReply)).one()
    assert (reply.title, reply.body, reply.active) == ("Saludo", "Hola {solicitante}", True)
    page = client.get(LIST)
    assert page.status_code == 200 and "Saludo" in _text(page)
    edit = f"{LIST}/{reply.id}"
    form = client.get(edit).get_data(as_text=True)
    assert 'value="Saludo"' in form and "Hola {solicitante}</textarea>" in form
    assert client.post(edit, data={"title": "Saludo formal",
                                   "body": "Estimado/a {requester}"}).status_code == 303
    assert client.post(f"{edit}/desactivar").status_code == 303
    db.session.expire_all()
    reply = db.session.get(CannedReply, reply.id)
    assert (reply.title, reply.body, reply.active) == ("Saludo formal", "Estimado/a {requester}",
                                                       False)
    assert client.post(f"{edit}/reactivar").status_code == 303
    db.session.expire_all()
    assert db.session.get(CannedReply, reply.id).active


def test_a_refused_reply_comes_back_as_typed_with_the_message_under_its_field(supervisor,
                                                                              client):
    response = client.post(LIST, data={"title": "Saludo <b>", "body": "Hola {nombre} & adiós"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'value="Saludo &lt;b&gt;"' in page and "Hola {nombre} &amp; adiós</textarea>" in page
    assert re.search(r'id="new-canned-reply-error-body"[^>]*>[^<]*\{nombre\}', page)
    assert 'aria-invalid="true"' in page and "{cliente}" in _text(response)
    assert db.session.scalars(db.select(CannedReply)).first() is None

    reply = _reply(supervisor)
    twin = client.post(LIST, data={"title": "saludo", "body": "Otro texto"})
    assert twin.status_code == 422 and 'id="new-canned-reply-error-title"' in twin.text
    assert "Otro texto</textarea>" in twin.text
    other = _reply(supervisor, "Despedida", "Saludos")
    renamed = client.post(f"{LIST}/{other.id}", data={"title": "SALUDO", "body": "Saludos 2"})
    assert renamed.status_code == 422 and 'value="SALUDO"' in renamed.text
    assert "Saludos 2</textarea>" in renamed.text and "edit-canned-reply-error-title" in renamed.text
    db.session.expire_all()
    assert db.session.get(CannedReply, other.id).title == "Despedida"
    assert db.session.get(CannedReply, reply.id).title == "Saludo"


def test_agents_cannot_manage_replies(agent, client):
    reply = _reply(agent)
    assert client.get(LIST).status_code == 403
    assert client.post(LIST, data={"title": "Mía", "body": "Hola"}).status_code == 403
    assert client.get(f"{LIST}/{reply.id}").status_code == 403
    assert client.post(f"{LIST}/{reply.id}", data={"title": "X", "body": "Y"}).status_code == 403
    assert client.post(f"{LIST}/{reply.id}/desactivar").status_code == 403
    db.session.expire_all()
    assert db.session.scalars(db.select(CannedReply.title)).all() == ["Saludo"]
    assert db.session.get(CannedReply, reply.id).active
    assert client.get(f"{LIST}/999999").status_code == 403  # not even whether it exists


def test_a_missing_reply_is_a_404_for_a_supervisor(supervisor, client):
    assert client.get(f"{LIST}/999999").status_code == 404
    assert client.post(f"{LIST}/999999/desactivar").status_code == 404


def test_the_picker_offers_active_replies_and_the_filled_text_comes_as_json(agent, client):
    number = agent.ticket.number
    greeting = _reply(agent)
    hidden = _reply(agent, "Antigua", "Ya no se usa")
    canned_replies.deactivate(agent.supervisor, hidden)
    db.session.commit()
    options = client.get(f"/operacion/ticket/{number}/respuestas")
    assert options.status_code == 200
    assert "Saludo" in options.text and "Antigua" not in options.text
    assert f"/operacion/ticket/{number}/respuestas/{greeting.id}" in options.text
    assert "/operacion/respuestas\"" not in options.text  # an agent gets no "manage" link

    filled = client.get(f"/operacion/ticket/{number}/respuestas/{greeting.id}")
    assert filled.status_code == 200
    assert filled.json == {"text": f"Hola Carla Cliente, sobre {number}."}
    inactive = client.get(f"/operacion/ticket/{number}/respuestas/{hidden.id}")
    assert inactive.status_code == 404 and inactive.json["error"]
    assert client.get(f"/operacion/ticket/TCK-999999/respuestas/{greeting.id}").status_code == 404
    assert client.get("/operacion/ticket/TCK-999999/respuestas").status_code == 404
    assert client.get(f"/operacion/ticket/{number}/respuestas/999999").status_code == 404


def test_a_viewer_gets_no_canned_replies(world, client):
    ticket = factories.new_ticket(world)
    reply = _reply(world)
    _login(client, world.viewer)
    response = client.get(f"/operacion/ticket/{ticket.number}/respuestas/{reply.id}")
    assert response.status_code == 403 and "text" not in response.json
    assert client.get(f"/operacion/ticket/{ticket.number}/respuestas").status_code == 403


def test_the_pages_speak_spanish(supervisor, client):
    """Needs the catalog entries of the canned replies (the lead adds them)."""
    page = _text(client.get(LIST))
    assert "Respuestas predefinidas" in page and "Nueva respuesta predefinida" in page
    refused = client.post(LIST, data={"title": "Saludo", "body": "Hola {nombre}"})
    assert "Marcador desconocido {nombre}" in _text(refused)
