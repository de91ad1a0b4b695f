"""The dashboard in headless Chromium (Playwright driving the system browser): sign in, search,
open a ticket, quote it, see that work cannot start yet, sign out. Screenshots go to
test-artifacts/."""
from app.extensions import db
from app.models import TicketStatus
from tests import factories
from tests.e2e.browsing import shot as _shot
from tests.e2e.browsing import sign_out
from tests.factories import PASSWORD


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
    sign_out(page)
    db.session.expire_all()
    assert ticket.status is TicketStatus.QUOTED
    db.session.commit()
