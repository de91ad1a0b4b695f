"""Editing a ticket in the browser: from the ticket page's "Editar" link, a ticket that came by
email with the default urgency and no type gets both, and its page and history show them.
Screenshots go to test-artifacts/."""
from sqlalchemy import select

from app.extensions import db
from app.models import Ticket
from tests import factories
from tests.e2e.browsing import shot, sign_in


def test_an_agent_sets_urgency_and_type_from_the_ticket_page(live_server, page, world, backend):
    ticket = factories.new_ticket(world)
    number, agent, type_id, type_name = (ticket.number, world.agent.email, world.ticket_type.id,
                                         world.ticket_type.name)
    db.session.commit()  # no transaction held while the browser works (SQLite's lock)
    sign_in(page, live_server, agent)

    page.goto(f"{live_server}/operacion/ticket/{number}")
    page.click("#edit-ticket-link")
    page.wait_for_selector("#edit-ticket")
    assert page.input_value("select[name=urgency]") == "MEDIUM"
    page.select_option("select[name=urgency]", "HIGH")
    page.select_option("select[name=type_id]", label=type_name)
    shot(page, f"edit-ticket-form-{backend}")
    page.click("#save-edit")
    page.wait_for_url(f"**/operacion/ticket/{number}")

    assert "Guardado: tipo, urgencia" in page.inner_text(".flash")
    fields = page.inner_text("#ticket-fields")
    assert "Alta" in fields and type_name in fields
    timeline = page.inner_text("#timeline")
    assert "Urgencia: Media → Alta" in timeline and f"Tipo: — → {type_name}" in timeline
    shot(page, f"edit-ticket-saved-{backend}")
    db.session.expire_all()
    saved = db.session.scalars(select(Ticket).where(Ticket.number == number)).one()
    assert saved.urgency.value == "HIGH" and saved.type_id == type_id
    db.session.commit()
