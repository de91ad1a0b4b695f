"""Every action of the ticket page, through the form a person submits; refusals by role and by
state come back as a message and change nothing; buttons appear only when they can work."""
import io
import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import OutboxMessage, QuoteStatus, TicketStatus
from tests import factories
from tests.factories import PASSWORD


def _login(client, user):
    assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302


def _act(client, ticket, action, **data):
    response = client.post(f"/operacion/ticket/{ticket.number}/{action}", data=data,
                           content_type="multipart/form-data")
    # a success (or a refusal by role) redirects; a refused value shows the page again, refilled
    assert response.status_code in (303, 422)
    if response.status_code == 303:
        response = client.get(f"/operacion/ticket/{ticket.number}")
    page = response.get_data(as_text=True)
    return re.findall(r'class="flash ([a-z]+)[^"]*"[^>]*>([^<]+)', page), page


def _fresh(ticket):
    db.session.expire_all()
    return ticket


def test_the_whole_workflow_through_the_forms(world, client):
    _login(client, world.supervisor)
    ticket = factories.new_ticket(world)
    _act(client, ticket, "assign", assignee_id=str(world.agent2.id))
    assert _fresh(ticket).assignee_id == world.agent2.id
    _act(client, ticket, "quote", price="120,50", estimated_hours="2", currency="usd",
         message="Cambio de disco")
    assert _fresh(ticket).status is TicketStatus.QUOTED
    assert ticket.current_quote.price == factories.money("120.50")
    _act(client, ticket, "approve", note="Aprobó por teléfono")
    assert _fresh(ticket).current_quote.status is QuoteStatus.APPROVED
    _act(client, ticket, "status", status="IN_PROGRESS", note="Empiezo")
    _act(client, ticket, "time", hours="1", minutes="15", note="Diagnóstico")
    assert _fresh(ticket).total_minutes == 75
    _act(client, ticket, "note", text="Interno", files=(io.BytesIO(b"log"), "log.txt"))
    _act(client, ticket, "reply", text="Ya casi", files=(io.BytesIO(b"%PDF-1.4"), "i.pdf"))
    _act(client, ticket, "status", status="RESOLVED", note="Listo")
    messages, page = _act(client, ticket, "close", note="Disco reemplazado")
    assert _fresh(ticket).status is TicketStatus.CLOSED
    assert {a.filename for a in ticket.attachments} == {"log.txt", "i.pdf"}
    kinds = [m.kind for m in db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.ticket_id == ticket.id))]
    assert {"assignment", "quote_request", "public_reply", "status_resolved", "closed"} <= set(kinds)
    assert 'id="action-reopen"' in page and 'id="action-note"' not in page  # read-only now
    _act(client, ticket, "reopen", note="Volvió a fallar")
    assert _fresh(ticket).status is TicketStatus.IN_PROGRESS


def test_refusals_say_what_to_do_and_change_nothing(world, client):
    _login(client, world.agent)
    ticket = factories.new_ticket(world)
    messages, _ = _act(client, ticket, "time", hours="1", minutes="0")
    assert messages[0][0] == "error" and "cotización" in messages[0][1]
    messages, _ = _act(client, ticket, "status", status="RESOLVED", note="x")
    assert "No puede pasar" in messages[0][1] or "no puede pasar" in messages[0][1]
    messages, _ = _act(client, ticket, "quote", price="10.555", estimated_hours="1", currency="USD")
    assert "dos decimales" in messages[0][1]
    messages, _ = _act(client, ticket, "status", status="IN_PROGRESS", note="")
    assert messages[0][0] == "error"
    assert _fresh(ticket).status is TicketStatus.NEW and ticket.total_minutes == 0


@pytest.mark.parametrize("role, allowed", [
    ("viewer", set()),
    ("agent", {"quote", "note", "reply", "close", "change_status_offered"}),
    ("supervisor", {"assign", "quote", "note", "reply", "close", "free", "change_status_offered"}),
])
def test_buttons_and_urls_follow_the_role(world, client, role, allowed):
    ticket = factories.new_ticket(world, contract_id=None)
    _login(client, getattr(world, role))
    page = client.get(f"/operacion/ticket/{ticket.number}").get_data(as_text=True)
    shown = {a for a in ("assign", "quote", "note", "reply", "close", "free")
             if f'id="action-{a}"' in page}
    assert shown == allowed - {"change_status_offered"}
    messages, _ = _act(client, ticket, "assign", assignee_id=str(world.agent.id))
    if "assign" in allowed:
        assert _fresh(ticket).assignee_id == world.agent.id
    else:
        assert messages[0][0] == "error" and _fresh(ticket).assignee_id is None


def test_the_page_shows_the_billing_basis_and_a_supervisor_re_evaluates_it(world, client):
    ticket = factories.new_ticket(world, contract_id=world.covering_contract.id)
    world.covering_contract.active = False  # ended in admin after the ticket was created
    db.session.commit()
    _login(client, world.agent)
    page = client.get(f"/operacion/ticket/{ticket.number}").get_data(as_text=True)
    assert "Cubierto por el contrato Soporte anual" in page
    assert 'id="action-reevaluate"' not in page
    messages, _ = _act(client, ticket, "reevaluate", note="")
    assert messages[0][0] == "error" and _fresh(ticket).is_free
    client.post("/logout")
    _login(client, world.supervisor)
    page = client.get(f"/operacion/ticket/{ticket.number}").get_data(as_text=True)
    assert 'id="action-reevaluate"' in page
    messages, page = _act(client, ticket, "reevaluate", note="El contrato terminó en octubre")
    assert messages[0][0] == "info"
    assert _fresh(ticket).billing_basis is None
    assert "Facturado: pendiente de cotización aprobada" in page
    assert ("Facturación: Cubierto por el contrato Soporte anual → "
            "Facturado: pendiente de cotización aprobada") in page
    assert "El contrato terminó en octubre" in page


def test_an_ended_contract_keeps_its_ticket_in_progress_free_on_the_page(world, client):
    ticket = factories.ticket_in(world, TicketStatus.IN_PROGRESS, free=True)
    world.covering_contract.active = False
    db.session.commit()
    _login(client, world.supervisor)
    messages, page = _act(client, ticket, "time", hours="0", minutes="40")
    assert messages[0][0] == "info" and _fresh(ticket).total_minutes == 40
    assert 'id="action-time"' in page and 'id="action-payment"' not in page
    assert 'id="action-free"' not in page  # made billed again only before work starts
    newcomer = factories.new_ticket(world, contract_id=world.covering_contract.id)
    page = client.get(f"/operacion/ticket/{newcomer.number}").get_data(as_text=True)
    assert "Facturado: pendiente de cotización aprobada" in page
    assert 'id="action-payment"' in page and 'id="action-time"' not in page


def test_no_quote_button_without_a_requester_to_send_it_to(world, client):
    ticket = factories.new_ticket(world, contact_id=None)
    _login(client, world.agent)
    page = client.get(f"/operacion/ticket/{ticket.number}").get_data(as_text=True)
    assert 'id="action-quote"' not in page and 'id="action-reply"' not in page
    assert 'id="action-note"' in page


def test_a_refused_form_names_the_files_it_could_not_keep(world, client):
    _login(client, world.agent)
    ticket = factories.new_ticket(world)
    messages, page = _act(client, ticket, "note", text="  ",
                          files=[(io.BytesIO(b"log"), "registro.txt"),
                                 (io.BytesIO(b"%PDF-1.4"), "<b>factura</b>.pdf")])
    errors = [text for kind, text in messages if kind == "error"]
    assert any("no se conservaron" in text and "registro.txt" in text for text in errors)
    assert "&lt;b&gt;factura&lt;/b&gt;.pdf" in page and "<b>factura</b>" not in page
    assert not _fresh(ticket).attachments
    # a refusal without files says nothing about files
    messages, _ = _act(client, ticket, "note", text="  ")
    assert not any("no se conservaron" in text for _, text in messages)


def test_a_first_quote_starts_in_the_companys_currency(app, world, client):
    _login(client, world.agent)
    ticket = factories.new_ticket(world)
    db.session.commit()
    page = client.get(f"/operacion/ticket/{ticket.number}").get_data(as_text=True)
    assert re.search(r'name="currency"[^>]*value="EUR"', page)
    app.config["SOPORTE_CURRENCY"] = "MXN"
    page = client.get(f"/operacion/ticket/{ticket.number}").get_data(as_text=True)
    assert re.search(r'name="currency"[^>]*value="MXN"', page)
