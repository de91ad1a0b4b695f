"""Threading end to end: mail in through a real Dovecot, mail out through a real SMTP server.

The customer's mail program must show one conversation: our acknowledgement and replies answer
the customer's own message; an Outlook reply that carries only Thread-Index finds its ticket,
but only from a contact of that ticket's client.
"""
import base64
import os

from sqlalchemy import select

from app.extensions import db
from app.mail.worker import send_once
from app.models import InboundMessage, InboundOutcome, Note, NoteKind, Ticket
from app.services import notes
from mail_ingest.poller import poll_once
from tests import mail_corpus as corpus

O = InboundOutcome


def _poll(dovecot, user):
    report = poll_once(dovecot.url(user))
    db.session.expire_all()
    return report


def _records():
    return list(db.session.scalars(select(InboundMessage).order_by(InboundMessage.id)))


def _outlook(subject, sender="carla@acme.example", thread_index=None, body="Hola.",
             message_id=None) -> bytes:
    """Outlook's headers: Thread-Topic, Thread-Index, X-Auto-Response-Suppress off; no
    In-Reply-To nor References (as Outlook sends when it threads by Thread-Index alone)."""
    headers = {"Thread-Topic": subject.removeprefix("RE: "), "Content-Language": "es-ES",
               "X-MS-Has-Attach": "", "X-MS-TNEF-Correlator": ""}
    if thread_index:
        headers["Thread-Index"] = thread_index
    return corpus.simple(sender=sender, subject=subject, body=body, headers=headers,
                         message_id=message_id or corpus.mid("DB7PR04MB.prod.outlook.example"))


def test_the_acknowledgement_the_customer_receives_answers_their_message(world, dovecot, imap_user,
                                                                         smtp_server):
    first = corpus.mid("acme.example")
    dovecot.append(imap_user, corpus.simple(message_id=first, subject="La impresora no imprime"))
    _poll(dovecot, imap_user)
    assert send_once().sent == 1
    [ack] = smtp_server.messages
    assert ack["In-Reply-To"] == first
    assert ack["References"].split()[-1] == first
    # the customer answers the acknowledgement; our public reply answers that answer
    second = corpus.mid("acme.example")
    dovecot.append(imap_user, corpus.simple(
        message_id=second, subject=f"Re: {ack['Subject']}", in_reply_to=ack["Message-ID"],
        references=f"{first} {ack['Message-ID']}", body="Adjunto más datos."))
    _poll(dovecot, imap_user)
    assert [r.outcome for r in _records()] == [O.TICKET, O.NOTE]
    ticket = db.session.scalars(select(Ticket)).one()
    notes.reply_publicly(world.agent, ticket, "¿Probó reiniciarla?")
    db.session.commit()
    send_once()
    reply = smtp_server.messages[-1]
    assert reply["In-Reply-To"] == second
    assert reply["References"].split() == [first, ack["Message-ID"], second]


def test_an_outlook_reply_with_only_thread_index_is_a_note_but_a_stranger_gets_nothing(
        world, dovecot, imap_user, smtp_server):
    conversation = b"\x01" + os.urandom(21)
    root = base64.b64encode(conversation).decode()
    dovecot.append(imap_user, _outlook("El servidor no arranca", thread_index=root))
    _poll(dovecot, imap_user)
    [first] = _records()
    assert first.outcome is O.TICKET
    send_once()
    [ack] = smtp_server.messages
    # our answer continues the customer's Outlook conversation
    assert base64.b64decode(ack["Thread-Index"])[:22] == conversation
    reply_index = base64.b64encode(conversation + os.urandom(5)).decode()
    dovecot.append(
        imap_user,
        _outlook("RE: El servidor no arranca", sender="jefe@acme.example",
                 thread_index=reply_index, body="Lo confirmo, sigue caído."),
        _outlook("RE: El servidor no arranca", sender="omar@otra.example",
                 thread_index=reply_index, body="Cierren el ticket."))
    _poll(dovecot, imap_user)
    _, colleague, stranger = _records()
    assert (colleague.outcome, colleague.ticket_id) == (O.NOTE, first.ticket_id)
    note = db.session.get(Note, colleague.note_id)
    assert note.kind is NoteKind.CUSTOMER_EMAIL and "sigue caído" in note.body_text
    assert stranger.outcome is O.TICKET and stranger.ticket_id != first.ticket_id
    assert stranger.ticket.client_id == world.other_client.id
    assert [r.thread_index for r in _records()] == [conversation.hex()] * 3
