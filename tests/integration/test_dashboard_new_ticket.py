"""The new-ticket form: client first, then only that client's contacts, contracts and projects."""
import io

from sqlalchemy import func, select

from app.extensions import db
from app.models import Ticket
from tests.factories import PASSWORD


def _login(client, user):
    client.post("/login", data={"email": user.email, "password": PASSWORD})


def _count():
    return db.session.scalar(select(func.count()).select_from(Ticket))


def test_choices_are_limited_to_the_chosen_client(world, client):
    _login(client, world.agent)
    page = client.get(f"/operacion/ticket/nuevo?client_id={world.client.id}").get_data(as_text=True)
    assert world.contract.name in page and world.project.name in page
    assert world.other_contract.name not in page and world.other_project.name not in page


def test_creating_a_ticket_with_an_attachment(world, client):
    _login(client, world.agent)
    response = client.post("/operacion/ticket/nuevo", data={
        "client_id": world.client.id, "contact_id": world.contact.id,
        "contract_id": world.contract.id, "urgency": "HIGH",
        "description": "El correo no sincroniza", "files": (io.BytesIO(b"captura"), "c.png")},
        content_type="multipart/form-data")
    assert response.status_code == 303 and response.headers["Location"].endswith("TCK-000001")
    ticket = db.session.scalars(select(Ticket)).one()
    assert ticket.urgency.value == "HIGH" and ticket.attachments[0].filename == "c.png"


def test_missing_fields_and_foreign_contracts_are_refused_and_kept(world, client):
    _login(client, world.agent)
    missing = client.post("/operacion/ticket/nuevo", data={"client_id": world.client.id,
                                                           "description": "  "})
    html = missing.get_data(as_text=True)
    assert missing.status_code == 422 and "la descripción es obligatoria" in html
    no_client = client.post("/operacion/ticket/nuevo", data={"description": "algo"})
    assert no_client.status_code == 422 and "Seleccione el cliente" in no_client.get_data(as_text=True)
    foreign = client.post("/operacion/ticket/nuevo", data={
        "client_id": world.client.id, "contract_id": world.other_contract.id,
        "description": "Texto que no se pierde"})
    page = foreign.get_data(as_text=True)
    assert foreign.status_code == 422 and "Texto que no se pierde" in page
    assert "El contrato debe pertenecer al cliente seleccionado" in page
    assert _count() == 0


def test_viewers_cannot_create(world, client):
    _login(client, world.viewer)
    assert client.get("/operacion/ticket/nuevo").status_code == 403
    assert client.post("/operacion/ticket/nuevo", data={"client_id": world.client.id,
                                                        "description": "x"}).status_code == 403
    assert _count() == 0
