"""Email out through a real SMTP server on loopback: headers, languages, attachments, faults."""
import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from app.extensions import db
from app.mail.worker import claim, send_once
from app.models import OutboxMessage, OutboxStatus, TicketStatus
from app.models.columns import utcnow
from app.services import notes
from app.services.notes import Upload
from tests import factories

ROOT = Path(__file__).resolve().parents[2]


def _rows():
    db.session.expire_all()
    return db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()


def test_a_quote_request_arrives_with_our_headers(world, smtp_server):
    ticket = factories.ticket_in(world, TicketStatus.QUOTED)
    report = send_once()
    assert report.sent == 1
    [mail] = smtp_server.messages
    row = _rows()[0]
    assert mail["From"].addresses[0].addr_spec == "soporte@soporte.example"
    assert mail["To"].addresses[0].addr_spec == world.contact.email
    assert f"[{ticket.number}]" in mail["Subject"]
    assert mail["Message-ID"] == row.message_id
    assert mail["Auto-Submitted"] == "auto-generated"
    assert mail["X-Auto-Response-Suppress"] == "All"
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert "100,00\xa0US$" in text and "/cotizacion/" in text and "/cotizacion/" in html
    assert "Cotización" in mail["Subject"]  # the contact's language: Spanish
    assert row.status is OutboxStatus.SENT and row.sent_at is not None


def test_a_public_reply_threads_and_carries_attachments(world, smtp_server):
    ticket = factories.ticket_in(world, TicketStatus.QUOTED)
    notes.reply_publicly(world.agent, ticket, "Le envío el informe.",
                         [Upload("informe final.pdf", io.BytesIO(b"%PDF-1.4 informe"),
                                 "application/pdf")])
    db.session.commit()
    send_once()
    quote_mail, reply = smtp_server.messages
    assert reply["In-Reply-To"] == quote_mail["Message-ID"]
    assert quote_mail["Message-ID"] in reply["References"]
    assert "Auto-Submitted" not in reply  # a person wrote it
    [attachment] = list(reply.iter_attachments())
    assert attachment.get_filename() == "informe final.pdf"
    assert attachment.get_content() == b"%PDF-1.4 informe"


def test_english_contacts_get_english_mail(world, smtp_server):
    ticket = factories.new_ticket(world, contact_id=world.english_contact.id)
    factories.quote(world, ticket)
    send_once()
    [mail] = smtp_server.messages
    assert "Quote for your request" in mail["Subject"]
    assert "Approve" in mail.get_body(("plain",)).get_content()


def test_typed_text_cannot_inject_headers(world, smtp_server):
    world.contact.name = "Carla\r\nBcc: victima@evil.example"
    ticket = factories.new_ticket(world, subject="Hola\nBcc: otra@evil.example\r\nX-Evil: 1")
    notes.reply_publicly(world.agent, ticket, "ok")
    db.session.commit()
    send_once()
    [mail] = smtp_server.messages
    assert mail["Bcc"] is None and mail["X-Evil"] is None
    assert [a.addr_spec for a in mail["To"].addresses] == [world.contact.email]


def test_temporary_failures_wait_and_retry(world, smtp_server):
    factories.ticket_in(world, TicketStatus.QUOTED)
    smtp_server.handler.mode = "tempfail"
    report = send_once()
    [row] = _rows()
    assert (report.retried, row.status, row.attempts) == (1, OutboxStatus.PENDING, 1)
    assert "451" in row.last_error and row.next_attempt_at > utcnow()
    assert send_once().sent == 0  # not due yet
    smtp_server.handler.mode = "ok"
    row.next_attempt_at = utcnow()
    db.session.commit()
    assert send_once().sent == 1 and len(smtp_server.messages) == 1


def test_permanent_failures_are_marked_for_staff(world, smtp_server, runner):
    factories.ticket_in(world, TicketStatus.QUOTED)
    smtp_server.handler.mode = "permfail"
    assert send_once().failed == 1
    [row] = _rows()
    assert row.status is OutboxStatus.FAILED and "550" in row.last_error
    listing = runner.invoke(args=["mail", "outbox", "--status", "FAILED"])
    assert "550" in listing.output


def test_a_server_vanishing_mid_send_is_retried(world, smtp_server):
    factories.ticket_in(world, TicketStatus.QUOTED)
    smtp_server.handler.mode = "vanish"
    assert send_once().retried == 1
    smtp_server.handler.mode = "ok"
    row = _rows()[0]
    row.next_attempt_at = utcnow()
    db.session.commit()
    send_once()
    assert len(smtp_server.messages) == 1


def test_an_unreachable_server_is_a_temporary_failure(world, app):
    app.config["SOPORTE_SMTP_URL"] = "smtp://127.0.0.1:1"
    factories.ticket_in(world, TicketStatus.QUOTED)
    assert send_once().retried == 1


def test_two_workers_cannot_claim_the_same_row(world):
    factories.ticket_in(world, TicketStatus.QUOTED)
    [row] = _rows()
    now = utcnow()
    first = claim(row.id, now)
    second = claim(row.id, now)
    assert first is not None and second is None
    assert first.status is OutboxStatus.SENDING and first.attempts == 1


def test_file_transport_writes_one_eml_per_message(world, app, tmp_path):
    app.config["SOPORTE_SMTP_URL"] = f"file://{tmp_path / 'outbox'}"
    factories.ticket_in(world, TicketStatus.QUOTED)
    send_once()
    [eml] = list((tmp_path / "outbox").glob("*.eml"))
    assert b"Auto-Submitted: auto-generated" in eml.read_bytes()


def test_a_worker_killed_mid_send_sends_each_message_once(world, app, smtp_server, tmp_path):
    """Two workers at once, one killed while the server stalls in DATA: every mail arrives once."""
    for _ in range(5):
        factories.ticket_in(world, TicketStatus.QUOTED)
    db.session.commit()
    env = dict(os.environ, FLASK_APP="wsgi.py", SOPORTE_CONFIG="testing",
               DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"], SOPORTE_SMTP_URL=smtp_server.url,
               SOPORTE_ATTACHMENT_DIR=app.config["SOPORTE_ATTACHMENT_DIR"],
               SOPORTE_SUPPORT_ADDRESS="soporte@soporte.example",
               SOPORTE_INSTANCE_DIR=str(tmp_path))
    smtp_server.handler.mode = "stall"  # RCPT waits: the worker is mid-send when killed
    import asyncio

    original = smtp_server.handler.handle_RCPT

    async def stall(*args):
        await asyncio.sleep(30)
        return await original(*args)

    smtp_server.handler.handle_RCPT = stall
    victim = subprocess.Popen([sys.executable, "-m", "flask", "mail", "send", "--once"],
                              cwd=ROOT, env=env)
    time.sleep(3)
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    smtp_server.handler.handle_RCPT = original
    smtp_server.handler.mode = "ok"
    workers = [subprocess.Popen([sys.executable, "-m", "flask", "mail", "send", "--once"],
                                cwd=ROOT, env=env) for _ in range(2)]
    for worker in workers:
        assert worker.wait(timeout=120) == 0
    # the killed worker's row waits for its lease; then it goes exactly once
    for row in _rows():
        if row.status is OutboxStatus.SENDING:
            row.next_attempt_at = utcnow()
    db.session.commit()
    send_once()
    rows = _rows()
    assert all(r.status is OutboxStatus.SENT for r in rows)
    ids = [m["Message-ID"] for m in smtp_server.messages]
    assert sorted(ids) == sorted(r.message_id for r in rows)  # each exactly once


@pytest.mark.parametrize("mode", ["starttls", "smtps"])
def test_starttls_and_smtps_with_login(world, app, tmp_path, mode):
    import ssl

    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    from tests.dovecot import free_port
    from tests.smtp_server import RecordingHandler

    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(tmp_path / "key.pem"), "-out", str(tmp_path / "cert.pem")],
                   check=True, capture_output=True)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    handler = RecordingHandler()
    logins = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        logins.append((auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.password == b"clave")

    port = free_port()
    # aiosmtpd does not count implicit TLS (ssl_context) as TLS for AUTH; the socket is TLS anyway
    tls = {"tls_context": context, "require_starttls": True, "auth_require_tls": True} \
        if mode == "starttls" else {"ssl_context": context, "auth_require_tls": False}
    controller = Controller(handler, hostname="127.0.0.1", port=port, authenticator=authenticator,
                            **tls)
    controller.start()
    try:
        scheme = "smtp" if mode == "starttls" else "smtps"
        app.config["SOPORTE_SMTP_URL"] = \
            f"{scheme}://envio:clave@127.0.0.1:{port}?cafile={tmp_path / 'cert.pem'}"
        factories.ticket_in(world, TicketStatus.QUOTED)
        assert send_once().sent == 1
        assert len(handler.messages) == 1 and logins == [(b"envio", b"clave")]
    finally:
        controller.stop()


def test_staff_see_undelivered_mail_in_the_dashboard(world, smtp_server, client):
    ticket = factories.ticket_in(world, TicketStatus.QUOTED)
    smtp_server.handler.mode = "permfail"
    send_once()
    client.post("/login", data={"email": world.agent.email, "password": factories.PASSWORD})
    page = client.get("/operacion/correo/salida").get_data(as_text=True)
    assert ticket.number in page and "550" in page and "Fallido" in page


def test_sent_bodies_are_emptied_after_the_kept_days_and_replies_still_thread(
        world, app, smtp_server, at, runner):
    """Growth (issue 15): a sent mail keeps its body SOPORTE_OUTBOX_KEEP_DAYS, then only its
    headers; the customer's later reply still threads onto the ticket by its Message-ID, and our
    next mail still names it in References. Failed mail keeps everything."""
    from mail_ingest.ingest import ingest
    from tests import mail_corpus as corpus
    from tests.clocks import madrid

    app.config["SOPORTE_OUTBOX_KEEP_DAYS"] = 30
    at(2, 10)
    ticket = factories.ticket_in(world, TicketStatus.QUOTED)
    send_once()
    [sent] = _rows()
    failed = OutboxMessage(kind="test", to_address="x@cliente.example", subject="s",
                           body_text="cuerpo", message_id="<failed@soporte.example>",
                           status=OutboxStatus.FAILED, sent_at=None)
    db.session.add(failed)
    db.session.commit()
    at(16, 10)  # 14 days later: kept
    assert "emptied 0" in runner.invoke(args=["mail", "prune"]).output
    app.config["SOPORTE_FIXED_NOW"] = madrid(5, 10, month=12)  # 33 days after: emptied
    assert "emptied 1" in runner.invoke(args=["mail", "prune"]).output
    sent, failed = _rows()[0], db.session.get(OutboxMessage, failed.id)
    assert sent.body_text == "" and sent.body_html is None and sent.attachment_ids == []
    assert sent.message_id.startswith("<") and sent.status is OutboxStatus.SENT
    assert failed.body_text == "cuerpo"
    # the customer answers the old mail, with no number in the subject: it threads by its id
    ingest("INBOX", 1, "900", corpus.simple(sender=world.contact.email,
                                            subject="Re: aquella cotización",
                                            body="Aprobada de palabra",
                                            in_reply_to=sent.message_id))
    db.session.expire_all()
    assert ticket.notes[-1].body_text.startswith("Aprobada de palabra")
    notes.reply_publicly(world.agent, ticket, "Gracias")
    db.session.commit()
    assert sent.message_id in _rows()[-1].references
