"""The ticket list as an agent lives in it, in Chromium: a filter saved as a view appears in the
sidebar with its live count and opens that filter; one line per ticket on a laptop (1366 px),
a card per ticket with the views folded above the list on a phone (390 px); the customer-waiting
marker; "select all on this page"; no serious axe violation. Screenshots:
test-artifacts/list-desktop.png and list-phone.png."""
from playwright.sync_api import expect

from app.extensions import db
from app.models import Urgency
from mail_ingest.ingest import ingest
from tests import factories
from tests import mail_corpus as corpus
from tests.e2e.accessibility import describe, serious_violations
from tests.e2e.browsing import PHONE, shot, sign_in

LAPTOP = {"width": 1366, "height": 768}
VIEW_NAME = "Críticos de Acme"


def _world_of_tickets(world):
    """Five open tickets, two of them critical; the customer wrote last on one of those (which
    is returned)."""
    for subject in ("Impresora atascada en la segunda planta, no imprime nada desde ayer",
                    "Correo lento", "VPN sin conexión"):
        factories.new_ticket(world, subject=subject)
    factories.new_ticket(world, subject="Servidor caído", urgency=Urgency.CRITICAL)
    waiting = factories.new_ticket(world, subject="Sin red en la oficina",
                                   urgency=Urgency.CRITICAL)
    ingest("INBOX", 1, "1", corpus.simple(subject=f"Re: [{waiting.number}] sigue sin red",
                                          body="¿Alguna novedad?"))
    return waiting


def _no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def _assert_accessible(page) -> None:
    violations = serious_violations(page)
    assert not violations, describe(violations)


def test_a_saved_filter_shows_in_the_sidebar_with_its_count_on_a_laptop_and_a_phone(
        live_server, browser, world):
    waiting = _world_of_tickets(world).number
    email = world.agent.email
    db.session.commit()  # no transaction held while the browser works (SQLite's lock)

    laptop = browser.new_context(locale="es-ES", viewport=LAPTOP).new_page()
    sign_in(laptop, live_server, email)
    expect(laptop.locator("tr.ticket-row")).to_have_count(5)
    # the filter: critical tickets
    laptop.select_option("#filter-urgency", "CRITICAL")
    laptop.click("#apply-filters")
    laptop.wait_for_url("**urgency=CRITICAL**")
    expect(laptop.locator("tr.ticket-row")).to_have_count(2)
    # saved as a view, which the sidebar shows selected, with its count
    laptop.fill("#save-view-name", VIEW_NAME)
    laptop.click("#save-view")
    laptop.wait_for_load_state()
    saved = laptop.locator("#views a.view-link", has_text=VIEW_NAME)
    expect(saved).to_have_attribute("aria-current", "page")
    expect(saved.locator(".view-count")).to_have_text("2")
    expect(laptop.locator("#view-critical .view-count")).to_have_text("2")
    # one line per ticket; the customer's last word is marked on its row
    for box in laptop.locator("tr.ticket-row").all():
        assert box.bounding_box()["height"] < 48
    waiting_row = laptop.locator("tr.ticket-row", has_text=waiting)
    expect(waiting_row.locator(".customer-waiting")).to_be_visible()
    assert _no_sideways_scroll(laptop)
    # select all on this page ticks every row
    laptop.check("#select-all")
    expect(laptop.locator("tr.ticket-row input[name=numbers]:checked")).to_have_count(2)
    _assert_accessible(laptop)
    laptop.uncheck("#select-all")
    # the view is the saved filter, from anywhere
    laptop.goto(f"{live_server}/operacion/ticket")
    expect(laptop.locator("tr.ticket-row")).to_have_count(5)
    shot(laptop, "list-desktop")
    laptop.locator("#views a.view-link", has_text=VIEW_NAME).click()
    laptop.wait_for_url("**urgency=CRITICAL**")
    expect(laptop.locator("tr.ticket-row")).to_have_count(2)
    laptop.context.close()

    phone = browser.new_context(locale="es-ES", viewport=PHONE).new_page()
    sign_in(phone, live_server, email)
    views = phone.locator("#views")
    expect(views).to_be_hidden()  # folded above the list
    phone.click("#views-toggle")
    expect(views).to_be_visible()
    saved = views.locator("a.view-link", has_text=VIEW_NAME)
    expect(saved.locator(".view-count")).to_have_text("2")
    assert _no_sideways_scroll(phone)
    _assert_accessible(phone)
    shot(phone, "list-phone")
    saved.click()
    phone.wait_for_url("**urgency=CRITICAL**")
    cards = phone.locator("tr.ticket-row")
    expect(cards).to_have_count(2)
    for card in cards.all():
        box = card.bounding_box()
        assert box["width"] <= PHONE["width"] and box["height"] > 48  # a card, several lines
    assert _no_sideways_scroll(phone)
    # a tap on the card opens the ticket
    cards.filter(has_text=waiting).locator("td.subject").click()
    phone.wait_for_url(f"**/operacion/ticket/{waiting}")
    phone.context.close()
