"""The customer's rating in headless Chromium, as a customer does it: open the link of the closing
email, choose 4 and write a comment, send, see the thanks; open the link again: already rated.
Then the supervisor sees it on the ticket page and in the satisfaction report. axe-core checks
every page (WCAG 2 A/AA); screenshots go to test-artifacts/."""
import re

from sqlalchemy import select

from app.extensions import db
from app.models import OutboxMessage, TicketRating
from app.services import assignment, status_changes
from tests import factories
from tests.e2e.accessibility import check_accessibility
from tests.e2e.browsing import PHONE, shot, sign_in


def _rating_link(ticket, base: str) -> str:
    """The rating link of the closing mail, pointed at the test server."""
    mail = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.kind == "closed", OutboxMessage.ticket_id == ticket.id)).one()
    path = re.search(r"https?://\S+?(/portal/valorar/\S+)", mail.body_text).group(1)
    return base + path


def test_the_customer_rates_from_the_closing_mail_once(live_server, browser, world, backend):
    ticket = factories.new_ticket(world)
    assignment.assign(world.supervisor, ticket, world.agent2.id)
    status_changes.close_ticket(world.agent, ticket, "Sustituimos el disco dañado")
    db.session.commit()
    link, number = _rating_link(ticket, live_server), ticket.number
    db.session.commit()  # hold no transaction while the browser works (on SQLite it is the lock)

    customer = browser.new_context(locale="es-ES", viewport=PHONE, is_mobile=True,
                                   has_touch=True).new_page()
    customer.goto(link)
    assert customer.inner_text("h1") == "¿Qué tal le atendimos?"
    assert number in customer.inner_text("main")
    check_accessibility(customer, "rating form")
    shot(customer, f"rating-form-{backend}")
    customer.get_by_label("Buena").check()  # the radio button's own label: 4 · Buena
    customer.fill("#comment", "Muy rápidos, gracias")
    customer.click("#send-rating")
    customer.wait_for_selector("#rated")
    assert customer.inner_text("h1") == "Gracias por su valoración"
    assert customer.inner_text("#rated-score") == "4 de 5"
    check_accessibility(customer, "rating thanks")
    shot(customer, f"rating-thanks-{backend}")

    customer.goto(link)  # the link again (a second visit, or a mail scanner afterwards)
    assert customer.inner_text("h1") == "Este ticket ya está valorado"
    assert customer.query_selector("#rating-form") is None
    assert "Muy rápidos, gracias" in customer.inner_text("#rated-comment")
    shot(customer, f"rating-already-{backend}")
    db.session.expire_all()
    ratings = db.session.scalars(select(TicketRating)).all()
    assert [(r.score, r.comment, r.agent_id) for r in ratings] == [
        (4, "Muy rápidos, gracias", world.agent2.id)]
    db.session.commit()

    staff = browser.new_context(locale="es-ES").new_page()
    sign_in(staff, live_server, world.supervisor.email)
    staff.goto(f"{live_server}/operacion/ticket/{number}")
    assert "4 de 5" in staff.inner_text("#ticket-rating")
    assert "Agente Dos" in staff.inner_text("#ticket-rating")
    shot(staff, f"rating-ticket-page-{backend}")
    staff.goto(f"{live_server}/informes")
    staff.click("#satisfaction-link")
    staff.wait_for_url("**/informes/satisfaccion**")
    assert "Agente Dos" in staff.inner_text("#satisfaction-per-agent")
    assert "4,00" in staff.inner_text("#satisfaction-per-agent")
    check_accessibility(staff, "satisfaction report")
    shot(staff, f"rating-report-{backend}")


def test_a_second_send_from_an_old_tab_is_refused(live_server, browser, world, backend):
    """Two tabs of the form: the first sends, the second's send says it is rated already and
    changes nothing."""
    ticket = factories.new_ticket(world)
    status_changes.close_ticket(world.agent, ticket, "Hecho")
    db.session.commit()
    link = _rating_link(ticket, live_server)
    db.session.commit()
    context = browser.new_context(locale="es-ES")
    first, second = context.new_page(), context.new_page()
    first.goto(link)
    second.goto(link)
    first.get_by_label("Excelente").check()
    first.click("#send-rating")
    first.wait_for_selector("#rated")
    second.get_by_label("Muy mala").check()
    second.click("#send-rating")
    second.wait_for_selector("#rated[data-refused]")
    assert "ya ha sido valorado" in second.inner_text("#rated")
    assert second.inner_text("#rated-score") == "5 de 5"
    check_accessibility(second, "rating refused")
    shot(second, f"rating-second-send-{backend}")
    db.session.expire_all()
    assert [r.score for r in db.session.scalars(select(TicketRating))] == [5]
    db.session.commit()
