"""Threading as real mail programs write it: ids in any shape, tokens in any case, Outlook's
Thread-Index; and our mail naming the customer's own message, so theirs shows one conversation."""
import base64
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from app.extensions import db
from app.models import InboundMessage, InboundOutcome, Note, OutboxMessage, Ticket
from app.services import notes, status_changes
from mail_ingest.ingest import ingest
from mail_ingest.parse import parse_bytes
from mail_ingest.message_ids import message_ids
from mail_ingest.thread import conversation_key, spellings, ticket_numbers
from tests import mail_corpus as corpus

O = InboundOutcome
_uids = iter(range(1, 100_000))


def _ingest(raw: bytes):
    outcome = ingest("INBOX", 1, str(next(_uids)), raw)
    db.session.expire_all()
    return outcome


def _outbox(kind=None):
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if kind:
        query = query.where(OutboxMessage.kind == kind)
    return db.session.scalars(query).all()


def _thread_index(conversation: bytes, replies: int = 0) -> str:
    """Outlook's Thread-Index: 22 bytes of conversation, 5 more per reply."""
    return base64.b64encode(conversation + os.urandom(5 * replies)).decode()


def _with_header(raw: bytes, name: str, value: str) -> bytes:
    """The message with one more header written exactly as given (folding included)."""
    return f"{name}: {value}\r\n".encode() + raw


def _conversation() -> bytes:
    return b"\x01" + os.urandom(21)


def _outlook(subject="El servidor no arranca", sender="carla@acme.example", thread_index=None,
             headers=None, body="Hola.") -> bytes:
    extra = {"Thread-Topic": subject.split("] ")[-1].removeprefix("RE: "),
             "X-MS-Has-Attach": "", "Content-Language": "es-ES"}
    if thread_index:
        extra["Thread-Index"] = thread_index
    extra.update(headers or {})
    return corpus.simple(sender=sender, subject=subject, body=body, headers=extra,
                         message_id=corpus.mid("AM0PR04MB1234.eurprd04.prod.outlook.example"))


# ---- the header readers -------------------------------------------------------------------

@pytest.mark.parametrize("value, expected", [
    ("<a@x.example>", ["<a@x.example>"]),
    ("a@x.example", ["<a@x.example>"]),
    ("  a@x.example  b@y.example ", ["<a@x.example>", "<b@y.example>"]),
    ("<a@x.example>,<b@y.example>", ["<a@x.example>", "<b@y.example>"]),
    ("< a@x.example >", ["<a@x.example>"]),
    ("<a@\r\n x.example>", ["<a@x.example>"]),
    ("<a@x.example> (Carla's message of Tue, 24 Nov 2026 (10:00))", ["<a@x.example>"]),
    ('Your message of "Tue, 24 Nov 2026" <a@x.example>', ["<a@x.example>"]),
    ("(a comment with c@z.example) a@x.example", ["<a@x.example>"]),
    ("<a@x.example> <a@x.example>", ["<a@x.example>"]),
    ("", []), ("no ids here", []), ("<>", []), ("<@x>", []),
])
def test_message_ids_in_every_shape(value, expected):
    assert message_ids(value) == expected


def test_a_stored_id_is_found_whatever_the_case_of_its_domain():
    assert "<Abc.1@soporte.example>" in spellings("<Abc.1@SOPORTE.EXAMPLE>")
    assert "<Abc.1@AM0PR04MB.OUTLOOK.EXAMPLE>" in spellings("<Abc.1@am0pr04mb.outlook.example>")
    assert spellings("<Abc.1@x>")[0] == "<Abc.1@x>"  # the left part keeps its case


_atext = st.text("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.!#$%&*+-/=?^_`{|}~",
                 min_size=1, max_size=40)
_domain = st.from_regex(r"[a-z0-9]{1,12}(\.[a-z0-9]{1,12}){0,3}", fullmatch=True)


@settings(max_examples=300, deadline=None)
@given(left=_atext, right=_domain, style=st.sampled_from(
    ["bracketed", "bare", "comment", "spaces", "upper", "folded", "several"]))
def test_any_message_id_survives_any_client_style(left, right, style):
    mid = f"<{left}@{right}>"
    written = {
        "bracketed": mid, "bare": f"{left}@{right}", "comment": f"{mid} (Carla (trabajo))",
        "spaces": f"  \t {mid}   ", "upper": f"<{left}@{right.upper()}>",
        "folded": f"<{left}@\r\n {right}>", "several": f"<x@y.example>\r\n {mid}  <z@w.example>",
    }[style]
    parsed = parse_bytes(_with_header(corpus.simple(), "References", written))
    found = {s for m in message_ids(parsed.headers["references"]) for s in spellings(m)}
    assert mid in found


@pytest.mark.parametrize("subject", [
    "Re: [TCK-000123] hola", "RE: [tck-000123] hola", "AW: [Tck-000123]", "[ TCK-000123 ] x",
    "Re:[TCK 000123]", "[TCK-123] x", "[TCK000123]", "Re: 【TCK-000123】"])
def test_the_subject_token_in_any_case_and_spacing(subject):
    assert ticket_numbers(subject, "TCK-") == ["TCK-000123"]


@pytest.mark.parametrize("subject", ["TCK-000123 sin corchetes", "[TCK-] x", "[XTCK-000123]",
                                     "[TCK-000123x]"])
def test_what_is_not_a_token(subject):
    assert ticket_numbers(subject, "TCK-") == []


def test_the_conversation_key_is_the_first_22_bytes_of_thread_index():
    conversation = _conversation()
    for replies in (0, 1, 3):
        parsed = parse_bytes(_outlook(thread_index=_thread_index(conversation, replies)))
        assert conversation_key(parsed) == conversation.hex()
    for bad in ("", "!!!", base64.b64encode(b"short").decode()):
        assert conversation_key(parse_bytes(_outlook(thread_index=bad or None))) is None


# ---- threading on ingest ------------------------------------------------------------------

def test_a_reply_naming_our_mail_without_angle_brackets_is_a_note(world):
    _ingest(corpus.simple())
    ack = _outbox("acknowledgement")[0]
    bare = ack.message_id.strip("<>")
    reply = corpus.simple(subject="Re: gracias", headers={"In-Reply-To": bare,
                                                          "References": f" {bare} "})
    assert _ingest(reply).outcome == "NOTE"


def test_a_reply_with_the_id_in_any_client_style_is_a_note(world):
    for number, style in enumerate(["comment", "several", "upper-domain", "folded"], start=1):
        first = corpus.mid("acme.example")
        assert _ingest(corpus.simple(message_id=first, subject=style)).outcome == "TICKET"
        left, _, right = first[1:-1].partition("@")
        written = {"comment": f"{first} (Mensaje de Carla del martes)",
                   "several": f"<otro@nada.example>\r\n\t{first}   <mas@nada.example>",
                   "upper-domain": f"<{left}@{right.upper()}>",
                   "folded": f"<{left}@\r\n {right}>"}[style]
        outcome = _ingest(_with_header(corpus.simple(subject="Re: x"), "References", written))
        assert outcome.outcome == "NOTE", style
        ticket = db.session.scalars(select(Ticket).where(Ticket.subject == style)).one()
        assert outcome.ticket_number == ticket.number, style


@pytest.mark.parametrize("token", ["[tck-000001]", "[Tck-000001]", "[ TCK-000001 ]", "[TCK 1]"])
def test_a_token_in_another_case_threads_only_for_the_tickets_client(world, token):
    _ingest(corpus.simple())
    same = _ingest(corpus.simple(sender="otro@acme.example", subject=f"RE: {token} sigue"))
    stranger = _ingest(corpus.simple(sender="omar@otra.example", subject=f"RE: {token} intruso"))
    assert (same.outcome, same.ticket_number) == ("NOTE", "TCK-000001")
    assert stranger.outcome == "TICKET" and stranger.ticket_number != "TCK-000001"


def test_every_inbound_message_records_its_conversation_key(world):
    conversation = _conversation()
    _ingest(_outlook(thread_index=_thread_index(conversation)))
    _ingest(corpus.simple(subject="sin thread-index"))
    _ingest(_outlook(sender="alguien@desconocido.example",
                     thread_index=_thread_index(conversation, 2)))
    keys = db.session.scalars(select(InboundMessage.thread_index).order_by(InboundMessage.id)).all()
    assert keys == [conversation.hex(), None, conversation.hex()]


def test_an_outlook_reply_with_only_thread_index_is_a_note_but_not_for_a_stranger(world):
    conversation = _conversation()
    _ingest(_outlook(thread_index=_thread_index(conversation)))
    reply = _ingest(_outlook(subject="RE: El servidor no arranca", sender="otro@acme.example",
                             thread_index=_thread_index(conversation, 1), body="Sigue igual."))
    assert (reply.outcome, reply.ticket_number) == ("NOTE", "TCK-000001")
    stranger = _ingest(_outlook(subject="RE: El servidor no arranca", sender="omar@otra.example",
                                thread_index=_thread_index(conversation, 2)))
    assert stranger.outcome == "TICKET" and stranger.ticket_number != "TCK-000001"
    unknown = _ingest(_outlook(subject="RE: El servidor no arranca",
                               sender="alguien@desconocido.example",
                               thread_index=_thread_index(conversation, 2)))
    assert unknown.outcome == "TRIAGE" and unknown.ticket_number is None
    ticket = db.session.scalars(select(Ticket).where(Ticket.number == "TCK-000001")).one()
    texts = [n.body_text for n in db.session.scalars(
        select(Note).where(Note.ticket_id == ticket.id))]
    assert any("Sigue igual." in t for t in texts)


# ---- the subject of a ticket opened by mail -------------------------------------------------

@pytest.mark.parametrize("subject", [
    "Re: [TCK-000001] No arranca el servidor", "RE:[TCK-000001] No arranca el servidor",
    "Fwd: Re: RV:[tck-000001] No arranca el servidor",
    "FW: AW: SV: Rif: [TCK-000001] No arranca el servidor",
    "[TCK-000001] Re: RE : No arranca el servidor", "re: re: [ TCK 1 ] No arranca el servidor",
    "Fw:[TCK-000001]No arranca el servidor", "Re[2]: No arranca el servidor  [TCK-000001]"])
def test_a_reply_to_a_closed_ticket_opens_one_titled_without_prefixes_or_our_token(world,
                                                                                    subject):
    first = _ingest(corpus.simple(subject="No arranca el servidor"))
    status_changes.close_ticket(world.agent, db.session.scalars(select(Ticket)).one(), "Hecho")
    db.session.commit()
    reply = _ingest(corpus.simple(subject=subject, body="Vuelve a fallar."))
    assert reply.outcome == "TICKET" and reply.ticket_number != first.ticket_number
    ticket = db.session.scalars(select(Ticket).where(Ticket.number == reply.ticket_number)).one()
    assert ticket.subject == "No arranca el servidor"
    assert ticket.related_ticket_id is not None


@pytest.mark.parametrize("subject, title", [
    ("Revisión del servidor", "Revisión del servidor"),
    ("Re: Resumen de marzo", "Resumen de marzo"),
    ("Reenvío de facturas", "Reenvío de facturas"), ("Sv-1 caído", "Sv-1 caído"),
    ("Awards: Fwd", "Awards: Fwd"), ("[OTRO-000001] Re: x", "[OTRO-000001] Re: x"),
    ("Re: [TCK-000099]", "Hola, no arranca."),  # nothing left: the description's start
])
def test_a_new_mail_keeps_its_words_only_prefixes_and_our_token_go(world, subject, title):
    outcome = _ingest(corpus.simple(subject=subject))
    ticket = db.session.scalars(select(Ticket).where(Ticket.number == outcome.ticket_number)).one()
    assert ticket.subject == title


# ---- our mail names the customer's message --------------------------------------------------

def test_the_acknowledgement_answers_the_customers_message(world):
    first = corpus.mid("acme.example")
    earlier = corpus.mid("acme.example")
    _ingest(corpus.simple(message_id=first, references=earlier))
    [ack] = _outbox("acknowledgement")
    assert ack.in_reply_to == first
    assert ack.references.split()[-1] == first


def test_a_customer_id_written_without_brackets_is_kept_answered_and_threaded(world):
    bare = corpus.mid("acme.example").strip("<>")
    raw = corpus.simple().replace(b"Message-ID: <", b"X-Old-Message-ID: <", 1)
    _ingest(_with_header(raw, "Message-ID", f" {bare} "))
    [ack] = _outbox("acknowledgement")
    assert ack.in_reply_to == f"<{bare}>"
    reply = _with_header(corpus.simple(subject="Re: x"), "In-Reply-To", f"<{bare}>")
    assert (_ingest(reply).outcome, _outbox("acknowledgement")) == ("NOTE", [ack])


def test_every_reply_answers_the_customers_latest_message_with_the_conversation(world):
    first, second = corpus.mid("acme.example"), corpus.mid("acme.example")
    conversation = _conversation()
    _ingest(corpus.simple(message_id=first, headers={"Thread-Index": _thread_index(conversation)}))
    [ack] = _outbox("acknowledgement")
    _ingest(corpus.simple(message_id=second, subject="Re: [TCK-000001] más datos",
                          in_reply_to=ack.message_id, references=f"{first} {ack.message_id}"))
    ticket = db.session.scalars(select(Ticket)).one()
    notes.reply_publicly(world.agent, ticket, "¿Probó reiniciar?")
    db.session.commit()
    reply = _outbox("public_reply")[0]
    assert reply.in_reply_to == second
    assert reply.references.split() == [first, ack.message_id, second]
    assert base64.b64decode(reply.headers["Thread-Index"])[:22] == conversation
    # the staff's notice names no customer message: it goes to the agent
    for row in _outbox():
        if row.to_address != "carla@acme.example":
            assert row.in_reply_to not in (first, second)


def test_a_message_id_without_brackets_is_its_id_for_duplicates_too(world):
    raw = corpus.simple(message_id="<abc.123@mail.cliente.example>")
    bare = raw.replace(b"<abc.123@mail.cliente.example>", b"abc.123@mail.cliente.example")
    assert parse_bytes(bare).message_id == "<abc.123@mail.cliente.example>"
    assert _ingest(bare).outcome == "TICKET"
    again = ingest("Ventas", 7, "1", bare + b"\r\n")  # the same mail in another mailbox
    assert (again.outcome, again.reason) == ("IGNORED", "duplicate")
