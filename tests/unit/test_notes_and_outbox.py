"""Notes, public replies and the outbox rows they write, in the same transaction."""
import io
from pathlib import Path

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import NoteKind, OutboxMessage, TicketStatus
from app.services import notes, quotes
from app.services.errors import TicketClosed, ValidationFailed
from app.services.notes import Upload
from tests import factories


def _mails():
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_internal_notes_send_nothing(world):
    ticket = factories.new_ticket(world)
    note = notes.add_internal_note(world.agent, ticket, "Revisar el switch")
    db.session.commit()
    assert note.kind is NoteKind.INTERNAL and note.author_user_id == world.agent.id
    assert _mails() == []


def test_public_reply_mails_the_requester_with_attachments_and_threads(world):
    ticket = factories.ticket_in(world, TicketStatus.QUOTED)
    note = notes.reply_publicly(world.agent, ticket, "Adjunto el informe",
                                [Upload("informe.txt", io.BytesIO(b"hola"), "text/plain")])
    db.session.commit()
    quote_mail, reply = _mails()
    assert reply.kind == "public_reply" and reply.to_address == world.contact.email
    assert "Adjunto el informe" in reply.body_text
    assert reply.attachment_ids == [note.attachments[0].id]
    assert reply.in_reply_to == quote_mail.message_id
    assert reply.references == quote_mail.message_id
    assert "Auto-Submitted" not in reply.headers  # a person wrote it
    assert reply.message_id.startswith("<") and reply.message_id.endswith("@soporte.example>")


def test_a_rolled_back_change_leaves_no_mail(world):
    ticket = factories.new_ticket(world)
    quotes.save_quote(world.agent, ticket, quotes.QuoteInput("10", "1", "USD"))
    db.session.rollback()
    assert _mails() == []


def test_mail_is_in_the_contacts_language(world):
    ticket = factories.new_ticket(world, contact_id=world.english_contact.id)
    quotes.save_quote(world.agent, ticket, quotes.QuoteInput("10", "1", "USD"))
    spanish = factories.new_ticket(world)
    quotes.save_quote(world.agent, spanish, quotes.QuoteInput("10", "1", "USD"))
    english_mail, spanish_mail = _mails()
    assert "Quote for your request" in english_mail.subject
    assert "Cotización de su solicitud" in spanish_mail.subject
    assert "Precio" in spanish_mail.body_text and "Price" in english_mail.body_text


def test_typed_text_cannot_add_headers(world):
    ticket = factories.new_ticket(world, subject="Hola\r\nBcc: victim@evil.example")
    world.contact.name = "Carla\r\nX-Injected: 1"
    notes.reply_publicly(world.agent, ticket, "ok")
    [mail] = _mails()
    assert "\r" not in mail.subject and "\n" not in mail.subject
    assert "\n" not in mail.to_name and "\r" not in mail.to_name


def test_html_bodies_escape_what_customers_typed(world):
    ticket = factories.new_ticket(world, description="<script>alert(1)</script>")
    quotes.save_quote(world.agent, ticket, quotes.QuoteInput("10", "1", "USD"))
    [mail] = _mails()
    assert "<script>" not in mail.body_html and "&lt;script&gt;" in mail.body_html


@pytest.mark.parametrize("text", ["", "  "])
def test_empty_notes_are_refused(world, text):
    ticket = factories.new_ticket(world)
    with pytest.raises(ValidationFailed):
        notes.add_internal_note(world.agent, ticket, text)
    with pytest.raises(ValidationFailed):
        notes.reply_publicly(world.agent, ticket, text)


def test_no_reply_without_requester_nor_on_closed(world):
    ticket = factories.new_ticket(world, contact_id=None)
    with pytest.raises(ValidationFailed):
        notes.reply_publicly(world.agent, ticket, "hola")
    closed = factories.ticket_in(world, TicketStatus.CLOSED)
    with pytest.raises(TicketClosed):
        notes.add_internal_note(world.agent, closed, "hola")


def test_attachment_size_limit(world, app):
    app.config["SOPORTE_ATTACHMENT_MAX_BYTES"] = 1024
    ticket = factories.new_ticket(world)
    with pytest.raises(ValidationFailed) as error:
        notes.add_internal_note(world.agent, ticket, "grande",
                                [Upload("big.bin", io.BytesIO(b"x" * 5000))])
    assert error.value.field == "attachments"
    stored = Path(app.config["SOPORTE_ATTACHMENT_DIR"]).rglob("*")
    assert [p for p in stored if p.is_file()] == []  # the partial file was removed


def test_message_ids_stay_unique_when_the_random_module_repeats_itself(app):
    """Two mails queued within the same instant by processes whose `random` state is the same
    (a seeded test, a forked worker) still get different Message-IDs: the walker of hostile
    values once saw two replies collide on outbox_message.message_id."""
    import random

    from app.services.outbox import new_message_id

    with app.app_context():
        random.seed(7)
        first = new_message_id()
        random.seed(7)
        second = new_message_id()
    assert first != second and first.endswith("@soporte.example>")
