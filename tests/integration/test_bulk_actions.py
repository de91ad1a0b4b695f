"""Bulk actions from the list, through the form a person submits (and the service directly where
the transaction is the point): each ticket done or refused with the rule's reason, a refused
ticket never undoing the others nor sending its mail, wrong input refused as a whole."""
import re

import pytest
from sqlalchemy import func, select, text

from app.extensions import db
from app.models import Notification, OutboxMessage, TicketStatus
from app.models.ticket import Note, Ticket
from app.services import assignment, bulk_actions
from app.services.bulk_actions import BulkAction, BulkInput
from app.services.errors import ValidationFailed
from tests import factories
from tests.factories import PASSWORD


def _login(client, user):
    assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302


def _bulk(client, numbers, action, **data):
    """Post the toolbar's form; the answer's status and each result row as
    (number, "done"/"refused", detail)."""
    response = client.post("/operacion/ticket/lote",
                           data={"numbers": list(numbers), "action": action, **data})
    page = response.get_data(as_text=True)
    rows = re.findall(r'<tr class="bulk-(done|refused)" data-number="([^"]*)">.*?<td>([^<]*)</td>'
                      r'\s*</tr>', page, re.S)
    return response.status_code, {number: (state, detail.strip()) for state, number, detail in rows}, page


def _outbox(ticket, kind):
    return db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.ticket_id == ticket.id, OutboxMessage.kind == kind))


def _fresh(*tickets):
    db.session.expire_all()
    return tickets


def test_assigning_three_tickets_assigns_the_open_ones_and_reports_the_closed_one(world, client):
    first, second = factories.new_ticket(world), factories.new_ticket(world)
    closed = factories.ticket_in(world, TicketStatus.CLOSED)
    _login(client, world.supervisor)
    status, results, page = _bulk(client, [first.number, closed.number, second.number], "assign",
                                  assignee_id=str(world.agent2.id))
    assert status == 200
    assert results[first.number] == ("done", "Asignado a Agente Dos")
    assert results[second.number] == ("done", "Asignado a Agente Dos")
    assert results[closed.number][0] == "refused"
    assert f"El ticket {closed.number} está finalizado" in results[closed.number][1]
    assert list(results) == [first.number, closed.number, second.number]  # in the order selected
    _fresh()
    assert first.assignee_id == second.assignee_id == world.agent2.id
    assert closed.assignee_id is None
    # the new assignee is told of each ticket done, once, and of nothing else
    assert [_outbox(t, "assignment") for t in (first, second, closed)] == [1, 1, 0]
    assert db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == world.agent2.id)) == 2


def test_a_status_change_with_one_note_moves_every_ticket_it_may(world, client):
    free = [factories.new_ticket(world, contract_id=world.covering_contract.id) for _ in range(2)]
    billed = factories.new_ticket(world)  # needs an approved quote before work starts
    _login(client, world.agent)
    status, results, _ = _bulk(client, [t.number for t in (*free, billed)], "status",
                               status="IN_PROGRESS", note="Empezamos con todos")
    assert status == 200
    assert all(results[t.number] == ("done", "Estado: En proceso") for t in free)
    assert results[billed.number][0] == "refused" and "cotización" in results[billed.number][1]
    _fresh()
    assert [t.status for t in free] == [TicketStatus.IN_PROGRESS] * 2
    assert billed.status is TicketStatus.NEW
    for ticket in free:
        assert [n.body_text for n in ticket.notes] == ["Empezamos con todos"]
    assert billed.notes == []


def test_closing_with_one_resolution_mails_only_the_customers_of_tickets_closed(world, client):
    open_ones = [factories.new_ticket(world), factories.ticket_in(world, TicketStatus.IN_PROGRESS)]
    already = factories.ticket_in(world, TicketStatus.CLOSED)
    mails_before = _outbox(already, "closed")
    _login(client, world.agent)
    status, results, _ = _bulk(client, [t.number for t in (*open_ones, already)], "close",
                               note="Resuelto en la visita del martes")
    assert status == 200
    assert all(results[t.number] == ("done", "Ticket finalizado") for t in open_ones)
    assert results[already.number][0] == "refused"
    _fresh()
    assert all(t.status is TicketStatus.CLOSED for t in open_ones)
    assert [_outbox(t, "closed") for t in open_ones] == [1, 1]
    assert _outbox(already, "closed") == mails_before
    for ticket in open_ones:
        assert ticket.notes[-1].body_text == "Resuelto en la visita del martes"


def test_a_role_without_the_permission_is_refused_and_nothing_changes(world, client):
    ticket = factories.new_ticket(world, contract_id=world.covering_contract.id)
    _login(client, world.agent)
    status, results, page = _bulk(client, [ticket.number], "assign",
                                  assignee_id=str(world.agent.id))
    assert status == 403 and results == {}
    assert "No tiene permiso para asignar tickets" in page
    client.post("/logout")
    _login(client, world.viewer)
    for action, data in (("assign", {"assignee_id": str(world.agent.id)}),
                         ("status", {"status": "IN_PROGRESS", "note": "x"}),
                         ("close", {"note": "x"})):
        status, results, _ = _bulk(client, [ticket.number], action, **data)
        assert status == 403 and results == {}
    _fresh()
    assert ticket.assignee_id is None and ticket.status is TicketStatus.NEW


def test_the_toolbar_offers_only_what_the_role_allows(world, app):
    from flask import render_template
    from flask_login import login_user

    offered = {}
    for user in (world.viewer, world.agent, world.supervisor):
        with app.test_request_context("/operacion/ticket"):
            app.preprocess_request()
            login_user(user)
            html = render_template("tickets/_bulk_toolbar.html")
        offered[user.role.value] = re.findall(r'<option value="(assign|status|close)">', html)
        if offered[user.role.value]:
            assert '<form id="bulk-form" method="post" action="/operacion/ticket/lote"' in html
            assert 'name="csrf_token"' in html
    assert offered == {"VIEWER": [], "AGENT": ["status", "close"],
                       "SUPERVISOR": ["assign", "status", "close"]}


def test_wrong_input_is_refused_with_what_to_do_and_changes_nothing(world, client):
    ticket = factories.new_ticket(world, contract_id=world.covering_contract.id)
    _login(client, world.supervisor)
    status, _, page = _bulk(client, [], "close", note="x")
    assert status == 422 and "Seleccione al menos un ticket" in page
    status, _, page = _bulk(client, [ticket.number], "delete")
    assert status == 422 and 'id="bulk-error"' in page
    status, _, page = _bulk(client, [ticket.number], "assign", assignee_id="")
    assert status == 422 and 'id="bulk-error"' in page
    status, _, page = _bulk(client, [ticket.number], "assign", assignee_id="99999999999")
    assert status == 422
    status, _, page = _bulk(client, [ticket.number], "status", status="GONE", note="x")
    assert status == 422
    status, _, page = _bulk(client, [f"TCK-{n}" for n in range(101)], "close", note="x")
    assert status == 422 and "100" in page
    # a refused shared input (an empty note) refuses the run: even a ticket it could move stays
    status, _, page = _bulk(client, [ticket.number], "status", status="IN_PROGRESS", note=" ")
    assert status == 422 and "Escriba una nota que explique el cambio de estado" in page
    status, _, page = _bulk(client, [ticket.number], "assign", assignee_id=str(world.viewer.id))
    assert status == 422
    _fresh()
    assert ticket.status is TicketStatus.NEW and ticket.assignee_id is None
    assert ticket.notes == [] and _outbox(ticket, "assignment") == 0


def test_unknown_numbers_are_reported_not_found_and_the_others_done(world, client):
    ticket = factories.new_ticket(world)
    _login(client, world.supervisor)
    status, results, _ = _bulk(client, ["TCK-999999", ticket.number, "<b>x</b>", ticket.number],
                               "assign", assignee_id=str(world.agent.id))
    assert status == 200
    assert list(results) == ["TCK-999999", ticket.number, "&lt;b&gt;x&lt;/b&gt;"]  # escaped
    assert results["TCK-999999"][0] == "refused"
    assert "TCK-999999" in results["TCK-999999"][1]
    assert results[ticket.number][0] == "done"
    _fresh()
    assert ticket.assignee_id == world.agent.id


def test_the_result_page_links_back_to_the_list_as_it_was(world, client):
    ticket = factories.new_ticket(world)
    _login(client, world.supervisor)
    _, _, page = _bulk(client, [ticket.number], "assign", assignee_id=str(world.agent.id),
                       back="status=NEW&q=servidor&x=%22%3E&status=IN_PROGRESS&page=3")
    # the list's filter, canonical: both statuses, nothing that is not the list's
    assert ('href="/operacion/ticket?q=servidor&amp;status=NEW&amp;status=IN_PROGRESS" '
            'id="bulk-back"') in page
    for foreign in ("//evil.com", "//evil.com/?status=NEW", "https://evil.com/"):
        _, _, page = _bulk(client, [ticket.number], "assign", assignee_id=str(world.agent.id),
                           back=foreign)
        link = re.search(r'href="([^"]*)" id="bulk-back"', page).group(1)
        assert link.startswith("/operacion/ticket") and "evil" not in link


def test_a_role_refused_the_action_gets_403_before_its_fields_are_read(world, client):
    ticket = factories.new_ticket(world)
    _login(client, world.agent)  # an agent may not assign
    status, results, page = _bulk(client, [ticket.number], "assign", assignee_id="nadie")
    assert status == 403 and results == {}
    assert "No tiene permiso para asignar tickets" in page
    client.post("/logout")
    _login(client, world.viewer)  # a viewer may not change a status
    status, results, _ = _bulk(client, [ticket.number], "status", status="NO-EXISTE", note="x")
    assert status == 403 and results == {}
    _fresh()
    assert ticket.assignee_id is None and ticket.status is TicketStatus.NEW


def test_the_toolbar_names_the_statuses_whose_note_the_customer_receives(world, client):
    _login(client, world.agent)
    hint = re.search(r'id="bulk-hint">(.*?)</p>', client.get("/operacion/ticket")
                     .get_data(as_text=True), re.S).group(1)
    assert "Resuelto" in hint


def test_one_refused_ticket_leaves_the_others_committed(world, app):
    """The savepoint per ticket: a ticket refused after its action wrote a note, a history line
    and a customer's mail (another transaction saved it meanwhile) loses all of them; the
    others stay, committed."""
    first, stale, last = (factories.new_ticket(world) for _ in range(3))
    numbers = [first.number, stale.number, last.number]
    stale_id = stale.id
    assert stale.lock_version  # read now, so the session keeps this version ...
    db.session.execute(text("UPDATE ticket SET lock_version = lock_version + 1 WHERE id = :id"),
                       {"id": stale.id})  # ... while "someone else" saves the ticket
    results = bulk_actions.run_bulk(world.agent, numbers, "close", BulkInput(note="Cerrado en lote"))
    db.session.commit()
    assert [r.done for r in results] == [True, False, True]
    assert results[1].error.code == "conflict"
    db.session.remove()  # read back what was committed, through a new session
    first, stale, last = (db.session.scalar(select(Ticket).where(Ticket.number == n))
                          for n in numbers)
    assert first.status is last.status is TicketStatus.CLOSED
    assert stale.status is TicketStatus.NEW and stale.id == stale_id
    assert db.session.scalar(select(func.count()).select_from(Note).where(
        Note.ticket_id == stale.id)) == 0
    assert _outbox(stale, "closed") == 0
    assert [_outbox(first, "closed"), _outbox(last, "closed")] == [1, 1]


def test_a_refused_shared_input_undoes_the_whole_run_in_the_service(world, monkeypatch):
    """A ValidationFailed raised by a later ticket (the first one done already) leaves nothing
    of the run, even for a caller that commits afterwards."""
    first, second = factories.new_ticket(world), factories.new_ticket(world)

    def assign_but_refuse_the_second(actor, ticket, given):
        assignment.assign(actor, ticket, given.assignee_id)
        if ticket.number == second.number:
            raise ValidationFailed("refused input", field="assignee_id")

    monkeypatch.setitem(bulk_actions.ACTIONS, "assign",
                        BulkAction(assignment.check_may_assign, assign_but_refuse_the_second))
    with pytest.raises(ValidationFailed):
        bulk_actions.run_bulk(world.supervisor, [first.number, second.number], "assign",
                              BulkInput(assignee_id=world.agent.id))
    db.session.commit()
    _fresh()
    assert first.assignee_id is None and second.assignee_id is None
    assert _outbox(first, "assignment") == 0
