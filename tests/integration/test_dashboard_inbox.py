"""Triage and quarantine views, the notifications bell, and the language switch."""
import re

from sqlalchemy import select

from app.extensions import db
from app.models import InboundMessage, InboundOutcome, Language, Ticket, User
from app.services import assignment
from mail_ingest.ingest import ingest
from tests import factories
from tests import mail_corpus as corpus
from tests.factories import PASSWORD


def _login(client, user):
    client.post("/login", data={"email": user.email, "password": PASSWORD})


def test_triage_turns_an_unknown_sender_into_a_ticket(world, client):
    ingest("test", 0, "1", corpus.simple(sender="alguien@gmail.example", subject="Ayuda"))
    _login(client, world.agent)
    page = client.get("/operacion/correo/triage").get_data(as_text=True)
    assert "alguien@gmail.example" in page
    record = db.session.scalars(select(InboundMessage)).one()
    done = client.post(f"/operacion/correo/{record.id}/cliente",
                       data={"client_id": world.other_client.id})
    assert done.status_code == 303
    assert "Nuevo ticket TCK-000001." in client.get(done.headers["Location"]).get_data(as_text=True)
    ticket = db.session.scalars(select(Ticket)).one()
    assert ticket.client_id == world.other_client.id and ticket.contact.email == "alguien@gmail.example"
    assert "alguien@gmail.example" not in client.get("/operacion/correo/triage").get_data(as_text=True)


def test_quarantine_shows_the_error_and_only_admins_retry(world, client, app):
    app.config["SOPORTE_INGEST_RATE_LIMIT"] = 0  # everything is held
    ingest("test", 0, "1", corpus.simple(subject="retenido"))
    record = db.session.scalars(select(InboundMessage)).one()
    assert record.outcome is InboundOutcome.QUARANTINED
    _login(client, world.agent)
    page = client.get("/operacion/correo/cuarentena").get_data(as_text=True)
    assert "retenido" in page and "remitente por encima del límite de mensajes por hora" in page
    assert "Reintentar" not in page
    client.post(f"/operacion/correo/{record.id}/reintentar")
    db.session.expire_all()
    assert db.session.get(InboundMessage, record.id).outcome is InboundOutcome.QUARANTINED
    client.post("/logout")
    _login(client, world.admin)
    client.post(f"/operacion/correo/{record.id}/reintentar")
    db.session.expire_all()
    assert db.session.get(InboundMessage, record.id).outcome is InboundOutcome.TICKET


def test_the_bell_counts_unread_assignments(world, client):
    ticket = factories.new_ticket(world)
    assignment.assign(world.supervisor, ticket, world.agent2.id)
    db.session.commit()
    _login(client, world.agent2)
    page = client.get("/operacion/ticket").get_data(as_text=True)
    assert re.search(r'<span id="unread"[^>]*>1</span>', page)
    listing = client.get("/notificaciones").get_data(as_text=True)
    assert ticket.number in listing
    client.post("/notificaciones/leidas")
    assert re.search(r'<span id="unread"[^>]*>0</span>',
                     client.get("/operacion/ticket").get_data(as_text=True))


def test_switching_language_sticks_to_the_user(world, client):
    _login(client, world.agent)
    assert "Tickets de soporte" in client.get("/operacion/ticket").get_data(as_text=True)
    client.post("/preferencias/idioma", data={"language": "en"})
    assert "Support tickets" in client.get("/operacion/ticket").get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, world.agent.id).language is Language.EN
    client.post("/preferencias/idioma", data={"language": "fr"})  # not offered: ignored
    assert db.session.get(User, world.agent.id).language is Language.EN


def test_an_administrator_creates_the_client_while_triaging(world, client):
    from app.models import Client

    ingest("test", 0, "1", corpus.simple(sender="ana@ferreteria-sol.example", subject="Cotizar"))
    record = db.session.scalars(select(InboundMessage)).one()
    _login(client, world.agent)  # an agent picks among existing clients only
    assert "new_client_name" not in client.get("/operacion/correo/triage").get_data(as_text=True)
    client.post(f"/operacion/correo/{record.id}/cliente", data={"new_client_name": "Ferretería Sol"})
    assert not db.session.scalars(select(Client).where(Client.name == "Ferretería Sol")).all()
    client.post("/logout")
    _login(client, world.admin)
    taken = client.post(f"/operacion/correo/{record.id}/cliente",
                        data={"new_client_name": "acme s.a."}, follow_redirects=True)
    assert "Ya existe un cliente" in taken.get_data(as_text=True)  # pick it instead
    client.post(f"/operacion/correo/{record.id}/cliente", data={"new_client_name": "Ferretería Sol"})
    ticket = db.session.scalars(select(Ticket)).one()
    assert ticket.client.name == "Ferretería Sol" and ticket.contact.email == "ana@ferreteria-sol.example"


def test_triage_shows_the_message_so_staff_pick_the_client_knowingly(world, client, app):
    from app import mail_preview

    ingest("test", 0, "1", corpus.with_attachment(sender="luis@desconocido.example",
                                                  filename="factura.pdf", data=b"x" * 2048))
    ingest("test", 0, "2", corpus.simple(sender="ana@ferreteria-sol.example",
                                         body="Soy Ana <script>alert(1)</script>"))
    _login(client, world.agent)
    page = client.get("/operacion/correo/triage").get_data(as_text=True)
    assert "Va el adjunto." in page and "factura.pdf" in page and "2 KB" in page
    assert "Soy Ana &lt;script&gt;" in page and "<script>alert(1)" not in page
    lost = db.session.scalars(select(InboundMessage).where(
        InboundMessage.from_address == "ana@ferreteria-sol.example")).one()
    mail_preview.raw_path(lost.raw_sha256).unlink()
    shown = client.get("/operacion/correo/triage")
    assert shown.status_code == 200
    assert "Este mensaje no se puede mostrar: FileNotFoundError" in shown.get_data(as_text=True)
