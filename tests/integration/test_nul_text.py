"""Text that a database cannot hold (NUL, lone surrogates) never stops intake or a form: it is
stored the same way on SQLite and PostgreSQL, and a message whose record fails anyway is
quarantined from its raw source while the messages behind it go on."""
from __future__ import annotations

import base64
import mailbox

from sqlalchemy import event, select

from app.extensions import db
from app.models import Attachment, InboundMessage, InboundOutcome, Note, NoteKind, Ticket
from app.storage import BlobStore
from mail_ingest.poller import poll_once
from tests import factories
from tests import mail_corpus as corpus
from tests.factories import PASSWORD

O = InboundOutcome
R = "\ufffd"  # what a NUL (or a lone surrogate) is stored as


def _nul_everywhere() -> bytes:
    """NUL in the subject, the body, the From display name, an attachment's filename and the
    Message-ID (raw, in the header itself), each as a mail program could send it."""
    data = base64.b64encode(b"contenido").decode()
    return (
        "From: =?utf-8?q?Carla=00Nula?= <carla@acme.example>\r\n"
        "To: soporte@soporte.example\r\n"
        "Subject: =?utf-8?q?Con=00nulo?=\r\n"
        "Message-ID: <nul\x00id@acme.example>\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="frontera"\r\n'
        "\r\n"
        "--frontera\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: quoted-printable\r\n"
        "\r\n"
        "Hola=00mundo\r\n"
        "--frontera\r\n"
        "Content-Type: text/plain\r\n"
        "Content-Disposition: attachment; filename*=utf-8''in%00forme.txt\r\n"
        "Content-Transfer-Encoding: base64\r\n"
        "\r\n"
        f"{data}\r\n"
        "--frontera--\r\n"
    ).encode()


def _records() -> list[InboundMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(InboundMessage).order_by(InboundMessage.id)))


def test_nul_in_every_part_of_an_email_is_stored_and_intake_goes_on(world, dovecot, imap_user):
    dovecot.append(imap_user, _nul_everywhere(),
                   *[corpus.simple(subject=f"detrás {i}") for i in range(3)])
    poll_once(dovecot.url(imap_user))
    records = _records()
    assert [r.outcome for r in records] == [O.TICKET] * 4
    nul = records[0]
    # Dovecot hands a raw NUL over as 0x80 (IMAP without BINARY cannot carry NUL): the raw one
    # is the Maildir test's; encoded NULs (subject, name, body, filename) arrive as they are.
    assert nul.subject == f"Con{R}nulo" and nul.message_id.startswith("<nul")
    assert nul.ticket.subject == f"Con{R}nulo"
    assert f"Hola{R}mundo" in nul.ticket.description
    [attachment] = db.session.scalars(select(Attachment)).all()
    assert attachment.filename.replace(R, "") == "informe.txt"  # the service may drop it
    assert [r.ticket.subject for r in records[1:]] == [f"detrás {i}" for i in range(3)]
    assert all("\\Seen" in f for f in dovecot.flags(imap_user).values())


def test_raw_nul_in_headers_through_the_maildir(world, app):
    """A Maildir hands over the bytes as written: a raw NUL in the Message-ID, the references and
    the display name."""
    raw = _nul_everywhere().replace(b"=?utf-8?q?Carla=00Nula?=", b"Carla\x00Nula").replace(
        b"MIME-Version", b"References: <ref\x00a@acme.example>\r\nMIME-Version")
    inbox = mailbox.Maildir(app.config["SOPORTE_INBOX_URL"].removeprefix("maildir://"),
                            create=True)
    inbox.add(raw)
    inbox.add(corpus.simple(subject="detrás"))
    poll_once(app.config["SOPORTE_INBOX_URL"])
    records = _records()
    assert [r.outcome for r in records] == [O.TICKET] * 2
    assert records[0].message_id == f"<nul{R}id@acme.example>"
    assert records[0].subject == f"Con{R}nulo" and records[1].ticket.subject == "detrás"


def test_lone_surrogates_are_stored_like_nul(app):
    """Python strings can carry what UTF-8 cannot (escaped 8-bit bytes): stored, not refused."""
    world = factories.make_world()
    ticket = factories.new_ticket(world)
    ticket.subject = "roto \udcff aquí\x00"
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Ticket, ticket.id).subject == f"roto {R} aquí{R}"


def _fail_inserts(carrying, table: str = ""):
    """A database fault nobody foresaw: any INSERT (into `table`) with a bound string for which
    `carrying` is true fails. Returns the listener, to be removed."""
    def fail(conn, cursor, statement, parameters, context, executemany):
        rows = parameters if isinstance(parameters, list) else [parameters]
        values = [v for row in rows for v in (row.values() if isinstance(row, dict) else row)]
        if statement.startswith(f"INSERT INTO {table}") and any(
                isinstance(v, str) and carrying(v) for v in values):
            raise RuntimeError("simulated storage fault")
    event.listen(db.engine, "before_cursor_execute", fail)
    return fail


def test_a_message_whose_record_cannot_be_stored_is_quarantined_from_its_raw_source(
        world, dovecot, imap_user, app):
    dovecot.append(imap_user, corpus.simple(subject="antes"),
                   corpus.simple(subject="rompe-todo", body="no se puede guardar"),
                   corpus.simple(subject="después"))
    # fails the ticket, then the usual quarantine row (it carries the subject)
    listener = _fail_inserts(lambda v: "rompe-todo" in v)
    try:
        poll_once(dovecot.url(imap_user))
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    records = _records()
    assert [r.outcome for r in records] == [O.TICKET, O.QUARANTINED, O.TICKET]
    broken = records[1]
    assert broken.reason == "error" and "simulated storage fault" in broken.error
    assert broken.raw_size > 0
    raw = BlobStore(f"{app.config['SOPORTE_MAIL_DIR']}/raw").path_for(broken.raw_sha256)
    assert b"rompe-todo" in raw.read_bytes()
    assert [r.ticket.subject for r in (records[0], records[2])] == ["antes", "después"]
    assert all("\\Seen" in f for f in dovecot.flags(imap_user).values())


def test_a_message_not_even_quarantinable_is_left_unmarked_and_the_rest_go_on(
        world, dovecot, imap_user):
    dovecot.append(imap_user, corpus.simple(subject="uno"), corpus.simple(subject="dos"),
                   corpus.simple(subject="tres"))
    with dovecot.box(imap_user) as box:
        stuck_uid = list(box.uids("ALL"))[1]
    listener = _fail_inserts(lambda v: v == stuck_uid, "inbound_message")  # no row of any kind
    try:
        poll_once(dovecot.url(imap_user))
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert [r.uid for r in _records()] == [u for u in _uids(dovecot, imap_user) if u != stuck_uid]
    flags = dovecot.flags(imap_user)
    assert "\\Seen" not in flags[stuck_uid]  # still waiting on the server
    poll_once(dovecot.url(imap_user))  # the fault is gone: it is taken on the next run
    assert [(r.uid, r.outcome) for r in _records()][-1] == (stuck_uid, O.TICKET)


def _uids(dovecot, user) -> list[str]:
    with dovecot.box(user) as box:
        return list(box.uids("ALL"))


def _login(client, user):
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302


def test_nul_in_dashboard_forms_is_stored(world, client):
    _login(client, world.agent)
    response = client.post("/operacion/ticket/nuevo", data={
        "client_id": world.client.id, "contact_id": world.contact.id,
        "contract_id": world.contract.id, "urgency": "HIGH", "subject": "Asunto\x00nulo",
        "description": "Descripción\x00nula"}, content_type="multipart/form-data")
    assert response.status_code == 303
    ticket = db.session.scalars(select(Ticket)).one()
    assert (ticket.subject, ticket.description) == (f"Asunto{R}nulo", f"Descripción{R}nula")
    response = client.post(f"/operacion/ticket/{ticket.number}/note",
                           data={"text": "nota\x00interna"}, content_type="multipart/form-data")
    assert response.status_code == 303
    assert db.session.scalars(select(Note.body_text).where(Note.ticket_id == ticket.id)).all() == [
        f"nota{R}interna"]
    found = client.get("/operacion/ticket", query_string={"q": "Asunto\x00nulo"})
    assert found.status_code == 200


def test_every_way_of_binding_text_is_covered(app):
    """Several rows at once (executemany), JSON, LIKE patterns, raw SQL; bytes untouched."""
    from sqlalchemy import insert, text

    from app.models import OutboxMessage

    world = factories.make_world()
    ticket = factories.new_ticket(world)
    db.session.execute(insert(Note), [
        {"ticket_id": ticket.id, "kind": NoteKind.INTERNAL, "body_text": f"muchas\x00{i}"}
        for i in range(3)])
    db.session.add(OutboxMessage(kind="test", to_address="a@b.example", subject="s\x00",
                                 body_text="b", message_id="<m\x00@x>",
                                 headers={"X-Nul": "a\x00b", "X-Sur": "\udcff"}))
    db.session.commit()
    db.session.expire_all()
    assert sorted(db.session.scalars(select(Note.body_text).where(
        Note.ticket_id == ticket.id))) == [f"muchas{R}{i}" for i in range(3)]
    outbox = db.session.scalars(select(OutboxMessage)).one()
    assert outbox.message_id == f"<m{R}@x>"
    assert outbox.headers == {"X-Nul": f"a{R}b", "X-Sur": R} or outbox.headers == {
        "X-Nul": "a\x00b", "X-Sur": "\udcff"}  # JSON escapes them: stored as \u0000, read back
    assert db.session.scalars(select(Note.body_text).where(
        Note.body_text.like("%muchas\x000%"))).all() == [f"muchas{R}0"]
    assert db.session.scalar(text("SELECT :v"), {"v": "x\x00y"}) == f"x{R}y"
    assert bytes(db.session.scalar(text("SELECT :v"), {"v": b"x\x00y"})) == b"x\x00y"
    db.session.rollback()
