"""The new-ticket form in a browser (CSRF on): a client changed without pressing Continue is the
client the ticket is saved under; a requester of the client chosen before is refused, with what
to do, and what was typed stays."""
import re

from sqlalchemy import select

from app.extensions import db
from app.models import Ticket
from tests.e2e.browsing import shot, sign_in


def test_changing_the_client_without_continue_saves_under_the_client_shown(live_server, page,
                                                                           world, backend):
    acme, other, agent = str(world.client.id), str(world.other_client.id), world.agent.email
    db.session.commit()  # read first: a later read would hold SQLite's write lock
    sign_in(page, live_server, agent)
    page.goto(f"{live_server}/operacion/ticket/nuevo")
    page.select_option("#client_id", acme)
    page.click("#choose-client")
    page.select_option("select[name=contact_id]", label="Carla Cliente <carla@acme.example>")
    page.fill("textarea[name=description]", "La impresora de Otra Empresa no imprime")
    page.select_option("#client_id", other)  # and no Continue
    page.click("#save-ticket")
    page.wait_for_load_state()
    body = page.inner_text("main")
    assert "pulse Continuar" in body and "vuelva a elegirlos" in body
    assert page.input_value("textarea[name=description]") == \
        "La impresora de Otra Empresa no imprime"
    assert page.input_value("#client_id") == other
    assert "Carla" not in page.inner_text("select[name=contact_id]")
    shot(page, f"new-ticket-other-client-{backend}")
    page.select_option("select[name=contact_id]", label="Omar <omar@otra.example>")
    page.click("#save-ticket")
    page.wait_for_url(re.compile(r".*/operacion/ticket/TCK-\d+$"))
    ticket = db.session.scalars(select(Ticket)).one()
    assert ticket.client.name == "Otra Empresa" and ticket.contact.name == "Omar"
    db.session.commit()
