"""Email in through a real Dovecot: tickets, notes, threading, senders, loops, exactly once."""
import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import (Attachment, InboundMessage, InboundOutcome, Note, NoteKind, OutboxMessage,
                        Ticket, TicketSource, TicketStatus)
from app.services import status_changes
from mail_ingest.poller import poll_once
from mail_ingest.sources import INGESTED_KEYWORD
from tests import factories
from tests import mail_corpus as corpus

O = InboundOutcome


def _records():
    return list(db.session.scalars(select(InboundMessage).order_by(InboundMessage.id)))


def _poll(dovecot, user, **kwargs):
    report = poll_once(dovecot.url(user, **kwargs))
    db.session.expire_all()
    return report


def test_a_new_email_becomes_a_ticket_with_an_acknowledgement(world, dovecot, imap_user):
    dovecot.append(imap_user, corpus.with_attachment(subject="Impresora rota"))
    report = _poll(dovecot, imap_user)
    assert report.outcomes == {"TICKET": 1}
    [record] = _records()
    ticket = record.ticket
    assert ticket.number == "TCK-000001" and ticket.source is TicketSource.EMAIL
    assert ticket.client_id == world.client.id and ticket.contact_id == world.contact.id
    assert ticket.subject == "Impresora rota" and "Va el adjunto." in ticket.description
    [attachment] = db.session.scalars(select(Attachment)).all()
    assert attachment.filename == "informe.pdf" and attachment.sniffed_type == "application/pdf"
    [ack] = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "acknowledgement"))
    assert ack.to_address == "carla@acme.example" and ticket.number in ack.subject
    assert ack.headers["Auto-Submitted"] == "auto-replied"
    # marked only now, after the commit; a second poll takes nothing
    [flags] = dovecot.flags(imap_user).values()
    assert {"\\Seen", INGESTED_KEYWORD} <= flags
    assert _poll(dovecot, imap_user).outcomes == {}
    assert len(_records()) == 1


def test_a_reply_to_our_mail_is_a_note_on_its_ticket(world, dovecot, imap_user):
    dovecot.append(imap_user, corpus.simple())
    _poll(dovecot, imap_user)
    ack = db.session.scalars(select(OutboxMessage)).one()
    dovecot.append(imap_user, corpus.gmail_reply(in_reply_to=ack.message_id))
    _poll(dovecot, imap_user)
    first, reply = _records()
    assert reply.outcome is O.NOTE and reply.ticket_id == first.ticket_id
    note = db.session.get(Note, reply.note_id)
    assert note.kind is NoteKind.CUSTOMER_EMAIL and note.author_contact_id == world.contact.id
    assert "Sigue sin funcionar" in note.body_text and "gmail_quote" in note.body_html
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == 1


def test_a_reply_to_an_earlier_customer_email_threads_too(world, dovecot, imap_user):
    original = corpus.mid()
    dovecot.append(imap_user, corpus.simple(message_id=original),
                   corpus.simple(subject="Re: x", in_reply_to=original, references=original))
    _poll(dovecot, imap_user)
    first, second = _records()
    assert (first.outcome, second.outcome) == (O.TICKET, O.NOTE)
    assert second.ticket_id == first.ticket_id


def test_subject_token_threads_only_for_the_tickets_client(world, dovecot, imap_user):
    ticket = factories.new_ticket(world)
    dovecot.append(imap_user,
                   corpus.simple(sender="otro@acme.example", subject=f"Re: [{ticket.number}] hola"),
                   corpus.simple(sender="omar@otra.example", subject=f"[{ticket.number}] intruso"))
    _poll(dovecot, imap_user)
    same_client, other_client = _records()
    assert same_client.outcome is O.NOTE and same_client.ticket_id == ticket.id
    assert other_client.outcome is O.TICKET and other_client.ticket_id != ticket.id
    assert other_client.ticket.client_id == world.other_client.id


def test_a_new_address_of_a_client_domain_becomes_its_contact(world, dovecot, imap_user):
    dovecot.append(imap_user, corpus.simple(sender="Nuevo@ACME.example", name="Nuevo Empleado"))
    _poll(dovecot, imap_user)
    [record] = _records()
    assert record.outcome is O.TICKET
    assert record.ticket.contact.email == "nuevo@acme.example"
    assert record.ticket.contact.client_id == world.client.id


def test_unknown_senders_wait_in_triage_until_staff_pick_the_client(world, dovecot, imap_user):
    from app.services.mail_triage import resolve_triage
    from mail_ingest.ingest import reprocess

    dovecot.append(imap_user, corpus.simple(sender="alguien@gmail.example"))
    _poll(dovecot, imap_user)
    [record] = _records()
    assert (record.outcome, record.ticket_id) == (O.TRIAGE, None)
    assert db.session.scalars(select(OutboxMessage)).all() == []  # no acknowledgement yet
    resolve_triage(world.agent, record.id, reprocess, client_id=world.other_client.id)
    db.session.commit()
    db.session.expire_all()
    record = db.session.get(InboundMessage, record.id)
    assert record.outcome is O.TICKET and record.ticket.client_id == world.other_client.id
    assert record.attempts == 2


def test_an_administrator_triages_polled_mail_into_a_new_client(world, dovecot, imap_user,
                                                                client, app, tmp_path):
    """From Dovecot to triage to a ticket, and a failure in between told as it is."""
    from app.models import Client, Contact
    from tests.factories import PASSWORD

    dovecot.append(imap_user, corpus.with_attachment(sender="ana@ferreteria-sol.example"),
                   corpus.with_attachment(sender="bea@gmail.example", subject="Otra cosa"))
    assert _poll(dovecot, imap_user).outcomes == {"TRIAGE": 2}
    first, second = _records()
    client.post("/login", data={"email": world.admin.email, "password": PASSWORD})
    done = client.post(f"/operacion/correo/{first.id}/cliente",
                       data={"new_client_name": "Ferretería Sol"}, follow_redirects=True)
    assert "Cliente Ferretería Sol creado. Nuevo ticket TCK-000001." in done.get_data(as_text=True)
    db.session.expire_all()
    first = db.session.get(InboundMessage, first.id)
    assert first.ticket.client.name == "Ferretería Sol"
    assert first.ticket.contact.email == "ana@ferreteria-sol.example"
    assert [a.filename for a in first.ticket.attachments] == ["informe.pdf"]
    blocker = tmp_path / "blocker"
    blocker.write_text("x")
    app.config["SOPORTE_ATTACHMENT_DIR"] = str(blocker / "attachments")  # a real fault
    failed = client.post(f"/operacion/correo/{second.id}/cliente",
                         data={"new_client_name": "Bea Consultores"}, follow_redirects=True)
    page = failed.get_data(as_text=True)
    assert "Cliente Bea Consultores creado. No se pudo procesar el mensaje" in page
    db.session.expire_all()
    second = db.session.get(InboundMessage, second.id)
    assert (second.outcome, second.ticket_id) == (O.QUARANTINED, None)
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == 1
    assert db.session.scalars(select(Contact.client_id).where(
        Contact.email == "bea@gmail.example")).one() == db.session.scalars(
        select(Client.id).where(Client.name == "Bea Consultores")).one()


def test_a_reply_reopens_a_resolved_ticket(world, dovecot, imap_user):
    ticket = factories.ticket_in(world, TicketStatus.RESOLVED, free=True)
    dovecot.append(imap_user, corpus.simple(subject=f"Re: [{ticket.number}] sigue fallando"))
    _poll(dovecot, imap_user)
    db.session.refresh(ticket)
    assert ticket.status is TicketStatus.IN_PROGRESS
    assert ticket.changes[-1].actor_label == "customer carla@acme.example"


def test_a_reply_to_a_closed_ticket_opens_a_linked_one(world, dovecot, imap_user):
    closed = factories.ticket_in(world, TicketStatus.CLOSED)
    dovecot.append(imap_user, corpus.simple(subject=f"Re: [{closed.number}] otra vez"))
    _poll(dovecot, imap_user)
    [record] = _records()
    assert record.outcome is O.TICKET
    assert record.ticket.related_ticket_id == closed.id
    db.session.refresh(closed)
    assert closed.status is TicketStatus.CLOSED


@pytest.mark.parametrize("headers", corpus.AUTO_REPLY_HEADERS, ids=lambda h: ",".join(h))
def test_auto_replies_never_create_acknowledge_or_reopen(world, dovecot, imap_user, headers):
    resolved = factories.ticket_in(world, TicketStatus.RESOLVED, free=True)
    dovecot.append(imap_user, corpus.simple(subject=f"Re: [{resolved.number}] Fuera de la oficina",
                                            headers=headers),
                   corpus.simple(subject="Nuevo pedido", headers=headers))
    _poll(dovecot, imap_user)
    records = _records()
    assert [r.outcome for r in records] == [O.IGNORED, O.IGNORED]
    assert all(r.reason.startswith("auto-reply") for r in records)
    db.session.refresh(resolved)
    assert resolved.status is TicketStatus.RESOLVED
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == 1
    assert db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.kind == "acknowledgement")).all() == []


def test_a_bounce_is_attached_to_the_ticket_of_the_returned_message(world, dovecot, imap_user):
    ticket = factories.ticket_in(world, TicketStatus.QUOTED)
    quote_mail = db.session.scalars(select(OutboxMessage)).one()
    dovecot.append(imap_user, corpus.bounce(quote_mail.message_id))
    _poll(dovecot, imap_user)
    [record] = _records()
    assert record.outcome is O.IGNORED and record.reason.startswith("bounce")
    assert record.ticket_id == ticket.id
    note = db.session.get(Note, record.note_id)
    assert note.kind is NoteKind.SYSTEM and "could not be delivered" in note.body_text
    db.session.refresh(ticket)
    assert ticket.status is TicketStatus.QUOTED


def test_mail_from_our_own_address_is_a_loop(world, dovecot, imap_user):
    dovecot.append(imap_user, corpus.simple(sender="soporte@soporte.example"))
    _poll(dovecot, imap_user)
    [record] = _records()
    assert record.outcome is O.IGNORED and record.reason.startswith("own-address")


def test_the_same_message_twice_is_processed_once(world, dovecot, imap_user):
    raw = corpus.simple()
    dovecot.append(imap_user, raw, raw, corpus.no_message_id(), corpus.no_message_id())
    _poll(dovecot, imap_user)
    outcomes = [(r.outcome, r.reason) for r in _records()]
    assert outcomes == [(O.TICKET, None), (O.IGNORED, "duplicate"),
                        (O.TICKET, None), (O.IGNORED, "duplicate")]
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == 2


def test_a_flooding_sender_is_rate_limited_but_kept(world, dovecot, imap_user, app):
    app.config["SOPORTE_INGEST_RATE_LIMIT"] = 3
    dovecot.append(imap_user, *[corpus.simple(subject=f"spam {i}") for i in range(5)])
    _poll(dovecot, imap_user)
    outcomes = [r.outcome for r in _records()]
    assert outcomes == [O.TICKET] * 3 + [O.QUARANTINED] * 2
    assert all(r.raw_sha256 for r in _records())


def test_a_message_over_the_size_limit_stays_on_the_server(world, dovecot, imap_user, app):
    app.config["SOPORTE_INGEST_MAX_BYTES"] = 2000
    dovecot.append(imap_user, corpus.with_attachment(data=b"x" * 10_000))
    _poll(dovecot, imap_user)
    [record] = _records()
    assert record.outcome is O.QUARANTINED and record.reason.startswith("too large")
    assert record.raw_sha256 is None
    [flags] = dovecot.flags(imap_user).values()
    assert "\\Seen" not in flags  # not downloaded, not marked


def test_the_poller_erases_nothing_a_person_only_marked_deleted(world, dovecot, imap_user):
    """In a mailbox people share, a message someone's mail client marked \\Deleted (without
    expunging it) is theirs to keep or erase: marking our messages must not expunge it."""
    dovecot.append(imap_user, corpus.simple(subject="borrador"))
    with dovecot.box(imap_user) as box:
        [marked] = box.uids()
        box.client.uid("STORE", marked, "+FLAGS", "(\\Deleted)")  # no EXPUNGE
    dovecot.append(imap_user, corpus.simple(subject="Impresora rota"))
    assert _poll(dovecot, imap_user).outcomes == {"TICKET": 2}
    flags = dovecot.flags(imap_user)
    assert marked in flags and "\\Deleted" in flags[marked]  # still there, still only marked
    assert all({"\\Seen", INGESTED_KEYWORD} <= f for f in flags.values())


def test_tls_and_starttls(world, dovecot, imap_user):
    dovecot.append(imap_user, corpus.simple(), corpus.simple(subject="otro"))
    assert poll_once(dovecot.url(imap_user, scheme="imaps")).outcomes == {"TICKET": 2}
    user2 = dovecot.new_user()
    dovecot.append(user2, corpus.simple(subject="starttls"))
    assert poll_once(dovecot.url(user2, scheme="imap+starttls")).outcomes == {"TICKET": 1}


def test_wrong_password_or_port_is_a_clear_error(world, dovecot, imap_user):
    from mail_ingest.sources import SourceError

    with pytest.raises(SourceError):
        poll_once(dovecot.url(imap_user).replace(":secreto@", ":mal@"))
    with pytest.raises(SourceError):
        poll_once("imap://x:y@127.0.0.1:1/INBOX")
