"""Editing a ticket through the dashboard: each field saved, shown on the ticket page and in its
history in Spanish; another client's records, closed tickets, viewers, forged and hostile
posts, and a save after someone else's are refused with a message, never a 500."""
import html
import re

import pytest
from sqlalchemy import select, update

from app.extensions import db
from app.models import PaymentStatus, Ticket, TicketChange, TicketStatus, TicketType
from app.models.enums import BillingBasis
from app.services import tickets
from tests import factories
from tests.factories import PASSWORD

EDIT = "/operacion/ticket/TCK-000001/editar"
PAGE = "/operacion/ticket/TCK-000001"


def _login(client, user):
    assert client.post("/login", data={"email": user.email,
                                       "password": PASSWORD}).status_code == 302


def _text(response) -> str:
    """The page as a person reads it: tags dropped, entities decoded, spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))
                    .split())


def _form(ticket, **changes) -> dict:
    """What the form posts for the ticket as it is, with some fields changed."""
    data = {"subject": ticket.subject, "type_id": ticket.type_id or "",
            "urgency": ticket.urgency.value, "contract_id": ticket.contract_id or "",
            "project_id": ticket.project_id or "", "contact_id": ticket.contact_id or "",
            "lock_version": ticket.lock_version}
    data.update(changes)
    return data


def _history(ticket) -> list[tuple[str, str | None, str | None]]:
    return [(c.field, c.old_value, c.new_value) for c in db.session.scalars(
        select(TicketChange).where(TicketChange.ticket_id == ticket.id)
        .order_by(TicketChange.id))]


@pytest.fixture
def agent(world, client):
    """The world with one New ticket (requester Carla, no type), signed in as the agent."""
    world.ticket = factories.new_ticket(world)
    _login(client, world.agent)
    return world


def test_the_form_is_filled_with_the_ticket_and_offers_only_its_clients_records(agent, client):
    response = client.get(EDIT)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'value="Servidor caído"' in page and "Acme S.A." in _text(response)
    assert re.search(rf'<option selected value="{agent.contact.id}">', page)
    assert re.search(r'<option selected value="MEDIUM">Media</option>', page)
    for own in (agent.contract, agent.covering_contract, agent.project, agent.english_contact):
        assert html.escape(str(own)) in page
    for foreign in (agent.other_contract, agent.other_project, agent.other_contact):
        assert html.escape(str(foreign)) not in page
    assert "client_id" not in page  # the client is shown, not editable


# field posted, value (from the world), ticket page cell, history line
EACH_FIELD = {
    "urgency": ("urgency", lambda w: "HIGH", "Alta", "Urgencia: Media → Alta"),
    "type": ("type_id", lambda w: w.ticket_type.id, "Incidente", "Tipo: — → Incidente"),
    "contract": ("contract_id", lambda w: w.contract.id, "Licencias",
                 "Contrato: — → Licencias"),
    "project": ("project_id", lambda w: w.project.id, "Red nueva", "Proyecto: — → Red nueva"),
    "requester": ("contact_id", lambda w: w.english_contact.id, "Eve <eve@acme.example>",
                  "Solicitante: Carla Cliente <carla@acme.example> → Eve <eve@acme.example>"),
    "subject": ("subject", lambda w: "Servidor caído otra vez", "Servidor caído otra vez",
                "Asunto: Servidor caído → Servidor caído otra vez"),
}


@pytest.mark.parametrize("name", sorted(EACH_FIELD))
def test_each_field_is_saved_shown_and_in_the_history(agent, client, name):
    field, value, shown, line = EACH_FIELD[name]
    saved = client.post(EDIT, data=_form(agent.ticket, **{field: value(agent)}))
    assert saved.status_code == 303 and saved.headers["Location"].endswith(PAGE)
    page = _text(client.get(PAGE))
    label = line.split(":")[0].lower()
    assert f"Guardado: {label}" in page
    assert shown in page and f"Agente Uno — {line}" in page
    assert len(_history(agent.ticket)) == 2  # created, and this one change


def test_several_fields_at_once_are_named_in_the_message(agent, client):
    client.post(EDIT, data=_form(agent.ticket, urgency="CRITICAL",
                                 type_id=agent.ticket_type.id))
    page = _text(client.get(PAGE))
    assert "Guardado: tipo, urgencia" in page
    assert "Urgencia: Media → Crítica" in page and "Tipo: — → Incidente" in page


def test_saving_the_form_unchanged_says_so_and_records_nothing(agent, client):
    response = client.post(EDIT, data=_form(agent.ticket), follow_redirects=True)
    assert "Nada que guardar" in _text(response)
    assert [f for f, _, _ in _history(agent.ticket)] == ["created"]


def test_a_covering_contract_chosen_while_new_makes_the_ticket_free_and_back(agent, client):
    client.post(EDIT, data=_form(agent.ticket, contract_id=agent.covering_contract.id))
    db.session.expire_all()
    ticket = db.session.get(Ticket, agent.ticket.id)
    assert ticket.billing_basis is BillingBasis.CONTRACT
    assert ticket.billing_contract_id == agent.covering_contract.id
    assert ticket.payment_status is PaymentStatus.NOT_APPLICABLE
    assert "Gratuito" in _text(client.get(PAGE))
    client.post(EDIT, data=_form(ticket, contract_id=agent.contract.id))
    db.session.expire_all()
    ticket = db.session.get(Ticket, agent.ticket.id)
    assert ticket.billing_basis is None and ticket.payment_status is PaymentStatus.UNPAID
    assert "billing_basis" in [f for f, _, _ in _history(ticket)]


@pytest.mark.parametrize("field, record, message", [
    ("contact_id", "other_contact", "El solicitante debe ser un contacto del cliente"),
    ("contract_id", "other_contract", "El contrato debe pertenecer al cliente"),
    ("project_id", "other_project", "El proyecto debe pertenecer al cliente"),
])
def test_another_clients_record_is_refused_and_the_typed_values_kept(agent, client, field,
                                                                     record, message):
    response = client.post(EDIT, data=_form(agent.ticket, subject="Asunto escrito",
                                            urgency="HIGH",
                                            **{field: getattr(agent, record).id}))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    error = re.search(rf'id="error-{field}"[^>]*>([^<]*)<', page)
    assert error and message in html.unescape(error.group(1))
    assert 'value="Asunto escrito"' in page
    assert re.search(r'<option selected value="HIGH">', page)
    db.session.expire_all()
    ticket = db.session.get(Ticket, agent.ticket.id)
    assert ticket.subject == "Servidor caído" and ticket.urgency.value == "MEDIUM"
    assert ticket.contact_id == agent.contact.id and ticket.contract_id is None
    assert [f for f, _, _ in _history(ticket)] == ["created"]


def test_an_inactive_current_type_stays_selectable_marked_and_cannot_be_chosen_anew(agent,
                                                                                    client):
    client.post(EDIT, data=_form(agent.ticket, type_id=agent.ticket_type.id))
    retired = TicketType(name="Consulta", active=False)
    db.session.add(retired)
    agent.ticket_type.active = False
    db.session.commit()
    page = client.get(EDIT).get_data(as_text=True)
    assert "Incidente (inactivo)" in page and "Consulta" not in page
    kept = client.post(EDIT, data=_form(agent.ticket, urgency="LOW"))
    assert kept.status_code == 303
    refused = client.post(EDIT, data=_form(agent.ticket, type_id=retired.id))
    assert refused.status_code == 422
    assert "Seleccione un tipo de ticket válido" in _text(refused)


def test_a_closed_ticket_is_read_only(world, client):
    ticket = factories.ticket_in(world, TicketStatus.CLOSED)
    _login(client, world.agent)
    for response in (client.get(EDIT), client.post(EDIT, data=_form(ticket, urgency="HIGH"))):
        assert response.status_code == 409
        assert "es de solo lectura" in _text(response)
    assert 'id="edit-ticket-link"' not in client.get(PAGE).get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Ticket, ticket.id).urgency.value == "MEDIUM"


def test_an_open_ticket_page_links_to_the_form(agent, client):
    page = client.get(PAGE).get_data(as_text=True)
    assert re.search(r'<a href="/operacion/ticket/TCK-000001/editar" id="edit-ticket-link"'
                     r'[^>]*>Editar</a>', page)


def test_a_viewer_can_neither_open_nor_post_the_form(world, client):
    ticket = factories.new_ticket(world)
    _login(client, world.viewer)
    assert client.get(EDIT).status_code == 403
    assert client.post(EDIT, data=_form(ticket, urgency="HIGH")).status_code == 403
    assert 'id="edit-ticket-link"' not in client.get(PAGE).get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Ticket, ticket.id).urgency.value == "MEDIUM"


def test_the_form_needs_its_csrf_token(agent, client, app):
    app.config["WTF_CSRF_ENABLED"] = True
    forged = client.post(EDIT, data=_form(agent.ticket, urgency="HIGH"))
    assert forged.status_code == 400
    db.session.expire_all()
    assert db.session.get(Ticket, agent.ticket.id).urgency.value == "MEDIUM"
    form = client.get(EDIT).get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
    saved = client.post(EDIT, data=_form(agent.ticket, urgency="HIGH", csrf_token=token))
    assert saved.status_code == 303
    db.session.expire_all()
    assert db.session.get(Ticket, agent.ticket.id).urgency.value == "HIGH"


@pytest.mark.parametrize("field, value", [
    ("contact_id", "99999999999"), ("contact_id", "2147483648"), ("contract_id", "abc"),
    ("project_id", "1\x00"), ("type_id", "-1"), ("type_id", "１"), ("urgency", "URGENTISIMO"),
    ("urgency", "HIGH\x00"), ("lock_version", "abc"), ("lock_version", ""),
    ("lock_version", "99999999999"),
])
def test_hostile_values_are_refused_with_a_message(agent, client, field, value):
    response = client.post(EDIT, data=_form(agent.ticket, **{field: value}))
    assert response.status_code == 422
    assert 'role="alert"' in response.get_data(as_text=True)
    db.session.expire_all()
    assert [f for f, _, _ in _history(db.session.get(Ticket, agent.ticket.id))] == ["created"]


def test_a_nul_in_the_subject_is_stored_as_every_database_can(agent, client):
    assert client.post(EDIT, data=_form(agent.ticket, subject="Con\x00nulo")).status_code == 303
    db.session.expire_all()
    assert db.session.get(Ticket, agent.ticket.id).subject == "Con\ufffdnulo"


@pytest.mark.parametrize("number", ["TCK-999999", "TCK%00", "x" * 5000])
def test_an_unknown_ticket_is_not_found(agent, client, number):
    assert client.get(f"/operacion/ticket/{number}/editar").status_code == 404
    assert client.post(f"/operacion/ticket/{number}/editar",
                       data=_form(agent.ticket)).status_code == 404


def test_a_save_after_someone_elses_is_refused_and_shows_their_change(agent, client, app):
    form = _form(agent.ticket)  # read by this editor
    other = app.test_client()
    _login(other, agent.supervisor)
    assert other.post(EDIT, data=_form(agent.ticket, urgency="CRITICAL")).status_code == 303
    late = client.post(EDIT, data={**form, "subject": "Mi cambio"})
    page = late.get_data(as_text=True)
    assert late.status_code == 409
    assert "Otra persona cambió este ticket" in _text(late)
    assert re.search(r'<option selected value="CRITICAL">', page)  # the form as it is now
    db.session.expire_all()
    ticket = db.session.get(Ticket, agent.ticket.id)
    assert ticket.subject == "Servidor caído" and ticket.urgency.value == "CRITICAL"


def test_a_save_racing_another_transaction_is_refused_not_a_500(agent, client, monkeypatch):
    validated = tickets._validated

    def racing(fields, current=None):
        # another writer saves the row between this request's read and its write
        db.session.execute(update(Ticket).where(Ticket.id == current.id)
                           .values(lock_version=Ticket.lock_version + 1)
                           .execution_options(synchronize_session=False))
        return validated(fields, current)

    monkeypatch.setattr(tickets, "_validated", racing)
    response = client.post(EDIT, data=_form(agent.ticket, urgency="HIGH"))
    assert response.status_code == 409
    assert "Otra persona cambió este ticket" in _text(response)
    db.session.expire_all()
    assert db.session.get(Ticket, agent.ticket.id).urgency.value == "MEDIUM"
