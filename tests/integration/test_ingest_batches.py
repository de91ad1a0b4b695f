"""Messages recorded together (mail_ingest.ingest.ingest_together): one transaction, written a
table at a time, with every outcome what recording them one by one gives, including where a
message depends on an earlier one of the same batch."""
from __future__ import annotations

import pytest
from sqlalchemy import event, func, select

from app.extensions import db
from app.models import Contact, InboundMessage, InboundOutcome, Note, OutboxMessage, Ticket
from app.services import portal_links
from mail_ingest import ingest as ingest_module
from mail_ingest.ingest import ingest_together, store_raw
from mail_ingest.parse import parse_stored
from tests import mail_corpus as corpus

O = InboundOutcome
MAILBOX = "imap://soporte@mail.example/INBOX"


def _together(messages: list, **options) -> list:
    """ingest_together's outcomes, in order (it yields each with its uid as committed)."""
    recorded = list(ingest_together(MAILBOX, 1, messages, **options))
    assert [uid for uid, _outcome in recorded] == [m[0] for m in messages[:len(recorded)]]
    return [outcome for _uid, outcome in recorded]


def _messages(*raws: bytes, first_uid: int = 1) -> list:
    """As the read-ahead process hands them over: (uid, stored source, parsed)."""
    messages = []
    for uid, raw in enumerate(raws, start=first_uid):
        blob = store_raw(raw)
        messages.append((str(uid), blob, parse_stored(ingest_module.raw_store().path_for(
            blob.sha256))))
    return messages


def _record(uid: str) -> InboundMessage:
    return db.session.scalars(select(InboundMessage).where(InboundMessage.uid == uid)).one()


def _next_number() -> str:
    """The number the next ticket will take (the counter is read, not moved)."""
    from app.models.ticket import TicketCounter
    from app.services.numbering import format_ticket_number

    value = db.session.scalar(select(TicketCounter.value)) or 0
    return format_ticket_number("TCK-", value + 1)


def test_each_message_sees_the_earlier_ones_of_its_batch(world):
    first_id = corpus.mid("acme.example")
    next_number = _next_number()
    raws = [
        corpus.simple(subject="No imprime", message_id=first_id),  # 1: a new ticket
        corpus.simple(subject="Re: No imprime", body="Sigue igual.",  # 2: its reply
                      in_reply_to=first_id, references=first_id),
        corpus.simple(subject="No imprime", message_id=first_id),  # 3: 1 again
        corpus.simple(sender="nuevo@acme.example", name="Nuevo",  # 4: a new contact
                      subject="Sin correo"),
        corpus.simple(sender="nuevo@acme.example", name="Nuevo",  # 5: that contact again
                      subject="Tampoco la VPN"),
        corpus.simple(subject=f"Dato [{next_number}]", body="El modelo es X."),  # 6: by token
        corpus.simple(subject="Re: No imprime", body="Ya funciona.",  # 7: 1's ticket, again
                      in_reply_to=first_id, references=first_id),
    ]
    outcomes = _together(_messages(*raws))

    assert [(o.outcome, o.reason) for o in outcomes] == [
        ("TICKET", None), ("NOTE", None), ("IGNORED", "duplicate"), ("TICKET", None),
        ("TICKET", None), ("NOTE", None), ("NOTE", None)]
    db.session.expire_all()
    first = db.session.scalars(select(Ticket).where(Ticket.number == next_number)).one()
    assert [_record(uid).ticket_id for uid in "12367"] == [first.id] * 5
    assert _record("3").duplicate_of_id == _record("1").id
    assert [n.body_text.strip() for n in db.session.scalars(
        select(Note).where(Note.ticket_id == first.id).order_by(Note.id))] == [
        "Hola, no arranca.", "Sigue igual.", "El modelo es X.", "Ya funciona."]
    [new_contact] = db.session.scalars(select(Contact).where(
        Contact.email == "nuevo@acme.example")).all()
    assert {_record("4").ticket.contact_id, _record("5").ticket.contact_id} == {new_contact.id}
    assert _record("4").ticket_id != _record("5").ticket_id


def test_each_new_ticket_of_a_batch_is_acknowledged_with_its_own_link(world):
    raws = [corpus.simple(subject=f"Pedido {i}") for i in range(3)] + [
        corpus.simple(sender="otro@acme.example", name="Otro", subject="Pedido nuevo")]
    outcomes = _together(_messages(*raws))

    db.session.expire_all()
    numbers = [o.ticket_number for o in outcomes]
    acknowledgements = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.kind == "acknowledgement").order_by(OutboxMessage.id)).all()
    assert [m.ticket.number for m in acknowledgements] == numbers
    for message in acknowledgements:
        token = message.body_text.split(portal_links.PATH, 1)[1].split()[0]
        access = portal_links.open_link(token)
        assert access.ticket.id == message.ticket_id
        assert access.contact.email == message.to_address
        assert message.in_reply_to == _record(
            str(numbers.index(message.ticket.number) + 1)).message_id


def test_a_batch_is_written_in_one_flush(world):
    """Unrelated messages: their rows are written by one flush (and their acknowledgements by
    the commit's), each table with one INSERT on PostgreSQL (SQLite inserts row by row); what
    depends on an earlier message of the batch is written first, as shown above."""
    raws = [corpus.simple(subject=f"Pedido {i}", body=f"Texto {i}") for i in range(5)]
    statements, flushes = [], []

    def seen(_conn, _cursor, statement, *_args):
        statements.append(statement.split("(")[0].strip())

    def flushed(*_args):
        flushes.append(1)

    messages = _messages(*raws)
    event.listen(db.engine, "before_cursor_execute", seen)
    event.listen(db.session, "after_flush", flushed)
    try:
        outcomes = _together(messages)
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
        event.remove(db.session, "after_flush", flushed)
    assert [o.outcome for o in outcomes] == ["TICKET"] * 5
    assert len(flushes) == 2
    if db.engine.dialect.name == "postgresql":
        for table in ("ticket", "note", "inbound_message", "outbox_message"):
            assert statements.count(f"INSERT INTO {table}") == 1, (table, statements)
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == 5


def test_the_rate_limit_counts_the_earlier_messages_of_the_batch(world, app):
    app.config["SOPORTE_INGEST_RATE_LIMIT"] = 2
    raws = [corpus.simple(subject=f"Aviso {i}") for i in range(4)]
    outcomes = _together(_messages(*raws))
    assert [(o.outcome, o.reason) for o in outcomes] == [
        ("TICKET", None), ("TICKET", None), ("QUARANTINED", "rate-limited sender"),
        ("QUARANTINED", "rate-limited sender")]


def test_a_message_that_fails_has_its_batch_recorded_one_by_one(world, monkeypatch):
    real = ingest_module._process

    def the_second_fails(record, *args, **kwargs):
        if record.uid == "2":
            raise RuntimeError("an unforeseen fault")
        return real(record, *args, **kwargs)

    monkeypatch.setattr(ingest_module, "_process", the_second_fails)
    raws = [corpus.simple(subject=f"Pedido {i}") for i in range(3)]
    outcomes = _together(_messages(*raws))

    assert [(o.outcome, o.reason) for o in outcomes] == [
        ("TICKET", None), ("QUARANTINED", "error"), ("TICKET", None)]
    db.session.expire_all()
    assert "an unforeseen fault" in _record("2").error
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == 2
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 2


@pytest.mark.parametrize("stop_before", [1, 2])
def test_a_stop_leaves_the_rest_of_the_batch_unrecorded(world, stop_before):
    asked = iter(range(10))
    raws = [corpus.simple(subject=f"Pedido {i}") for i in range(3)]
    outcomes = _together(_messages(*raws), stop=lambda: next(asked) >= stop_before)
    assert len(outcomes) == stop_before
    db.session.expire_all()
    assert sorted(db.session.scalars(select(InboundMessage.uid))) == [
        str(uid) for uid in range(1, stop_before + 1)]


def test_each_outcome_is_given_as_soon_as_it_is_committed(world, monkeypatch):
    """The poller counts and flags what is given: a failure that stops the rest (the database
    going away) must not hide the messages committed before it."""
    real_process, real_alone = ingest_module._process, ingest_module.ingest_stored

    def the_second_fails(record, *args, **kwargs):
        if record.uid == "2":
            raise RuntimeError("an unforeseen fault")
        return real_process(record, *args, **kwargs)

    def gone_at_the_third(mailbox, uidvalidity, uid, *args):
        if uid == "3":
            raise ConnectionError("the database went away")
        return real_alone(mailbox, uidvalidity, uid, *args)

    monkeypatch.setattr(ingest_module, "_process", the_second_fails)
    monkeypatch.setattr(ingest_module, "ingest_stored", gone_at_the_third)
    given = []
    with pytest.raises(ConnectionError):
        for uid, outcome in ingest_together(MAILBOX, 1, _messages(
                *[corpus.simple(subject=f"Pedido {i}") for i in range(4)])):
            given.append((uid, outcome.outcome))
    assert given == [("1", "TICKET"), ("2", "QUARANTINED")]
