"""The ticket page's defects found by use (issue 11): what the status form says before mailing
the customer, refusals that say what would allow a move, forms that keep what was typed, success
messages that say what happened, the time form's reason and empty start, the timeline's lines,
and numbers in the reader's language."""
import re

from app.extensions import db
from app.models import TicketStatus
from tests import factories
from tests.factories import PASSWORD


def _login(client, user):
    assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302


def _post(client, ticket, action, **data):
    """Submit one form; the flashed messages and the page shown after it."""
    response = client.post(f"/operacion/ticket/{ticket.number}/{action}", data=data,
                           content_type="multipart/form-data")
    if response.status_code == 303:
        response = client.get(f"/operacion/ticket/{ticket.number}")
        status = 303
    else:
        status = response.status_code
    page = response.get_data(as_text=True)
    return status, re.findall(r'class="flash ([a-z]+)[^"]*"[^>]*>([^<]+)', page), page


def _page(client, ticket):
    return client.get(f"/operacion/ticket/{ticket.number}").get_data(as_text=True)


def _form(page, action):
    match = re.search(rf'<form[^>]*id="action-{action}".*?</form>', page, re.S)
    return match.group(0) if match else ""


def _refused(page, action):
    """The text shown where the action's form would be."""
    match = re.search(rf'id="{action}-refused"[^>]*>(.*?)</p>', page, re.S)
    return match.group(1) if match else ""


def test_the_status_form_says_which_note_goes_to_the_customer(world, client):
    ticket = factories.ticket_in(world, TicketStatus.IN_PROGRESS)
    _login(client, world.agent)
    form = _form(_page(client, ticket), "status")
    assert "se envía al cliente" in form and "Resuelto" in form


def test_a_refused_status_change_says_what_would_allow_a_move(world, client):
    ticket = factories.new_ticket(world)
    _login(client, world.agent)
    _status, messages, _page_ = _post(client, ticket, "status", status="RESOLVED", note="x")
    assert "—" not in messages[0][1]
    assert "cotización" in messages[0][1] and "gratuito" in messages[0][1]


def test_a_refused_form_keeps_what_was_typed(world, client):
    ticket = factories.new_ticket(world)
    _login(client, world.agent)
    status, messages, page = _post(client, ticket, "quote", price="10.555",
                                   estimated_hours="3", currency="EUR", message="Cambio de RAM")
    assert status == 422 and messages[0][0] == "error"
    form = _form(page, "quote")
    assert 'value="10.555"' in form and 'value="3"' in form and 'value="EUR"' in form
    assert "Cambio de RAM" in form


def test_each_success_says_what_happened(world, client):
    ticket = factories.new_ticket(world)
    _login(client, world.supervisor)
    assert _post(client, ticket, "assign", assignee_id=str(world.agent2.id))[1] == [
        ("info", "Asignado a Agente Dos")]
    messages = _post(client, ticket, "quote", price="150.5", estimated_hours="2",
                     currency="USD")[1]
    assert messages == [("info", "Cotización v1 enviada a carla@acme.example")]
    _post(client, ticket, "approve", note="Por teléfono")
    assert _post(client, ticket, "status", status="IN_PROGRESS", note="Empiezo")[1] == [
        ("info", "Estado: En proceso")]
    assert _post(client, ticket, "time", hours="1", minutes="15")[1] == [
        ("info", "Registrados 1 h 15 min")]
    assert _post(client, ticket, "note", text="Interno")[1] == [("info", "Nota añadida")]


def test_the_time_form_says_why_it_is_missing_and_starts_empty(world, client):
    ticket = factories.new_ticket(world)
    _login(client, world.agent)
    page = _page(client, ticket)
    assert 'id="action-time"' not in page
    assert "cotización" in _refused(page, "time")
    free = factories.ticket_in(world, TicketStatus.IN_PROGRESS, free=True)
    form = _form(_page(client, free), "time")
    assert 'value="30"' not in form and 'value="0"' not in form
    status, messages, _p = _post(client, free, "time", hours="", minutes="")
    assert status == 422 and "al menos un minuto" in messages[0][1]


def test_the_status_form_says_why_no_move_is_offered(world, client):
    ticket = factories.ticket_in(world, TicketStatus.QUOTED)
    _login(client, world.agent)
    page = _page(client, ticket)
    assert "aprobación" in _refused(page, "status")


def test_the_timeline_reads_once_per_event_with_the_quote_as_sent(world, client):
    ticket = factories.ticket_in(world, TicketStatus.QUOTED)
    factories.quote(world, ticket, price="120")  # v2 while Quoted
    factories.ticket_in(world, TicketStatus.NEW)
    _login(client, world.supervisor)
    _post(client, ticket, "approve", note="Por teléfono")
    _post(client, ticket, "status", status="IN_PROGRESS", note="Empiezo")
    _post(client, ticket, "time", hours="0", minutes="40", note="Diagnóstico")
    timeline = _page(client, ticket).split('id="timeline"')[1]
    assert "Cotizado → Cotizado" not in timeline
    assert "Presupuesto" in timeline  # the quote's message
    assert timeline.count("Diagnóstico") == 1 and "Tiempo registrado:" not in timeline
    assert re.search(r"v2: [^<]*— enviada", timeline)
    assert "Cotización: Cotizado → Aprobado" in timeline


def test_numbers_sizes_and_counts_in_spanish(world, client):
    ticket = factories.new_ticket(world)
    factories.quote(world, ticket, price="150.50", hours="2.5")
    _login(client, world.agent)
    page = _page(client, ticket)
    assert "150,50" in page and "2,5 h" in page and "150.50" not in page
    listing = client.get("/operacion/ticket").get_data(as_text=True)
    assert re.search(r"\b1 ticket ", listing) and "1 tickets" not in listing
    db.session.expire_all()
