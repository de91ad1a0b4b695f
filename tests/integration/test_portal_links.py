"""The customer's ticket page by a signed link: every customer mail carries it; it opens only its
own ticket, shows only the public conversation, takes a reply with files as a note from the
contact; tampered, expired, revoked and foreign links are refused; new links go only to the
address that asks; tokens stay out of the logs."""
from __future__ import annotations

import io
import logging
import re
import threading
import urllib.error
import urllib.request

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from app.extensions import db
from app.models import Note, NoteKind, OutboxMessage, Ticket, TicketStatus
from app.services import notes, portal_links, status_changes
from app.services.customer_mail import CustomerEmail, receive
from tests import factories
from tests.browsers import browser
from tests.dovecot import free_port
from tests.factories import PASSWORD

LINK = re.compile(r"https?://[^/\s]+(/portal/t/[^\s\"<?#]+)")
CUSTOMER_KINDS = {"acknowledgement", "public_reply", "status_resolved", "closed", "quote_request",
                  "quote_decision"}


def _mails(address: str | None = None, kind: str | None = None) -> list[OutboxMessage]:
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if address:
        query = query.where(OutboxMessage.to_address == address)
    if kind:
        query = query.where(OutboxMessage.kind == kind)
    return list(db.session.scalars(query))


def _path(mail: OutboxMessage) -> str:
    """The "view the ticket" path of a mail, as the customer received it."""
    found = LINK.search(mail.body_text)
    assert found, f"no ticket link in the {mail.kind} mail:\n{mail.body_text}"
    return found[1]


def _latest_path(ticket: Ticket) -> str:
    mail = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.ticket_id == ticket.id,
        OutboxMessage.to_address == ticket.contact.email).order_by(OutboxMessage.id.desc())).first()
    return _path(mail)


def _customer(app):
    """A browser of the customer's (no session, its own cookies)."""
    return browser(app, "10.0.0.5")


def _staff(app, user):
    staff = browser(app, "10.0.0.9")
    assert staff.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
    return staff


def _conversation(world) -> Ticket:
    """A ticket opened by the customer's email, with a public reply, an internal note with a
    file, and the customer's answer."""
    result = receive(world.contact, CustomerEmail(
        subject="La impresora no imprime", text="Hola, la impresora de caja no imprime.",
        html=None, uploads=[notes.Upload("captura.png", io.BytesIO(b"\x89PNG fake"))]))
    ticket = result.ticket
    notes.reply_publicly(world.agent, ticket, "¿Puede reiniciarla y contarnos?")
    notes.add_internal_note(world.agent, ticket, "NOTA-INTERNA: el cliente debe dos facturas",
                            [notes.Upload("secreto.txt", io.BytesIO(b"solo staff"))])
    db.session.commit()
    return ticket


def _dead(response, kind: str) -> None:
    assert response.status_code in (404, 410), response.status_code
    html = response.get_data(as_text=True)
    assert f'data-kind="{kind}"' in html, html
    assert "NOTA-INTERNA" not in html


def test_every_customer_mail_carries_the_link_and_staff_mail_does_not(app, world):
    app.config["SOPORTE_NOTIFY_SUPERVISORS_BY_EMAIL"] = True
    ticket = _conversation(world)  # acknowledgement, public reply
    factories.quote(world, ticket)  # quote request
    from app.services import quote_decisions
    quote_decisions.decide_by_customer(ticket.current_quote.id, ticket.current_quote.version, True)
    status_changes.change_status(world.agent, ticket, TicketStatus.IN_PROGRESS, "Empezamos")
    status_changes.change_status(world.agent, ticket, TicketStatus.RESOLVED, "Reiniciada")
    status_changes.close_ticket(world.agent, ticket, "Cerrado")
    db.session.commit()
    to_customer = _mails(world.contact.email)
    assert CUSTOMER_KINDS <= {mail.kind for mail in to_customer}
    for mail in to_customer:
        path = _path(mail)
        assert "Ver el ticket" in mail.body_text and path in mail.body_html
        assert "Ver el ticket" in mail.body_html
    staff_mail = [m for m in _mails() if m.to_address != world.contact.email]
    assert staff_mail  # assignment / new ticket notices exist
    assert not any("/portal/t/" in m.body_text or "/portal/t/" in (m.body_html or "")
                   for m in staff_mail)


def test_the_page_shows_status_next_step_and_the_public_conversation_only(app, world):
    ticket = _conversation(world)
    page = _customer(app).get(_latest_path(ticket))
    assert page.status_code == 200
    assert page.headers["Referrer-Policy"] == "no-referrer"
    html = page.get_data(as_text=True)
    assert ticket.number in html and "La impresora no imprime" in html
    assert "Hemos recibido su solicitud." in html  # NEW, in plain words
    assert 'id="next-step"' in html
    assert "la impresora de caja no imprime" in html  # the customer's email
    assert "¿Puede reiniciarla y contarnos?" in html  # the public reply
    assert "captura.png" in html  # the file of the customer's email
    assert "NOTA-INTERNA" not in html and "secreto.txt" not in html


def test_the_quoted_history_of_a_customer_mail_is_folded(app, world):
    ticket = _conversation(world)
    receive(world.contact, CustomerEmail(
        subject="Re: La impresora", html=None, uploads=[],
        text="Sigue igual.\n\nEl lun, 2 nov 2026, Soporte escribió:\n> ¿Puede reiniciarla?"),
        ticket=ticket)
    db.session.commit()
    html = _customer(app).get(_latest_path(ticket)).get_data(as_text=True)
    message = html.split("Sigue igual.", 1)[1].split("</article>", 1)[0]
    assert "<details" in message and "Soporte escribió:" in message.split("<details", 1)[1]


def test_an_english_contact_reads_the_page_in_english(app, world):
    ticket = factories.new_ticket(world, contact_id=world.english_contact.id)
    notes.reply_publicly(world.agent, ticket, "Please restart it")
    db.session.commit()
    mail = _mails(world.english_contact.email, "public_reply")[-1]
    assert "View the ticket" in mail.body_text and "Ver el ticket" not in mail.body_text
    html = _customer(app).get(_path(mail)).get_data(as_text=True)
    assert "What happens next" in html and "Send" in html and "Enviar" not in html


def test_the_files_of_internal_notes_and_other_tickets_are_never_served(app, world):
    ticket = _conversation(world)
    other = _conversation(world)
    path = _latest_path(ticket)
    customer = _customer(app)
    shown = next(a for a in ticket.attachments if a.filename == "captura.png")
    secret = next(a for a in ticket.attachments if a.filename == "secreto.txt")
    elsewhere = next(a for a in other.attachments if a.filename == "captura.png")
    got = customer.get(f"{path}/archivo/{shown.id}")
    assert got.status_code == 200 and got.data == b"\x89PNG fake"
    assert got.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert customer.get(f"{path}/archivo/{secret.id}").status_code == 404
    assert customer.get(f"{path}/archivo/{elsewhere.id}").status_code == 404


@pytest.mark.parametrize("position", [3, 30, -2])
def test_a_tampered_link_is_refused(app, world, position):
    ticket = _conversation(world)
    path = _latest_path(ticket)
    token = path.rsplit("/", 1)[1]
    index = position % len(token)
    flipped = token[:index] + ("A" if token[index] != "A" else "B") + token[index + 1:]
    customer = _customer(app)
    _dead(customer.get(f"/portal/t/{flipped}"), "tampered")
    _dead(customer.post(f"/portal/t/{flipped}/responder", data={"text": "hola"}), "tampered")
    assert customer.get(path).status_code == 200  # the genuine link still works


def test_a_link_expires_after_the_configured_days(app, world, at):
    app.config["SOPORTE_PORTAL_LINK_DAYS"] = 2
    at(2, 10)
    ticket = _conversation(world)
    path = _latest_path(ticket)
    customer = _customer(app)
    at(4, 9)  # within two days
    assert customer.get(path).status_code == 200
    at(4, 11)  # two days and an hour later
    page = customer.get(path)
    _dead(page, "expired")
    assert 'href="/portal/enlace"' in page.get_data(as_text=True)  # offers a new link
    _dead(customer.post(f"{path}/responder", data={"text": "sigo aquí"}), "expired")
    db.session.expire_all()
    assert not [n for n in ticket.notes if "sigo aquí" in n.body_text]


def test_send_a_new_link_revokes_the_earlier_ones_and_mails_a_working_one(app, world):
    ticket = _conversation(world)
    second = factories.new_ticket(world, subject="Otro asunto")
    notes.reply_publicly(world.agent, second, "Lo miramos")
    db.session.commit()
    old, old_second = _latest_path(ticket), _latest_path(second)
    customer = _customer(app)
    assert customer.get(old).status_code == 200
    staff = _staff(app, world.agent)
    page = staff.get(f"/operacion/ticket/{ticket.number}").get_data(as_text=True)
    assert 'id="send-portal-link"' in page
    done = staff.post(f"/operacion/ticket/{ticket.number}/portal_link")
    assert done.status_code == 303
    db.session.expire_all()
    mail = _mails(world.contact.email, "portal_link")[-1]
    new = _path(mail)
    assert new != old
    _dead(customer.get(old), "revoked")
    _dead(customer.get(old_second), "revoked")  # every earlier link of the contact
    assert customer.get(new).status_code == 200
    assert any(change.field == "portal_link" and change.new_value == world.contact.email
               for change in ticket.changes)
    history = staff.get(f"/operacion/ticket/{ticket.number}").get_data(as_text=True)
    assert "Envió un nuevo enlace del ticket a carla@acme.example" in history


def test_a_viewer_cannot_send_a_new_link(app, world):
    ticket = _conversation(world)
    generation = world.contact.portal_link_generation
    viewer = _staff(app, world.viewer)
    assert 'id="send-portal-link"' not in viewer.get(
        f"/operacion/ticket/{ticket.number}").get_data(as_text=True)
    viewer.post(f"/operacion/ticket/{ticket.number}/portal_link")
    db.session.expire_all()
    assert world.contact.portal_link_generation == generation
    assert not _mails(kind="portal_link")


def test_a_link_never_opens_another_contacts_ticket(app, world):
    carla_ticket = _conversation(world)
    # a genuine link of Eve (same client) naming Carla's ticket
    forged = portal_links.make_token(world.english_contact, carla_ticket)
    db.session.commit()
    _dead(_customer(app).get(f"/portal/t/{forged}"), "revoked")


def test_a_link_never_opens_another_clients_ticket(app, world):
    carla_ticket = _conversation(world)
    forged = portal_links.make_token(world.other_contact, carla_ticket)
    db.session.commit()
    _dead(_customer(app).get(f"/portal/t/{forged}"), "revoked")


def test_a_link_stops_working_when_the_ticket_gets_another_requester(app, world):
    ticket = _conversation(world)
    path = _latest_path(ticket)
    ticket.contact_id = world.english_contact.id
    db.session.commit()
    _dead(_customer(app).get(path), "revoked")


def test_a_reply_with_a_file_becomes_a_note_from_that_contact(app, world):
    ticket = _conversation(world)
    path = _latest_path(ticket)
    customer = _customer(app)
    sent = customer.post(f"{path}/responder", data={
        "text": "Ya la reinicié y sigue igual.",
        "files": (io.BytesIO(b"registro de errores"), "registro.log")},
        content_type="multipart/form-data")
    assert sent.status_code == 303 and "enviado=1" in sent.headers["Location"]
    db.session.expire_all()
    note = db.session.scalars(select(Note).where(Note.ticket_id == ticket.id)
                              .order_by(Note.id.desc())).first()
    assert note.kind is NoteKind.CUSTOMER_EMAIL
    assert note.author_contact_id == world.contact.id and note.author_user_id is None
    assert note.body_text == "Ya la reinicié y sigue igual."
    assert [a.filename for a in note.attachments] == ["registro.log"]
    assert any(c.field == "customer_email" and c.actor_label == "customer carla@acme.example"
               for c in ticket.changes)
    page = customer.get(sent.headers["Location"]).get_data(as_text=True)
    assert "Ya la reinicié y sigue igual." in page and "registro.log" in page
    got = customer.get(f"{path}/archivo/{note.attachments[0].id}")
    assert got.status_code == 200 and got.data == b"registro de errores"


def test_a_reply_reopens_a_resolved_ticket(app, world):
    ticket = factories.ticket_in(world, TicketStatus.RESOLVED)
    path = _latest_path(ticket)
    _customer(app).post(f"{path}/responder", data={"text": "No está resuelto"})
    db.session.expire_all()
    assert ticket.status is TicketStatus.IN_PROGRESS


def test_a_reply_to_a_closed_ticket_opens_a_new_linked_ticket(app, world):
    ticket = factories.ticket_in(world, TicketStatus.CLOSED)
    path = _latest_path(ticket)
    customer = _customer(app)
    sent = customer.post(f"{path}/responder", data={"text": "Vuelve a fallar"})
    assert sent.status_code == 303 and "enviado=nuevo" in sent.headers["Location"]
    db.session.expire_all()
    new = db.session.scalars(select(Ticket).where(Ticket.related_ticket_id == ticket.id)).one()
    assert new.contact_id == world.contact.id
    page = customer.get(sent.headers["Location"]).get_data(as_text=True)
    assert new.number in page and "Vuelve a fallar" in page


def test_an_empty_reply_is_refused_with_a_message(app, world):
    ticket = _conversation(world)
    path = _latest_path(ticket)
    count = len(ticket.notes)
    answer = _customer(app).post(f"{path}/responder", data={"text": "   "})
    assert answer.status_code == 422
    assert 'id="reply-error"' in answer.get_data(as_text=True)
    db.session.expire_all()
    assert len(ticket.notes) == count


def test_the_page_lists_the_contacts_other_open_tickets_each_with_its_link(app, world):
    ticket = _conversation(world)
    mine_open = factories.new_ticket(world, subject="Otro pendiente")
    mine_closed = factories.ticket_in(world, TicketStatus.CLOSED)
    eve = factories.new_ticket(world, contact_id=world.english_contact.id, subject="De Eve")
    omar = factories.new_ticket(world, client_id=world.other_client.id,
                                contact_id=world.other_contact.id, subject="De Omar")
    customer = _customer(app)
    html = customer.get(_latest_path(ticket)).get_data(as_text=True)
    section = html.split('id="other-tickets"', 1)[1]
    assert mine_open.number in section
    for hidden in (mine_closed, eve, omar):
        assert hidden.number not in section
    other_path = re.search(r'href="https?://[^/"]+(/portal/t/[^"]+)" class="other-ticket"',
                           section)[1]
    other_page = customer.get(other_path).get_data(as_text=True)
    assert "Otro pendiente" in other_page


def test_the_quote_waiting_for_a_decision_is_shown_with_its_buttons(app, world):
    ticket = factories.ticket_in(world, TicketStatus.QUOTED)
    customer = _customer(app)
    html = customer.get(_path(_mails(world.contact.email, "quote_request")[-1])) \
        .get_data(as_text=True)
    assert 'id="approve"' in html and "100,00" in html
    action = re.search(r'action="(/cotizacion/[^"]+/aprobar)"', html)[1]
    assert customer.post(action).status_code == 200
    db.session.expire_all()
    assert ticket.status is TicketStatus.APPROVED
    html = customer.get(_latest_path(ticket)).get_data(as_text=True)
    assert 'id="approve"' not in html


def test_asking_for_a_link_answers_the_same_and_mails_only_a_known_address(app, world):
    ticket = _conversation(world)
    before = len(_mails())
    customer = _customer(app)
    assert customer.get("/portal/enlace").status_code == 200
    unknown = customer.post("/portal/enlace", data={"email": "nadie@desconocido.example"})
    assert len(_mails()) == before  # nothing sent for an unknown address
    known = customer.post("/portal/enlace", data={"email": "Carla@Acme.example "})
    assert unknown.status_code == known.status_code == 200
    assert unknown.get_data() == known.get_data()
    db.session.expire_all()
    sent = _mails()[before:]
    assert [(m.kind, m.to_address) for m in sent] == [("portal_links", "carla@acme.example")]
    path = _path(sent[0])
    assert ticket.number in sent[0].body_text
    assert customer.get(path).status_code == 200


def test_asking_for_a_link_for_an_inactive_contact_sends_nothing(app, world):
    factories.new_ticket(world)
    world.contact.active = False
    db.session.commit()
    before = len(_mails())
    answer = _customer(app).post("/portal/enlace", data={"email": "carla@acme.example"})
    assert answer.status_code == 200 and 'id="link-requested"' in answer.get_data(as_text=True)
    assert len(_mails()) == before


def test_asking_too_often_for_one_address_is_throttled(app, world):
    app.config["SOPORTE_PORTAL_LINK_REQUEST_LIMIT_PER_ADDRESS"] = "2 per hour"
    customer = _customer(app)
    for _ in range(2):
        assert customer.post("/portal/enlace", data={"email": "x@acme.example"}).status_code == 200
    assert customer.post("/portal/enlace", data={"email": "x@acme.example"}).status_code == 429
    assert customer.post("/portal/enlace", data={"email": "y@acme.example"}).status_code == 200


def test_the_server_logs_portal_requests_without_their_token(app, world, caplog):
    ticket = _conversation(world)
    path = _latest_path(ticket)
    token = path.rsplit("/", 1)[1]
    db.session.rollback()  # end the read (SQLite: the server's request needs the lock)
    server = make_server("127.0.0.1", free_port(), app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with caplog.at_level(logging.INFO):
            with urllib.request.urlopen(f"http://127.0.0.1:{server.server_port}{path}",
                                        timeout=10) as response:
                status = response.status
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{server.server_port}{path}/archivo/999",
                                       timeout=10)
            except urllib.error.HTTPError:
                pass
    finally:
        server.shutdown()
    assert status == 200
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "/portal/t/[redacted]" in logged
    assert token not in logged and token.split(".")[0] not in logged
