"""Canned replies in the browser: a supervisor writes one on the management page (an unknown
placeholder refused under the text box first), an agent on a ticket picks it by keyboard, the
reply box gets it filled for the ticket at the cursor, and the reply is sent. Screenshots go
to test-artifacts/ (canned-replies.png is the ticket page with the filled reply)."""
from playwright.sync_api import expect
from sqlalchemy import select

from app.extensions import db
from app.models import Note, NoteKind, Ticket
from tests import factories
from tests.e2e.accessibility import check_accessibility
from tests.e2e.browsing import DESKTOP, PHONE, shot, sign_in

BODY = "Hola {solicitante}:\nSu ticket {ticket} de {cliente} está en curso.\n{agente}"


def test_a_supervisor_writes_a_reply_and_an_agent_sends_it_filled(live_server, browser, page,
                                                                  world, backend):
    ticket = factories.new_ticket(world)
    number, supervisor, agent = ticket.number, world.supervisor.email, world.agent.email
    db.session.commit()  # no transaction held while the browser works (SQLite's lock)

    sign_in(page, live_server, supervisor)
    page.goto(f"{live_server}/operacion/respuestas")
    page.fill("#new-canned-reply-title", "Seguimiento")
    page.fill("#new-canned-reply-body", "Hola {nombre}")
    page.click("#new-canned-reply-save")
    error = page.locator("#new-canned-reply-error-body")
    assert "{nombre}" in error.inner_text() and "{solicitante}" in error.inner_text()
    assert page.input_value("#new-canned-reply-title") == "Seguimiento"  # kept as typed
    page.fill("#new-canned-reply-body", BODY)
    page.click("#new-canned-reply-save")
    page.wait_for_selector("#canned-replies")
    assert "Seguimiento" in page.inner_text("#canned-replies")
    check_accessibility(page, "the canned replies page")
    shot(page, f"canned-replies-manage-{backend}")

    desk = browser.new_context(locale="es-ES", viewport=DESKTOP).new_page()
    sign_in(desk, live_server, agent)
    desk.goto(f"{live_server}/operacion/ticket/{number}")
    box = desk.locator("#action-reply #reply-text")
    box.fill("Buenos días.")  # the cursor ends after it: the reply goes there, on its own line
    picker = desk.locator("#action-reply [data-canned-select]")
    picker.focus()
    picker.select_option(label="Seguimiento")
    desk.keyboard.press("Tab")  # to "Insert"
    desk.keyboard.press("Enter")
    filled = (f"Buenos días.\nHola Carla Cliente:\nSu ticket {number} de Acme S.A. está en "
              f"curso.\nAgente Uno")
    expect(box).to_have_value(filled)
    assert desk.evaluate("document.activeElement.id") == "reply-text"
    check_accessibility(desk, "the ticket page with the canned reply picker")
    shot(desk, "canned-replies")
    desk.set_viewport_size(PHONE)
    shot(desk, f"canned-replies-phone-{backend}")
    desk.set_viewport_size(DESKTOP)

    desk.click("#action-reply button[type=submit]")
    desk.locator("#timeline").get_by_text("está en curso", exact=False).first.wait_for()
    db.session.expire_all()
    saved = db.session.scalars(select(Ticket).where(Ticket.number == number)).one()
    reply = db.session.scalars(select(Note).where(Note.ticket_id == saved.id,
                                                  Note.kind == NoteKind.PUBLIC_REPLY)).one()
    assert reply.body_text.replace("\r\n", "\n") == filled  # a form sends CRLF lines
    db.session.commit()
