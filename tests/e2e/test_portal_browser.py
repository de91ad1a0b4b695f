"""The customer's ticket page in headless Chromium, as a customer uses it: open the "view the
ticket" link of our mail, read the conversation (never an internal note), reply with a file and
see the reply; staff send a new link and the old one stops working; the customer asks for a new
link by address. Each page passes axe-core; screenshots go to test-artifacts/."""
import io
import re

from sqlalchemy import select

from app.extensions import db
from app.models import Note, NoteKind, OutboxMessage, Ticket
from app.services import notes
from app.services.customer_mail import CustomerEmail, receive
from tests.e2e.accessibility import check_accessibility
from tests.e2e.browsing import PHONE, shot, sign_in

LINK = re.compile(r"https?://[^/\s]+(/portal/t/[^\s\"<?#]+)")


def _link_of_latest_mail(address: str, kind: str | None = None) -> str:
    query = select(OutboxMessage).where(OutboxMessage.to_address == address)
    if kind:
        query = query.where(OutboxMessage.kind == kind)
    mail = db.session.scalars(query.order_by(OutboxMessage.id.desc())).first()
    path = LINK.search(mail.body_text)[1]
    db.session.commit()  # hold no transaction while the browser works (SQLite's lock)
    return path


def _ticket_with_conversation(world) -> str:
    """A ticket from the customer's email with a file, a public reply and an internal note."""
    ticket = receive(world.contact, CustomerEmail(
        subject="La impresora no imprime", text="Hola, la impresora de caja no imprime.",
        html=None, uploads=[notes.Upload("captura.png", io.BytesIO(b"\x89PNG fake"))])).ticket
    notes.reply_publicly(world.agent, ticket, "¿Puede reiniciarla y contarnos qué pasa?")
    notes.add_internal_note(world.agent, ticket, "NOTA-INTERNA: no mostrar al cliente")
    db.session.commit()
    number = ticket.number
    db.session.commit()
    return number


def test_the_customer_reads_and_replies_with_a_file(live_server, page, world, backend, tmp_path):
    number = _ticket_with_conversation(world)
    path = _link_of_latest_mail(world.contact.email, "public_reply")
    page.goto(live_server + path)
    assert number in page.inner_text("h1")
    assert "¿Puede reiniciarla y contarnos qué pasa?" in page.inner_text("#conversation")
    assert "captura.png" in page.inner_text("#conversation")
    assert "NOTA-INTERNA" not in page.content()
    assert page.inner_text("#status-words") == "Hemos recibido su solicitud."
    check_accessibility(page, "the customer's ticket page")
    shot(page, f"portal-ticket-{backend}")

    (tmp_path / "registro.txt").write_text("error 42 al imprimir\n")
    page.fill("#reply-text", "La reinicié y sigue sin imprimir.")
    page.set_input_files("#reply-files", str(tmp_path / "registro.txt"))
    page.click("#send-reply")
    page.wait_for_selector("#sent")
    conversation = page.inner_text("#conversation")
    assert "La reinicié y sigue sin imprimir." in conversation and "registro.txt" in conversation
    check_accessibility(page, "the ticket page after a reply")
    shot(page, f"portal-ticket-replied-{backend}")

    with page.expect_download() as download:
        page.click("text=registro.txt")
    assert download.value.suggested_filename == "registro.txt"

    db.session.expire_all()
    ticket = db.session.scalars(select(Ticket).where(Ticket.number == number)).one()
    note = db.session.scalars(select(Note).where(Note.ticket_id == ticket.id)
                              .order_by(Note.id.desc())).first()
    assert note.kind is NoteKind.CUSTOMER_EMAIL and note.author_contact_id == world.contact.id
    assert [a.filename for a in note.attachments] == ["registro.txt"]
    db.session.commit()

    page.set_viewport_size(PHONE)
    page.reload()
    check_accessibility(page, "the ticket page on a phone")
    shot(page, f"portal-ticket-phone-{backend}")


def test_a_new_link_from_staff_kills_the_old_one_and_the_customer_asks_for_another(
        live_server, browser, world, backend):
    number = _ticket_with_conversation(world)
    agent = world.agent.email
    old = _link_of_latest_mail(world.contact.email)  # ends the transaction
    staff = browser.new_context(locale="es-ES").new_page()
    sign_in(staff, live_server, agent)
    staff.goto(f"{live_server}/operacion/ticket/{number}")
    staff.click("#send-portal-link")
    staff.wait_for_selector(".flash.info")
    assert "carla@acme.example" in staff.inner_text(".flash.info")
    shot(staff, f"portal-staff-new-link-{backend}")
    new = _link_of_latest_mail(world.contact.email, "portal_link")

    customer = browser.new_context(locale="es-ES").new_page()
    customer.goto(live_server + old)
    assert customer.get_attribute("#link-problem", "data-kind") == "revoked"
    check_accessibility(customer, "the page of a revoked link")
    shot(customer, f"portal-link-revoked-{backend}")
    customer.goto(live_server + new)
    assert number in customer.inner_text("h1")

    customer.goto(live_server + old)
    customer.click("#ask-new-link")
    customer.wait_for_url("**/portal/enlace")
    check_accessibility(customer, "the page asking for a new link")
    shot(customer, f"portal-request-link-{backend}")
    customer.fill("#email", "carla@acme.example")
    customer.click("#request-submit")
    customer.wait_for_selector("#link-requested")
    check_accessibility(customer, "the answer to a request for a link")
    shot(customer, f"portal-link-requested-{backend}")
    db.session.expire_all()
    mailed = _link_of_latest_mail(world.contact.email, "portal_links")
    customer.goto(live_server + mailed)
    assert number in customer.inner_text("h1")
