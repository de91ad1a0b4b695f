"""The dashboard in headless Chromium (Playwright driving the system browser): sign in, search,
open a ticket, quote it, see that work cannot start yet, sign out. Screenshots go to
test-artifacts/."""
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from app.extensions import db
from app.models import TicketStatus
from tests import factories
from tests.dovecot import free_port
from tests.factories import PASSWORD

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture
def live_server(app, world):
    """The app served over HTTP on a loopback port, CSRF on, as in production."""
    app.config["WTF_CSRF_ENABLED"] = True
    db.session.commit()
    server = make_server("127.0.0.1", free_port(), app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture
def page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        context = browser.new_context(locale="es-ES", viewport={"width": 1280, "height": 900})
        yield context.new_page()
        browser.close()


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_sign_in_find_quote_and_refusal(live_server, page, world, backend):
    ticket = factories.new_ticket(world, description="La impresora de caja no imprime")
    number, email = ticket.number, world.supervisor.email
    db.session.commit()  # hold no transaction while the browser works (on SQLite it is the lock)
    page.goto(f"{live_server}/operacion/ticket")
    assert "/login" in page.url
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("#sign-in")
    page.wait_for_url("**/operacion/ticket")
    _shot(page, f"list-{backend}")
    page.fill("input[name=q]", "impresora")
    page.click("text=Filtrar")
    assert "q=impresora" in page.url
    page.click(f"text={number}")
    page.wait_for_url(f"**/operacion/ticket/{number}")
    page.fill("#action-quote input[name=price]", "150")
    page.fill("#action-quote input[name=estimated_hours]", "2")
    page.click("#action-quote button")
    page.wait_for_selector(".flash.info")
    assert page.inner_text("#status") == "Cotizado"
    _shot(page, f"ticket-{backend}")
    # billed and not approved yet: no time form, no "start work" among the status choices
    assert page.query_selector("#action-time") is None
    assert page.query_selector("#action-status") is None
    page.click("text=Cerrar sesión")
    page.wait_for_url("**/login")
    db.session.expire_all()
    assert ticket.status is TicketStatus.QUOTED
    db.session.commit()
