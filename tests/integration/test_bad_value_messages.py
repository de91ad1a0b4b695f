"""What a person reads for each bad value issue 9 named (list filters, URL ids, the new-ticket
form, assignment, triage, the admin's page): a 4xx or the page with a message saying what to do,
in their language. The route walker (test_hostile_values.py) checks every other value."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import InboundMessage, Language
from mail_ingest.ingest import ingest
from tests import factories
from tests import mail_corpus as corpus
from tests.factories import PASSWORD


def _flashes(html: str) -> list[str]:
    return re.findall(r'class="flash error[^"]*"[^>]*>([^<]+)<', html)


@pytest.fixture
def signed_in(world, client):
    assert client.post("/login", data={"email": world.agent.email,
                                       "password": PASSWORD}).status_code == 302
    return world


@pytest.mark.parametrize("query, message", [
    (f"client={2**31}", "Cliente: elija una de las opciones ofrecidas"),
    (f"assignee={2**63}", "Asignado a: elija una de las opciones ofrecidas"),
    ("type=1.5", "Tipo: elija una de las opciones ofrecidas"),
    ("contract=NaN", "Contrato: elija una de las opciones ofrecidas"),
    ("to=9999-12-31", "Hasta: escriba una fecha entre 1900-01-01 y 2999-12-31"),
    ("page=abc", "Página: escriba un número entero"),
])
def test_a_list_filter_that_cannot_be_used_is_left_out_and_the_page_says_so(
        signed_in, client, query, message):
    factories.new_ticket(signed_in)
    response = client.get(f"/operacion/ticket?{query}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "TCK-000001" in html
    assert any(message in flash for flash in _flashes(html))


def test_the_message_is_in_the_users_language(signed_in, client):
    signed_in.agent.language = Language.EN
    db.session.commit()
    html = client.get(f"/operacion/ticket?client={2**63}&q=a%00b").get_data(as_text=True)
    assert "Client: choose one of the options offered" in " ".join(_flashes(html))


def test_ids_out_of_range_in_a_url_are_pages_that_do_not_exist(signed_in, client):
    for path in ["/operacion/ticket/99999999999999999999", f"/operacion/adjunto/{2**63}",
                 f"/operacion/adjunto/{2**31}"]:
        assert client.get(path).status_code == 404, path
    assert client.post(f"/operacion/correo/{2**63}/cliente").status_code == 404


def test_the_new_ticket_form_refuses_an_id_out_of_range_and_keeps_the_text(signed_in, client):
    world = signed_in
    refused = client.post("/operacion/ticket/nuevo", data={
        "client_id": world.client.id, "contact_id": str(2**63), "description": "No arranca"})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "No arranca" in html
    assert "Solicitante: elija una de las opciones ofrecidas" in " ".join(_flashes(html))
    bad_client = client.get(f"/operacion/ticket/nuevo?client_id={2**31}")
    assert bad_client.status_code == 400
    assert "Cliente: elija" in " ".join(_flashes(bad_client.get_data(as_text=True)))


@pytest.mark.parametrize("value", ["abc", "1.5", "NaN", str(2**31), str(2**63)])
def test_assigning_to_a_value_that_is_no_id_says_what_to_do(world, client, value):
    assert client.post("/login", data={"email": world.supervisor.email,
                                       "password": PASSWORD}).status_code == 302
    ticket = factories.new_ticket(world)
    response = client.post(f"/operacion/ticket/{ticket.number}/assign",
                           data={"assignee_id": value})
    assert response.status_code == 422  # the page again, the form as sent
    html = response.get_data(as_text=True)
    assert "Asignado a: elija una de las opciones ofrecidas" in " ".join(_flashes(html))


def test_triage_refuses_a_client_id_out_of_range(signed_in, client):
    ingest("test", 0, "1", corpus.simple(sender="alguien@gmail.example", subject="Ayuda"))
    record = db.session.scalars(select(InboundMessage)).one()
    response = client.post(f"/operacion/correo/{record.id}/cliente",
                           data={"client_id": str(2**63)})
    assert response.status_code == 303
    html = client.get("/operacion/correo/triage").get_data(as_text=True)
    assert "Cliente: elija una de las opciones ofrecidas" in " ".join(_flashes(html))


def test_an_admin_page_past_any_end_shows_the_list(world, client):
    assert client.post("/login", data={"email": world.admin.email,
                                       "password": PASSWORD}).status_code == 302
    for page in (2**31, 2**63, 10**30):
        assert client.get(f"/admin/client/?page={page}").status_code == 200
    assert client.get(f"/admin/client/edit/?id={2**63}").status_code in (302, 404)
