"""The triage, quarantine and undelivered-mail reads: the permission check is inside them, and
each page flag is its action's check (creating a client here: flag true exactly when
clients.create_client succeeds)."""
import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import InboundMessage, TicketStatus
from app.services import clients, mail_queues
from app.services.errors import DomainError, NotPermitted
from app.services.permissions import CONSOLE
from mail_ingest.ingest import ingest
from tests import mail_corpus as corpus


@pytest.mark.parametrize("read", [mail_queues.triage_page, mail_queues.quarantine_page,
                                  mail_queues.undelivered_mail])
def test_a_reader_without_view_is_refused(world, read):
    with pytest.raises(NotPermitted):
        read(CONSOLE)


@pytest.mark.parametrize("role", ["admin", "supervisor", "agent", "viewer"])
def test_the_new_client_flag_is_true_exactly_when_creating_one_works(world, role):
    actor = getattr(world, role)
    ingest("test", 0, "1", corpus.simple(sender="ana@ferreteria-sol.example"))
    page = mail_queues.triage_page(actor)
    [record] = page.records
    assert [c.name for c in page.clients] == sorted(c.name for c in page.clients)
    try:
        with db.session.begin_nested():
            clients.create_client(actor, "Ferretería Sol")
        created = True
    except DomainError:
        created = False
    db.session.rollback()
    assert page.can_create_client is created
    assert created is (role == "admin")
    assert page.can_resolve[record.id] is (role != "viewer")


def test_quarantine_rows_say_who_may_retry(world, app):
    app.config["SOPORTE_INGEST_RATE_LIMIT"] = 0
    ingest("test", 0, "1", corpus.simple(subject="retenido"))
    record = db.session.scalars(select(InboundMessage)).one()
    assert mail_queues.quarantine_page(world.admin).can_retry == {record.id: True}
    assert mail_queues.quarantine_page(world.agent).can_retry == {record.id: False}


def test_triage_shows_what_each_message_says_and_its_attachments(world):
    ingest("test", 0, "1", corpus.simple(sender="ana@ferreteria-sol.example",
                                         body="Soy Ana, de Ferretería Sol: <b>no</b> imprime."))
    ingest("test", 0, "2", corpus.with_attachment(sender="luis@desconocido.example",
                                                  filename="factura.pdf", data=b"x" * 2048))
    ingest("test", 0, "3", corpus.html_only(sender="eva@html-only.example"))
    page = mail_queues.triage_page(world.agent)
    by_sender = {r.from_address: page.previews[r.id] for r in page.records}
    ana = by_sender["ana@ferreteria-sol.example"]
    assert "Soy Ana, de Ferretería Sol: <b>no</b> imprime." in ana.text and ana.error is None
    luis = by_sender["luis@desconocido.example"]
    assert "Va el adjunto." in luis.text
    assert [(a.name, a.size) for a in luis.attachments] == [("factura.pdf", 2048)]
    eva = by_sender["eva@html-only.example"]
    assert "Hola &amp; buen día" in eva.html and "onerror" not in eva.html  # sanitized


def test_a_message_that_cannot_be_read_says_why_instead_of_failing(world, app):
    from app import mail_preview

    ingest("test", 0, "1", corpus.simple(sender="ana@ferreteria-sol.example"))
    record = db.session.scalars(select(InboundMessage)).one()
    mail_preview.raw_path(record.raw_sha256).unlink()
    preview = mail_queues.triage_page(world.agent).previews[record.id]
    assert preview.error and "FileNotFoundError" in preview.error


def test_mail_never_tried_is_not_called_delivered(world, client):
    from tests import factories
    from tests.factories import PASSWORD

    client.post("/login", data={"email": world.agent.email, "password": PASSWORD})
    page = client.get("/operacion/correo/salida").get_data(as_text=True)
    assert 'id="outbox-waiting"' not in page and "Ningún mensaje falló" in page
    factories.ticket_in(world, TicketStatus.QUOTED)  # the quote request waits in the outbox
    factories.ticket_in(world, TicketStatus.QUOTED)
    db.session.commit()
    queued = mail_queues.undelivered_mail(world.agent)
    assert queued.waiting == 2 and queued.rows == []
    page = client.get("/operacion/correo/salida").get_data(as_text=True)
    assert "2 mensajes esperan su primer intento de envío" in page and "flask mail send" in page
