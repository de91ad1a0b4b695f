"""The new-ticket form: client first, then only that client's contacts, contracts and projects."""
import io
from html.parser import HTMLParser

from sqlalchemy import func, select

from app.extensions import db
from app.models import Ticket
from tests.factories import PASSWORD


def _login(client, user):
    client.post("/login", data={"email": user.email, "password": PASSWORD})


def _count():
    return db.session.scalar(select(func.count()).select_from(Ticket))


class _Forms(HTMLParser):
    """The forms of a page as a browser submits them: each control's name and current value
    (a select's selected option, a textarea's text), and each select's offered values."""

    def __init__(self, html: str):
        super().__init__()
        self.forms, self._select, self._textarea = [], None, None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({"method": (attrs.get("method") or "get").upper(),
                               "id": attrs.get("id"), "values": {}, "options": {}})
        elif not self.forms or "name" not in attrs and tag != "option":
            return
        elif tag == "input" and attrs.get("type") != "file":
            self.forms[-1]["values"][attrs["name"]] = attrs.get("value", "")
        elif tag == "select":
            self._select = attrs["name"]
            self.forms[-1]["options"][self._select] = []
            self.forms[-1]["values"].setdefault(self._select, "")
        elif tag == "option" and self._select:
            self.forms[-1]["options"][self._select].append(attrs.get("value", ""))
            if "selected" in attrs:
                self.forms[-1]["values"][self._select] = attrs.get("value", "")
        elif tag == "textarea":
            self._textarea = attrs["name"]
            self.forms[-1]["values"][self._textarea] = ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.forms[-1]["values"][self._textarea] += data

    def save_form(self) -> dict:
        """The form the Save button submits."""
        return next(form for form in self.forms if form["id"] == "new-ticket")


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


def test_a_refused_new_ticket_names_the_files_it_could_not_keep(world, client):
    _login(client, world.agent)
    response = client.post("/operacion/ticket/nuevo", data={
        "client_id": world.client.id, "urgency": "HIGH", "description": "  ",
        "files": (io.BytesIO(b"captura"), "pantalla.png")}, content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and _count() == 0
    assert "no se conservaron" in page and "pantalla.png" in page


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


def test_the_save_uses_the_client_chosen_in_the_form_itself(world, client):
    """A client changed without pressing Continue is the client the save sends (it used to
    send the one chosen before, with the new client only in the select)."""
    _login(client, world.agent)
    page = client.get(f"/operacion/ticket/nuevo?client_id={world.client.id}")
    form = _Forms(page.get_data(as_text=True)).save_form()
    assert str(world.other_client.id) in form["options"]["client_id"]
    sent = dict(form["values"], client_id=str(world.other_client.id),
                description="Para la otra empresa")
    saved = client.post("/operacion/ticket/nuevo", data=sent)
    assert saved.status_code == 303
    ticket = db.session.scalars(select(Ticket)).one()
    assert ticket.client_id == world.other_client.id and ticket.contact is None


def test_a_contact_of_the_client_chosen_before_is_refused_with_what_to_do(world, client):
    _login(client, world.agent)
    page = client.get(f"/operacion/ticket/nuevo?client_id={world.client.id}")
    form = _Forms(page.get_data(as_text=True)).save_form()
    sent = dict(form["values"], client_id=str(world.other_client.id),
                contact_id=str(world.contact.id), contract_id=str(world.contract.id),
                subject="Asunto que se conserva", description="Texto que se conserva")
    refused = client.post("/operacion/ticket/nuevo", data=sent)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and _count() == 0
    assert "El solicitante debe ser un contacto del cliente seleccionado" in html
    assert "pulse Continuar" in html and "vuelva a elegir" in html
    again = _Forms(html).save_form()
    # the page now offers the submitted client's lists, nothing of the other client chosen
    assert again["values"]["client_id"] == str(world.other_client.id)
    assert again["values"]["subject"] == "Asunto que se conserva"
    assert again["values"]["description"] == "Texto que se conserva"
    assert again["options"]["contact_id"] == ["", str(world.other_contact.id)]
    assert again["values"]["contact_id"] == "" and again["values"]["contract_id"] == ""
    assert client.post("/operacion/ticket/nuevo", data=dict(
        again["values"], contact_id=str(world.other_contact.id))).status_code == 303
    assert db.session.scalars(select(Ticket)).one().contact_id == world.other_contact.id


def test_continue_shows_the_new_clients_lists_and_keeps_what_was_typed(world, client):
    _login(client, world.agent)
    page = client.get(f"/operacion/ticket/nuevo?client_id={world.client.id}")
    form = _Forms(page.get_data(as_text=True)).save_form()
    sent = dict(form["values"], client_id=str(world.other_client.id), description="Escrito",
                contact_id=str(world.contact.id), **{"continue": "1"})
    shown = client.post("/operacion/ticket/nuevo", data=sent)
    again = _Forms(shown.get_data(as_text=True)).save_form()
    assert shown.status_code == 200 and _count() == 0
    assert again["values"]["client_id"] == str(world.other_client.id)
    assert again["values"]["description"] == "Escrito" and again["values"]["contact_id"] == ""
    assert again["options"]["contract_id"] == ["", str(world.other_contract.id)]
    nothing = client.post("/operacion/ticket/nuevo", data={"continue": "1", "client_id": ""})
    assert nothing.status_code == 422 and "Seleccione el cliente" in nothing.get_data(as_text=True)
