"""Triage and retry through the dashboard: one transaction each, and the page says what really
became of the message; a processing failure keeps the staff's decision (the client created,
the contact added), undoes the processing's partial work and leaves the message quarantined
with its error, as the page says."""
import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import (Attachment, Client, Contact, InboundMessage, InboundOutcome, Note,
                        OutboxMessage, Ticket)
from app.services import mail_triage
from app.services.errors import DomainError
from mail_ingest.ingest import ingest, quarantine_unfetched, raw_store, reprocess
from tests import mail_corpus as corpus
from tests.factories import PASSWORD

O = InboundOutcome
TRIAGE = "/operacion/correo/triage"
QUARANTINE = "/operacion/correo/cuarentena"


def _login(client, user):
    client.post("/logout")
    client.post("/login", data={"email": user.email, "password": PASSWORD})


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _record() -> InboundMessage:
    db.session.expire_all()
    return db.session.scalars(select(InboundMessage)).one()


def _unknown_sender(raw=None) -> InboundMessage:
    ingest("test", 0, "1", raw or corpus.simple(sender="ana@ferreteria-sol.example",
                                                subject="Cotizar"))
    record = _record()
    assert record.outcome is O.TRIAGE
    return record


def _held(app) -> InboundMessage:
    """A message quarantined by the rate limit (its source stored: it can be retried)."""
    app.config["SOPORTE_INGEST_RATE_LIMIT"] = 0
    ingest("test", 0, "1", corpus.simple(subject="retenido"))
    app.config["SOPORTE_INGEST_RATE_LIMIT"] = 100
    record = _record()
    assert (record.outcome, record.reason) == (O.QUARANTINED, "rate-limited sender")
    return record


def _break_attachment_store(app, tmp_path) -> None:
    """A real storage fault: the attachment folder is a file, so storing one fails after the
    ticket and its note were written in the transaction."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    app.config["SOPORTE_ATTACHMENT_DIR"] = str(blocker)


def _post(client, url, data=None) -> str:
    response = client.post(url, data=data or {}, follow_redirects=True)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_triage_with_a_new_client_makes_client_contact_and_ticket_and_names_it(world, client):
    record = _unknown_sender()
    _login(client, world.admin)
    page = _post(client, f"/operacion/correo/{record.id}/cliente",
                 data={"new_client_name": "Ferretería Sol"})
    assert "Cliente Ferretería Sol creado. Nuevo ticket TCK-000001." in page
    record = _record()
    assert record.outcome is O.TICKET and record.ticket.number == "TCK-000001"
    assert record.ticket.client.name == "Ferretería Sol"
    assert record.ticket.contact.email == "ana@ferreteria-sol.example"
    assert record.attempts == 2 and record.error is None  # polled, then triaged
    [ack] = db.session.scalars(select(OutboxMessage)).all()
    assert ack.to_address == "ana@ferreteria-sol.example" and "TCK-000001" in ack.subject


def test_a_reply_placed_by_triage_is_a_note_and_the_page_says_on_which_ticket(world, client):
    ingest("test", 0, "1", corpus.simple(sender="omar@otra.example", subject="Primero"))
    first = _record()
    assert first.outcome is O.TICKET
    ingest("test", 0, "2", corpus.simple(sender="otra@gmail.example",
                                         subject=f"Re: [{first.ticket.number}] más datos"))
    second = db.session.scalars(select(InboundMessage).where(InboundMessage.uid == "2")).one()
    assert second.outcome is O.TRIAGE
    _login(client, world.agent)
    page = _post(client, f"/operacion/correo/{second.id}/cliente",
                 data={"client_id": world.other_client.id})
    assert f"Añadido como nota en {first.ticket.number}." in page
    db.session.expire_all()
    assert db.session.get(InboundMessage, second.id).outcome is O.NOTE
    assert _count(Ticket) == 1


def test_a_failure_keeps_the_new_client_and_contact_and_quarantines_the_message(
        world, client, app, tmp_path):
    record = _unknown_sender(corpus.with_attachment(sender="ana@ferreteria-sol.example"))
    _break_attachment_store(app, tmp_path)
    _login(client, world.admin)
    page = _post(client, f"/operacion/correo/{record.id}/cliente",
                 data={"new_client_name": "Ferretería Sol"})
    assert "Cliente Ferretería Sol creado. No se pudo procesar el mensaje: FileExistsError" in page
    assert "Está en cuarentena con este error" in page and "Nuevo ticket TCK" not in page
    # the database says what the page said: the decision kept, the processing undone
    new_client = db.session.scalars(select(Client).where(Client.name == "Ferretería Sol")).one()
    contact = db.session.scalars(select(Contact).where(
        Contact.email == "ana@ferreteria-sol.example")).one()
    assert contact.client_id == new_client.id
    assert (_count(Ticket), _count(Note), _count(Attachment), _count(OutboxMessage)) == (0, 0, 0, 0)
    record = _record()
    assert (record.outcome, record.reason, record.ticket_id) == (O.QUARANTINED, "error", None)
    assert record.error.startswith("FileExistsError") and record.attempts == 2
    assert "ana@ferreteria-sol.example" in client.get(QUARANTINE).get_data(as_text=True)
    # once the cause is fixed, the retry makes the ticket: the number the failure did not use
    app.config["SOPORTE_ATTACHMENT_DIR"] = str(tmp_path / "attachments")
    page = _post(client, f"/operacion/correo/{record.id}/reintentar")
    assert "Nuevo ticket TCK-000001." in page
    record = _record()
    assert record.outcome is O.TICKET and record.ticket.client_id == new_client.id
    assert record.attempts == 3 and record.error is None and _count(Attachment) == 1


def test_a_missing_raw_source_is_told_and_recorded_for_an_existing_client(world, client):
    record = _unknown_sender()
    raw_store().path_for(record.raw_sha256).unlink()
    _login(client, world.agent)
    page = _post(client, f"/operacion/correo/{record.id}/cliente",
                 data={"client_id": world.other_client.id})
    assert "No se pudo procesar el mensaje: FileNotFoundError" in page
    assert "creado." not in page  # no client was created
    record = _record()
    assert (record.outcome, record.reason) == (O.QUARANTINED, "error")
    assert "FileNotFoundError" in record.error and _count(Ticket) == 0
    contact = db.session.scalars(select(Contact).where(
        Contact.email == "ana@ferreteria-sol.example")).one()
    assert contact.client_id == world.other_client.id


def test_retrying_a_quarantined_message_makes_its_ticket(world, client, app):
    record = _held(app)
    _login(client, world.admin)
    assert "Reintentar" in client.get(QUARANTINE).get_data(as_text=True)
    page = _post(client, f"/operacion/correo/{record.id}/reintentar")
    assert "Nuevo ticket TCK-000001." in page
    record = _record()
    assert record.outcome is O.TICKET and record.ticket.subject == "retenido"
    assert record.attempts == 2


def test_a_retry_that_fails_again_stays_in_quarantine_with_the_new_error(world, client, app):
    record = _held(app)
    raw_store().path_for(record.raw_sha256).unlink()
    _login(client, world.admin)
    page = _post(client, f"/operacion/correo/{record.id}/reintentar")
    assert "No se pudo procesar el mensaje: FileNotFoundError" in page
    record = _record()
    assert (record.outcome, record.reason) == (O.QUARANTINED, "error")
    assert "FileNotFoundError" in record.error and record.attempts == 2
    assert _count(Ticket) == 0


def test_a_message_never_downloaded_offers_no_retry_and_refuses_one(world, client):
    quarantine_unfetched("test", 0, "9", "too large: 99 MB")
    record = _record()
    _login(client, world.admin)
    page = client.get(QUARANTINE).get_data(as_text=True)
    assert "demasiado grande para descargarlo: 99 MB" in page and "Reintentar" not in page
    page = _post(client, f"/operacion/correo/{record.id}/reintentar")
    assert "nunca se descargó" in page
    assert _record().attempts == 1  # not attempted


def test_refusals_change_nothing(world, client, app):
    record = _unknown_sender()
    _login(client, world.viewer)
    assert "Crear el ticket" not in client.get(TRIAGE).get_data(as_text=True)
    page = _post(client, f"/operacion/correo/{record.id}/cliente",
                 data={"client_id": world.other_client.id})
    assert "No tiene permiso para crear tickets" in page
    _login(client, world.agent)  # an agent picks among clients; creating one is the admin's
    page = _post(client, f"/operacion/correo/{record.id}/cliente",
                 data={"new_client_name": "Ferretería Sol"})
    assert "Solo un administrador" in page
    assert _count(Client) == 2 and _count(Ticket) == 0
    assert not db.session.scalars(select(Contact).where(
        Contact.email == "ana@ferreteria-sol.example")).all()
    assert _record().outcome is O.TRIAGE and _record().attempts == 1
    db.session.delete(_record())
    db.session.commit()
    held = _held(app)
    _login(client, world.supervisor)  # retrying quarantine is the administrators'
    assert "Reintentar" not in client.get(QUARANTINE).get_data(as_text=True)
    page = _post(client, f"/operacion/correo/{held.id}/reintentar")
    assert "Solo un administrador" in page
    assert _record().outcome is O.QUARANTINED and _record().attempts == 1


def test_without_mail_processing_plugged_in_the_button_says_so(world, client, app):
    record = _unknown_sender()
    del app.extensions[mail_triage.PROCESSING_EXTENSION]  # as an app built without the poller
    _login(client, world.admin)
    response = client.post(f"/operacion/correo/{record.id}/cliente",
                           data={"new_client_name": "Ferretería Sol"})
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "El procesamiento del correo no está conectado" in page
    assert _count(Client) == 2 and _record().outcome is O.TRIAGE
    assert not db.session.scalars(select(Contact).where(
        Contact.email == "ana@ferreteria-sol.example")).all()


def _records_of_every_kind(app) -> list[InboundMessage]:
    ingest("test", 0, "1", corpus.simple(sender="ana@ferreteria-sol.example"))  # triage
    ingest("test", 0, "2", corpus.simple(subject="uno"))  # ticket
    app.config["SOPORTE_INGEST_RATE_LIMIT"] = 0
    ingest("test", 0, "3", corpus.simple(subject="dos"))  # quarantined
    app.config["SOPORTE_INGEST_RATE_LIMIT"] = 100
    quarantine_unfetched("test", 0, "4", "too large")  # quarantined, never downloaded
    ingest("test", 0, "5", corpus.simple(sender="bea@gmail.example"))  # triage, source lost
    records = list(db.session.scalars(select(InboundMessage).order_by(InboundMessage.uid)))
    raw_store().path_for(records[4].raw_sha256).unlink()
    records[4].raw_sha256 = None
    db.session.commit()
    assert [r.outcome for r in records] == [O.TRIAGE, O.TICKET, O.QUARANTINED, O.QUARANTINED,
                                            O.TRIAGE]
    return records


def _succeeds(action) -> bool:
    try:
        action()
    except DomainError:
        return False
    finally:
        db.session.rollback()
    return True


@pytest.mark.parametrize("role", ["viewer", "agent", "supervisor", "admin"])
def test_each_button_shows_exactly_when_its_action_succeeds(world, app, role):
    actor = getattr(world, role)
    ids = [r.id for r in _records_of_every_kind(app)]
    seen = set()
    for record_id in ids:
        record = db.session.get(InboundMessage, record_id)
        flags = (mail_triage.can_triage(actor, record), mail_triage.can_retry(actor, record))
        triaged = _succeeds(lambda: mail_triage.resolve_triage(
            actor, record_id, reprocess, client_id=world.other_client.id))
        retried = _succeeds(lambda: mail_triage.retry_quarantined(actor, record_id, reprocess))
        assert flags == (triaged, retried), (role, record_id)
        seen.add(flags)
    expected = {"viewer": {(False, False)}, "agent": {(False, False), (True, False)},
                "supervisor": {(False, False), (True, False)},
                "admin": {(False, False), (True, False), (False, True)}}
    assert seen == expected[role]


def test_the_raw_mail_store_can_live_on_another_path(world, app, tmp_path, client):
    """SOPORTE_RAW_MAIL_DIR moves the raw mail store (e.g. to another disk): the poller writes
    there, and triage reads the message back from there."""
    app.config["SOPORTE_RAW_MAIL_DIR"] = str(tmp_path / "other-disk" / "raw")
    record = _unknown_sender()
    stored = tmp_path / "other-disk" / "raw"
    assert any(path.is_file() for path in stored.rglob("*"))
    assert raw_store().path_for(record.raw_sha256).is_relative_to(stored)
    _login(client, world.supervisor)
    assert "Hola, no arranca." in client.get(TRIAGE).get_data(as_text=True)  # read from raw
