"""The ticket page reads as a conversation (issue 11): the description first, then customer
emails, public replies and internal notes in order and told apart by a text label, history
events as one-line entries where they happened, image files previewed (only images), and the
composer below with the reply and the internal note."""
import datetime as dt
import io
import re

from app.extensions import db
from app.models import NoteKind
from app.services import assignment, notes
from app.services.notes import Upload
from app.services.permissions import SYSTEM
from tests import factories
from tests import mail_corpus as corpus
from tests.factories import PASSWORD

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.timezone.utc)


def _login(client, user):
    assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302


def _at(minutes: int) -> dt.datetime:
    return START + dt.timedelta(minutes=minutes)


def _conversation(world):
    """A web ticket; the customer writes, it is assigned, a reply, an internal note with a PNG
    and a PDF; each a minute after the other."""
    ticket = factories.new_ticket(world, description="La impresora no imprime")
    ticket.created_at = ticket.changes[0].created_at = _at(0)
    email = notes.create_note(ticket, NoteKind.CUSTOMER_EMAIL, "Sigue sin imprimir", SYSTEM)
    email.author_contact, email.created_at = world.contact, _at(1)
    assignment.assign(world.supervisor, ticket, world.agent.id)
    db.session.flush()
    ticket.changes[-1].created_at = _at(2)
    notes.reply_publicly(world.agent, ticket, "Voy a revisarla hoy").created_at = _at(3)
    internal = notes.add_internal_note(world.agent, ticket, "Parece el fusor", [
        Upload("foto.png", io.BytesIO(corpus.PNG), "image/png"),
        Upload("manual.pdf", io.BytesIO(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"),
               "application/pdf")])
    internal.created_at = _at(4)
    db.session.commit()
    return ticket


def _items(page: str) -> list[str]:
    """The thread's entries, in the order the page shows them."""
    thread = page.split('id="timeline"', 1)[1].split("</ol>", 1)[0]
    return re.findall(r'<li class="thread-item[^"]*">(.*?)</li>\s*(?=<li class="thread-item|$)',
                      thread, re.S)


def test_the_thread_shows_the_conversation_in_order_with_each_kind_told_apart(world, client):
    ticket = _conversation(world)
    _login(client, world.agent)
    page = client.get(f"/operacion/ticket/{ticket.number}").get_data(as_text=True)
    items = _items(page)
    texts = ["La impresora no imprime", "Creó el ticket", "Sigue sin imprimir", "Asignado a",
             "Voy a revisarla hoy", "Parece el fusor"]
    assert [next(i for i, item in enumerate(items) if text in item) for text in texts] == list(
        range(6))
    description, created, email, assigned, reply, internal = items
    assert "msg-DESCRIPTION" in description and "Descripción" in description
    assert "msg-CUSTOMER_EMAIL" in email and "Correo del cliente" in email
    assert "msg-PUBLIC_REPLY" in reply and "Respuesta pública" in reply
    assert "msg-INTERNAL" in internal and "Nota interna" in internal
    # history events are small lines, not messages
    for line in (created, assigned):
        assert "<article" not in line and 'class="event-text"' in line
    assert "Supervisor — Asignado a: — → Agente Uno" in assigned
    assert "Respondió al cliente" not in page  # the reply says it


def test_an_image_file_is_previewed_and_a_pdf_is_a_download_with_its_size(world, client):
    ticket = _conversation(world)
    files = {attachment.filename: attachment for attachment in ticket.attachments}
    png, pdf = files["foto.png"], files["manual.pdf"]
    _login(client, world.agent)
    page = client.get(f"/operacion/ticket/{ticket.number}").get_data(as_text=True)
    assert f'<img src="/operacion/adjunto/{png.id}?inline=1"' in page
    assert f"/operacion/adjunto/{pdf.id}?inline=1" not in page
    assert re.search(rf'href="/operacion/adjunto/{pdf.id}"[^>]*>manual.pdf</a>\s*'
                     r'<span class="msg-size">\(\d+ bytes\)</span>', page)
    preview = client.get(f"/operacion/adjunto/{png.id}?inline=1")
    assert preview.status_code == 200 and preview.mimetype == "image/png"


def test_a_ticket_opened_by_email_starts_with_that_email_not_a_copy_of_it(world, client):
    from mail_ingest.ingest import ingest
    from sqlalchemy import select

    from app.models import Ticket

    ingest("test", 0, "1", corpus.gmail_reply())
    ticket = db.session.scalars(select(Ticket)).one()
    _login(client, world.agent)
    page = client.get(f"/operacion/ticket/{ticket.number}").get_data(as_text=True)
    items = _items(page)
    assert "msg-DESCRIPTION" not in page
    assert "msg-CUSTOMER_EMAIL" in items[0] and page.count("Sigue sin funcionar.") == 1


def test_the_composer_offers_a_reply_and_an_internal_note_with_files(world, client):
    ticket = factories.new_ticket(world)
    _login(client, world.supervisor)
    page = client.get(f"/operacion/ticket/{ticket.number}").get_data(as_text=True)
    assert 'id="ticket-page" data-ticket-number="%s"' % ticket.number in page
    thread_end = page.index("</ol>", page.index('id="timeline"'))
    composer = page.index('class="composer card"')
    assert thread_end < composer < page.index('id="ticket-fields"')
    for action, box in (("reply", "reply-text"), ("note", "note-text")):
        form = re.search(rf'<form[^>]*id="action-{action}".*?</form>', page, re.S).group(0)
        assert f'id="{box}"' in form and 'name="text"' in form
        assert re.search(r'<input type="file" name="files" id="\w+-files"[^>]*multiple', form)
        assert f'<label for="{box}"' in form
    assert 'data-composer-tab="reply"' in page and 'data-composer-tab="note"' in page
    assert "Responder al cliente" in page and "Nota interna" in page
    assert 'id="assignee"' in page


def test_a_refused_note_opens_the_note_tab_with_its_text(world, client):
    ticket = factories.new_ticket(world)
    _login(client, world.agent)
    response = client.post(f"/operacion/ticket/{ticket.number}/note", data={"text": "   "},
                           content_type="multipart/form-data")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert re.search(r'id="composer-note" role="tabpanel"', page)
    assert re.search(r'class="tab-pane fade show active" id="composer-note"', page)
    assert 'class="tab-pane fade" id="composer-reply"' in page
