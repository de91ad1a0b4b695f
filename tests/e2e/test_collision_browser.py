"""Collision detection in two browsers (two users) on the same ticket: each sees the other, and
sees them writing a reply; a reply written while the customer wrote again is held back with
the new message shown, and sent when confirmed; a page whose session ended goes to the
sign-in page (not a sign-in form inside the presence box) and back."""
import re

from playwright.sync_api import expect

from app.extensions import db
from app.services import accounts, customer_mail
from app.services.customer_mail import CustomerEmail
from tests import factories
from tests.e2e.browsing import DESKTOP, shot, sign_in
from tests.factories import PASSWORD


def _open(browser, live_server, email, number):
    page = browser.new_context(locale="es-ES", viewport=DESKTOP).new_page()
    sign_in(page, live_server, email)
    page.goto(f"{live_server}/operacion/ticket/{number}")
    return page


def test_two_users_on_one_ticket_see_each_other_and_the_reply_guard(app, world, live_server,
                                                                     browser):
    app.config["SOPORTE_PRESENCE_REFRESH_SECONDS"] = 1  # the box refreshes every second here
    ticket = factories.new_ticket(world)
    number, ana, beto = ticket.number, world.agent.email, world.agent2.email
    db.session.commit()  # values read, transaction ended: the server's requests need the database
    ana_page = _open(browser, live_server, ana, number)
    beto_page = _open(browser, live_server, beto, number)

    expect(ana_page.locator("#presence")).to_contain_text(
        "Agente Dos también está viendo este ticket")
    expect(beto_page.locator("#presence")).to_contain_text(
        "Agente Uno también está viendo este ticket")
    expect(ana_page.locator("#presence")).to_have_attribute("aria-live", "polite")

    beto_page.fill("#reply-text", "Hola Carla, ")
    expect(ana_page.locator("#presence")).to_contain_text(
        "Agente Dos está escribiendo una respuesta")
    shot(ana_page, "collision")
    beto_page.fill("#reply-text", "")
    expect(ana_page.locator("#presence")).to_contain_text(
        "Agente Dos también está viendo este ticket")

    # Ana writes a reply; meanwhile the customer writes again
    ana_page.fill("#reply-text", "Reinicie el equipo, por favor.")
    customer_mail.receive(world.contact, CustomerEmail(
        subject=f"Re: [{number}] Servidor caído", text="Ahora tampoco enciende la pantalla.",
        html=None, uploads=[]), ticket)
    db.session.commit()
    ana_page.click("#action-reply button[type=submit]:has-text('Enviar respuesta')")
    guard = ana_page.locator("#reply-guard")
    expect(guard).to_contain_text("El cliente escribió de nuevo desde que abrió la página")
    expect(guard).to_contain_text("Ahora tampoco enciende la pantalla.")
    expect(ana_page.locator("#reply-text")).to_have_value("Reinicie el equipo, por favor.")
    shot(ana_page, "collision-reply-guard")
    ana_page.click("#confirm-newer")
    expect(ana_page.locator("body")).to_contain_text("Respuesta enviada")
    expect(ana_page.locator("#reply-guard")).to_have_count(0)


def test_a_session_ended_elsewhere_takes_the_page_to_sign_in_and_back(app, world, live_server,
                                                                       browser):
    app.config["SOPORTE_PRESENCE_REFRESH_SECONDS"] = 1
    ticket = factories.new_ticket(world)
    number, ana = ticket.number, world.agent.email
    db.session.commit()
    page = _open(browser, live_server, ana, number)
    expect(page.locator("#presence")).to_have_count(1)
    # the session ends while the page is open (signed out in another browser)
    accounts.end_sessions(db.session.get(type(world.agent), world.agent.id))
    db.session.commit()
    expect(page).to_have_url(re.compile(r"/login\?next=%2Foperacion%2Fticket%2F" + number + "$"))
    expect(page.locator("#presence")).to_have_count(0)  # the page itself, not a box inside it
    sign_in_form = page.locator("form").filter(has=page.locator("input[type=password]"))
    expect(sign_in_form).to_have_count(1)
    page.fill("input[name=email]", ana)
    page.fill("input[name=password]", PASSWORD)
    page.click("#sign-in")
    expect(page).to_have_url(re.compile(r"/operacion/ticket/" + number + "$"))
