"""Mail from an inactive contact's address: the poller leaves it for triage saying why (never an
error, never quarantined again on each poll); triage onto the contact's own client reactivates
it, onto another client is refused naming the contact's client. One rule
(contacts.identify_sender and contacts.contact_for_triage) behind both doors."""
from sqlalchemy import func, select

from app.extensions import db
from app.models import Contact, InboundMessage, InboundOutcome, Ticket
from mail_ingest.ingest import ingest
from mail_ingest.poller import poll_once
from tests import mail_corpus as corpus
from tests.factories import PASSWORD

O = InboundOutcome


def _login(client, user):
    client.post("/login", data={"email": user.email, "password": PASSWORD})


def _deactivate(contact: Contact) -> None:
    contact.active = False
    db.session.commit()


def _records() -> list[InboundMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(InboundMessage).order_by(InboundMessage.id)))


def _contacts_with(address: str) -> int:
    return db.session.scalar(select(func.count()).select_from(Contact)
                             .where(Contact.email == address))


def test_the_poller_leaves_an_inactive_contacts_mail_for_triage_once(world, client, dovecot,
                                                                     imap_user):
    _deactivate(world.contact)  # carla@acme.example: acme.example is her client's domain
    dovecot.append(imap_user, corpus.simple(subject="Sigo aquí"))
    report = poll_once(dovecot.url(imap_user))
    assert report.outcomes == {"TRIAGE": 1}
    poll_once(dovecot.url(imap_user))  # marked done: not taken (nor quarantined) again
    [record] = _records()
    assert (record.outcome, record.reason, record.error) == (O.TRIAGE, "inactive contact", None)
    assert _contacts_with("carla@acme.example") == 1 and not world.contact.active
    _login(client, world.agent)
    page = client.get("/operacion/correo/triage").get_data(as_text=True)
    assert "carla@acme.example" in page and "contacto inactivo" in page


def test_triage_onto_the_contacts_own_client_reactivates_it(world, client):
    _deactivate(world.contact)
    ingest("test", 0, "1", corpus.simple(subject="Sigo aquí"))
    [record] = _records()
    assert (record.outcome, record.reason) == (O.TRIAGE, "inactive contact")
    _login(client, world.agent)
    done = client.post(f"/operacion/correo/{record.id}/cliente",
                       data={"client_id": world.client.id}, follow_redirects=True)
    assert done.status_code == 200
    assert "Nuevo ticket TCK-000001." in done.get_data(as_text=True)
    db.session.expire_all()
    ticket = db.session.scalars(select(Ticket)).one()
    assert ticket.contact_id == world.contact.id and world.contact.active
    assert _contacts_with("carla@acme.example") == 1


def test_triage_of_an_inactive_contact_with_no_domain_onto_its_client(world, client):
    """The address is not under any client's domain, so the poller saw an unknown sender only
    after looking for the contact: the same rule either way."""
    world.contact.email = "carla@gmail.example"
    _deactivate(world.contact)
    ingest("test", 0, "1", corpus.simple(sender="carla@gmail.example"))
    [record] = _records()
    assert (record.outcome, record.reason) == (O.TRIAGE, "inactive contact")
    _login(client, world.agent)
    client.post(f"/operacion/correo/{record.id}/cliente", data={"client_id": world.client.id})
    [record] = _records()
    assert record.outcome is O.TICKET and record.ticket.contact_id == world.contact.id


def test_triage_onto_another_client_is_refused_naming_the_contacts_client(world, client):
    _deactivate(world.contact)
    ingest("test", 0, "1", corpus.simple(subject="Sigo aquí"))
    [record] = _records()
    _login(client, world.agent)
    response = client.post(f"/operacion/correo/{record.id}/cliente",
                           data={"client_id": world.other_client.id}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "carla@acme.example es un contacto inactivo de Acme S.A.: elija Acme S.A. para " \
        "reactivarlo" in page
    [record] = _records()
    assert record.outcome is O.TRIAGE and record.attempts == 1
    assert not world.contact.active and _contacts_with("carla@acme.example") == 1
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == 0


def test_english_readers_get_the_refusal_in_english(world, client):
    from app.models import Language

    world.agent.language = Language.EN
    _deactivate(world.contact)
    ingest("test", 0, "1", corpus.simple())
    [record] = _records()
    _login(client, world.agent)
    page = client.post(f"/operacion/correo/{record.id}/cliente",
                       data={"client_id": world.other_client.id},
                       follow_redirects=True).get_data(as_text=True)
    assert "carla@acme.example is an inactive contact of Acme S.A.: pick Acme S.A. to " \
        "reactivate it" in page
    assert "inactive contact" in client.get("/operacion/correo/triage").get_data(as_text=True)
