"""Machine mail and human mail told apart: robots are ignored with their reason, people are heard.

Two tables of real-looking messages (headers as the named clients and services write them):
people's mail must become a ticket, machine mail must be ignored with the right reason and
never acknowledged. A person who asks for no automatic reply (X-Auto-Response-Suppress, or mail
that came through a list) still gets a ticket, only without the acknowledgement.
"""
import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import InboundOutcome, OutboxMessage, Ticket
from mail_ingest.classify import (AUTO_REPLY, BOUNCE, BULK, COMPLAINT, LIST_NOTICE, REPORT,
                                  classify, suppresses_auto_reply)
from mail_ingest.ingest import ingest
from mail_ingest.parse import parse_bytes
from tests import mail_corpus as corpus

O = InboundOutcome
_uids = iter(range(1, 10_000))


def _mail(headers: str, body: str = "Hola, la impresora no imprime.\r\n",
          content_type: str = "text/plain; charset=utf-8") -> bytes:
    """A raw message from header lines (one per line), with Message-ID, Date and a body."""
    lines = [line.strip() for line in headers.strip().splitlines()]
    names = {line.split(":", 1)[0].lower() for line in lines}
    if "message-id" not in names:
        lines.append(f"Message-ID: {corpus.mid('mail.example')}")
    if "date" not in names:
        lines.append("Date: Tue, 24 Nov 2026 10:00:00 +0000")
    if "content-type" not in names:
        lines += ["MIME-Version: 1.0", f"Content-Type: {content_type}"]
    return ("\r\n".join(lines) + "\r\n\r\n" + body).encode()


OUTLOOK = """
    From: "Cliente, Carla" <carla@acme.example>
    To: Soporte <soporte@soporte.example>
    Subject: El servidor no arranca
    Thread-Topic: El servidor no arranca
    Thread-Index: AdnDuVzqJMbWnBGzQTGGdtVHjL8Opg==
    Accept-Language: es-ES, en-US
    Content-Language: es-ES
    X-MS-Has-Attach:
    X-MS-TNEF-Correlator:
    X-Auto-Response-Suppress: All
    X-MS-Exchange-Organization-AuthAs: Internal
    x-ms-publictraffictype: Email
    Return-Path: carla@acme.example
"""

HUMAN = {
    "outlook with X-Auto-Response-Suppress: All": OUTLOOK,
    "outlook asking for no receipts or out-of-office": OUTLOOK.replace(
        "X-Auto-Response-Suppress: All", "X-Auto-Response-Suppress: DR, RN, NRN, OOF, AutoReply")
    .replace("AdnDuVzqJMbWnBGzQTGGdtVHjL8Opg==", "AdnDuWx1qZ3uVh0tQ9eDk6E1b0A7Cw==")
    .replace("El servidor no arranca", "La VPN no conecta"),
    "gmail": """
        From: Carla Cliente <carla@acme.example>
        To: soporte@soporte.example
        Subject: Consulta por la factura
        DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=acme.example; s=20230601
        X-Google-DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=1e100.net; s=20230601
        X-Gm-Message-State: AOJu0YzQ8m2X3nUJ5H1v0H3q
        X-Google-Smtp-Source: AGHT+IGm3kq1
        X-Received: by 2002:a05:6402:1d4e with SMTP id dz14mr
        Return-Path: <carla@acme.example>
    """,
    "apple mail": """
        From: Carla <carla@acme.example>
        Subject: Foto del equipo
        X-Mailer: Apple Mail (2.3774.200.91.1.1)
        Mime-Version: 1.0 (Mac OS X Mail 16.0 \\(3774.200.91.1.1\\))
        Return-Path: <carla@acme.example>
    """,
    "iphone": """
        From: Carla <carla@acme.example>
        Subject: Urgente
        X-Mailer: iPhone Mail (21B101)
    """,
    "thunderbird with a read-receipt request": """
        From: Carla <carla@acme.example>
        Subject: Pedido de acceso
        User-Agent: Mozilla Thunderbird
        Disposition-Notification-To: Carla <carla@acme.example>
        Return-Path: <carla@acme.example>
    """,
    "a mailing-list member writing to us directly": """
        From: Carla <carla@acme.example>
        To: soporte@soporte.example
        Cc: usuarios-vpn@lists.acme.example
        Subject: Re: [usuarios-vpn] la VPN corta cada hora
        In-Reply-To: <a1b2c3@lists.acme.example>
        References: <a1b2c3@lists.acme.example>
        Mail-Followup-To: usuarios-vpn@lists.acme.example
        User-Agent: Mutt/2.2.12 (2023-09-09)
    """,
    "a person whose company sends through Amazon SES": """
        From: Carla <carla@acme.example>
        Subject: Sigue el problema
        X-SES-Outgoing: 2026.11.24-54.240.8.1
        Feedback-ID: 1.us-east-1.abc123=:AmazonSES
        X-Mailer: Amazon WorkMail
    """,
    "a person's address that merely ends in -request": """
        From: Compras <purchase-request@acme.example>
        Subject: Necesitamos dos licencias más
    """,
    "a person's mail that came through the company's team list": """
        From: Carla <carla@acme.example>
        Subject: Impresora del tercer piso
        List-Id: Equipo TI <ti.acme.example>
        List-Post: <mailto:ti@acme.example>
        List-Unsubscribe: <mailto:ti-leave@acme.example>
    """,
}

# (raw message, the reason's kind, a word the reason's detail must contain)
MACHINE = {
    "ARF spam complaint (abuse feedback loop)": (
        _mail("""
            From: Yahoo! Mail AntiSpam Feedback <feedback@arf.mail.yahoo.com>
            To: soporte@soporte.example
            Subject: Email Feedback Report for IP 192.0.2.1
            MIME-Version: 1.0
            Content-Type: multipart/report; report-type=feedback-report; boundary="arf"
        """, '--arf\r\nContent-Type: text/plain\r\n\r\nThis is an email abuse report.\r\n'
             '--arf\r\nContent-Type: message/feedback-report\r\n\r\nFeedback-Type: abuse\r\n'
             'User-Agent: Yahoo!-Mail-Feedback/1.0\r\nVersion: 0.1\r\n\r\n'
             '--arf\r\nContent-Type: text/rfc822-headers\r\n\r\n'
             'From: soporte@soporte.example\r\nMessage-ID: <x@soporte.example>\r\n\r\n--arf--\r\n'),
        COMPLAINT, "feedback-report"),
    "ARF with a quoted report type from a person-looking address": (
        _mail("""
            From: abuse@acme.example
            Subject: Abuse report
            MIME-Version: 1.0
            Content-Type: multipart/report; report-type="Feedback-Report"; boundary="b"
        """, "--b\r\nContent-Type: text/plain\r\n\r\nreport\r\n--b--\r\n"),
        COMPLAINT, "feedback-report"),
    "newsletter with RFC 8058 one-click unsubscribe (Mailchimp)": (
        _mail("""
            From: Acme Novedades <novedades@acme.example>
            Subject: Las novedades de noviembre
            List-Unsubscribe: <https://acme.us1.list-manage.com/unsubscribe?u=1&id=2>
            List-Unsubscribe-Post: List-Unsubscribe=One-Click
            X-MC-User: 0f1e2d3c4b5a
            X-Campaign: mailchimp0f1e2d3c.9a8b7c
            Feedback-ID: 9a8b7c:0f1e2d3c:mailchimp
        """), BULK, "list-unsubscribe"),
    "SendGrid marketing with List-Unsubscribe": (
        _mail("""
            From: Webinars <info@acme.example>
            Subject: Inscríbase al webinar
            List-Unsubscribe: <mailto:unsubscribe@sendgrid.net?subject=1>
            X-SG-EID: u001.abcdef
            X-SG-ID: u001.ghijk
        """), BULK, "list-unsubscribe"),
    "Amazon SES notification from a no-reply sender": (
        _mail("""
            From: Acme Portal <no-reply@acme.example>
            Subject: Su factura está disponible
            X-SES-Outgoing: 2026.11.24-54.240.8.1
            Feedback-ID: 1.us-east-1.abc=:AmazonSES
        """), BULK, "no-reply"),
    "Mailgun notification from a do-not-reply sender": (
        _mail("""
            From: Alertas <donotreply@acme.example>
            Subject: Cambio de contraseña
            X-Mailgun-Sid: WyI3ZjM1YiIsICJjYXJsYUBhY21lLmV4YW1wbGUiXQ==
            X-Mailgun-Variables: {"id": "42"}
        """), BULK, "no-reply"),
    "Mandrill transactional from noreply": (
        _mail("""
            From: Tienda <noreply@tienda.example>
            Subject: Su pedido fue enviado
            X-MC-User: 0f1e2d3c4b5a
            X-Mandrill-User: md_0f1e2d3c
        """), BULK, "no-reply"),
    "a notification service through a list from no-reply (List-Id)": (
        _mail("""
            From: Monitoreo <noreply@monitor.example>
            Subject: [monitor] servidor caído
            List-Id: <alertas.monitor.example>
        """), BULK, "no-reply"),
    "GitHub-style notification (Precedence: list)": (
        _mail("""
            From: Carla <notifications@github.example>
            Subject: Re: [acme/app] Falla el login (#12)
            Precedence: list
            List-Id: acme/app <app.acme.github.example>
            List-Unsubscribe: <mailto:unsub+abc@reply.github.example>
            X-GitHub-Reason: subscribed
        """), AUTO_REPLY, "precedence"),
    "Mailman administrivia": (
        _mail("""
            From: usuarios-vpn-owner@lists.acme.example
            Subject: Su mensaje a usuarios-vpn espera la aprobación del moderador
            List-Id: <usuarios-vpn.lists.acme.example>
            X-List-Administrivia: yes
            X-Mailman-Version: 2.1.39
        """), LIST_NOTICE, "x-list-administrivia"),
    "Mailman confirmation from -request": (
        _mail("""
            From: usuarios-vpn-request@lists.acme.example
            Subject: confirm 3a9e1f7c2b
            List-Id: <usuarios-vpn.lists.acme.example>
            X-Mailman-Version: 3.3.9
        """), LIST_NOTICE, "usuarios-vpn-request@lists.acme.example"),
    "Mailman bounce probe from -bounces": (
        _mail("""
            From: usuarios-vpn-bounces@lists.acme.example
            Subject: Reporte de rebotes
            List-Id: <usuarios-vpn.lists.acme.example>
        """), LIST_NOTICE, "-bounces@"),
    "Majordomo/Listserv notice with Sender: owner-": (
        _mail("""
            From: Carla <carla@acme.example>
            Sender: owner-usuarios@lists.acme.example
            Subject: Welcome to usuarios
        """), LIST_NOTICE, "owner-usuarios@"),
    "LISTSERV command reply": (
        _mail("""
            From: "L-Soft list server at LISTS.ACME.EXAMPLE" <LISTSERV@LISTS.ACME.EXAMPLE>
            Subject: Output of your job "carla"
        """), LIST_NOTICE, "listserv@"),
    "Google Groups notice": (
        _mail("""
            From: Google Groups <ti+noreply@googlegroups.com>
            Subject: Fue agregado al grupo ti
            List-Id: <ti.googlegroups.com>
        """), LIST_NOTICE, "googlegroups"),
    "DSN without a From": (
        _mail("""
            Subject: Undelivered Mail Returned to Sender
            MIME-Version: 1.0
            Content-Type: multipart/report; report-type=delivery-status; boundary="r"
        """, "--r\r\nContent-Type: text/plain\r\n\r\nfailed\r\n--r--\r\n"),
        BOUNCE, "delivery-status"),
    "DSN whose report-type is missing, From unparsable": (
        _mail("""
            From: Mail Delivery System
            Subject: Delivery failure
            MIME-Version: 1.0
            Content-Type: multipart/report; boundary="r"
        """, "--r\r\nContent-Type: text/plain\r\n\r\nfailed\r\n"
             "--r\r\nContent-Type: message/delivery-status\r\n\r\nAction: failed\r\n--r--\r\n"),
        BOUNCE, "multipart/report"),
    "null Return-Path and no From": (
        _mail("""
            Return-Path: <>
            Subject: Returned mail: see transcript for details
        """), BOUNCE, "return-path"),
    "sendmail bounce from a bare MAILER-DAEMON": (
        _mail("""
            From: Mail Delivery Subsystem <MAILER-DAEMON>
            Subject: Returned mail: see transcript for details
        """), BOUNCE, "mailer-daemon"),
    "sendmail null sender written as <MAILER-DAEMON>": (
        _mail("""
            Return-Path: <MAILER-DAEMON>
            From: =?broken
            Subject: Warning: could not send message for past 4 hours
        """), BOUNCE, "return-path"),
    "read receipt (disposition notification)": (
        _mail("""
            From: Carla <carla@acme.example>
            Subject: Leído: El servidor no arranca
            MIME-Version: 1.0
            Content-Type: multipart/report; report-type=disposition-notification; boundary="m"
        """, "--m\r\nContent-Type: text/plain\r\n\r\nLeído\r\n--m--\r\n"),
        REPORT, "disposition-notification"),
}


@pytest.mark.parametrize("name", list(HUMAN))
def test_people_are_not_taken_for_machines(name):
    assert classify(parse_bytes(_mail(HUMAN[name])), {"soporte@soporte.example"}) is None


@pytest.mark.parametrize("name", list(MACHINE))
def test_machines_are_ignored_with_their_reason(name):
    raw, kind, detail = MACHINE[name]
    verdict = classify(parse_bytes(raw), {"soporte@soporte.example"})
    assert verdict is not None, name
    assert verdict[0] == kind and detail in verdict[1].lower(), verdict


@pytest.mark.parametrize("headers", [
    {"X-Auto-Response-Suppress": "All"}, {"X-Auto-Response-Suppress": "AutoReply"},
    {"X-Auto-Response-Suppress": "OOF, AutoReply"},
    {"List-Id": "<ti.acme.example>"}, {"List-Post": "<mailto:ti@acme.example>"}])
def test_no_automatic_reply_where_the_sender_or_the_list_asks_for_none(headers):
    assert suppresses_auto_reply(parse_bytes(corpus.simple(headers=headers)))


@pytest.mark.parametrize("headers", [{}, {"X-Auto-Response-Suppress": "DR, RN, NRN"},
                                     {"X-Auto-Response-Suppress": "None"}])
def test_an_acknowledgement_where_nothing_asks_for_none(headers):
    assert not suppresses_auto_reply(parse_bytes(corpus.simple(headers=headers)))


def _ingest(raw: bytes):
    outcome = ingest("INBOX", 1, str(next(_uids)), raw)
    db.session.expire_all()
    return outcome


def _acknowledgements():
    return db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.kind == "acknowledgement")).all()


def test_outlook_mail_asking_for_no_auto_reply_is_a_ticket_without_acknowledgement(world):
    outcome = _ingest(_mail(OUTLOOK))
    assert (outcome.outcome, outcome.ticket_number) == ("TICKET", "TCK-000001")
    assert _acknowledgements() == []
    follow_up = _mail(OUTLOOK.replace("Subject: El servidor no arranca",
                                      "Subject: RE: [TCK-000001] El servidor no arranca"))
    assert _ingest(follow_up).outcome == "NOTE"


NO_ACKNOWLEDGEMENT = {"outlook with X-Auto-Response-Suppress: All",
                      "outlook asking for no receipts or out-of-office",
                      "a person's mail that came through the company's team list"}


def test_each_person_in_the_table_gets_a_ticket_and_an_acknowledgement_unless_asked_not_to(world):
    for name, headers in HUMAN.items():
        outcome = _ingest(_mail(headers))
        assert outcome.outcome == "TICKET", name
        acknowledged = [a for a in _acknowledgements() if outcome.ticket_number in a.subject]
        assert len(acknowledged) == (0 if name in NO_ACKNOWLEDGEMENT else 1), name


def test_no_machine_in_the_table_becomes_a_ticket_or_triage_or_gets_a_reply(world):
    for name, (raw, kind, _detail) in MACHINE.items():
        outcome = _ingest(raw)
        assert outcome.outcome == "IGNORED" and outcome.reason.startswith(kind + ":"), name
    assert db.session.scalars(select(Ticket)).all() == []
    assert db.session.scalars(select(OutboxMessage)).all() == []
