"""The ticket page's time entries (issue 13): each shows its amount and whether it is billable;
a supervisor toggles billable, the author or a supervisor edits or deletes it through small
forms, and a billed entry is refused with the message until its batch is unlocked. Rates are
set in /admin on clients and contracts, through the services' rules."""
import datetime as dt
import re
from decimal import Decimal

from sqlalchemy import select

from app.extensions import db
from app.models import TicketStatus, TimeEntry
from app.services import worklog
from app.services.billing import batches, coverage
from tests import factories
from tests.factories import PASSWORD


def _login(client, user):
    assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302


def _act(client, ticket, action, **data):
    response = client.post(f"/operacion/ticket/{ticket.number}/{action}", data=data)
    status = response.status_code
    if status == 303:
        response = client.get(f"/operacion/ticket/{ticket.number}")
    page = response.get_data(as_text=True)
    return status, re.findall(r'class="flash ([a-z]+)[^"]*"[^>]*>([^<]+)', page), page


def _entry(world, minutes=30):
    ticket = factories.ticket_in(world, TicketStatus.IN_PROGRESS)
    # billed by time: valued at the rate and billable, not covered by the quote's hours
    coverage.set_billing_by_time(world.supervisor, ticket, True)
    entry = worklog.log_time(world.agent, ticket, 0, minutes, "Diagnóstico")
    db.session.commit()
    return ticket, entry


def test_each_entry_shows_its_amount_and_billable_flag_and_only_allowed_forms(world, client):
    ticket, entry = _entry(world)
    _login(client, world.agent)
    page = client.get(f"/operacion/ticket/{ticket.number}").get_data(as_text=True)
    value = re.search(rf'id="entry-{entry.id}-value">([^<]+)<', page).group(1)
    assert "25,00" in value and "Facturable" in value
    assert f'id="entry-{entry.id}-edit"' in page  # its author
    assert f'id="entry-{entry.id}-billable"' not in page  # not a supervisor
    client.post("/logout")
    _login(client, world.agent2)
    page = client.get(f"/operacion/ticket/{ticket.number}").get_data(as_text=True)
    assert f'id="entry-{entry.id}-edit"' not in page
    client.post("/logout")
    _login(client, world.supervisor)
    page = client.get(f"/operacion/ticket/{ticket.number}").get_data(as_text=True)
    assert f'id="entry-{entry.id}-edit"' in page and f'id="entry-{entry.id}-billable"' in page


def test_a_supervisor_toggles_billable_and_others_are_refused(world, client):
    ticket, entry = _entry(world)
    _login(client, world.agent)
    status, messages, _page = _act(client, ticket, "time_billable", entry_id=str(entry.id),
                                   billable="0")
    assert status == 303 and messages[0][0] == "error"
    db.session.expire_all()
    assert entry.billable is True
    client.post("/logout")
    _login(client, world.supervisor)
    status, messages, page = _act(client, ticket, "time_billable", entry_id=str(entry.id),
                                  billable="0")
    assert status == 303 and messages[0][0] == "info"
    db.session.expire_all()
    assert entry.billable is False and entry.amount == Decimal("25.00")
    assert "No facturable" in re.search(rf'id="entry-{entry.id}-value">([^<]+)<', page).group(1)


def test_the_author_edits_and_deletes_an_entry(world, client):
    ticket, entry = _entry(world)
    _login(client, world.agent)
    status, _messages, _page = _act(client, ticket, "time_edit", entry_id=str(entry.id),
                                    hours="1", minutes="0", work_date=str(entry.work_date),
                                    note="Diagnóstico completo")
    assert status == 303
    db.session.expire_all()
    assert (entry.minutes, entry.amount, entry.note) == (60, Decimal("50.00"),
                                                         "Diagnóstico completo")
    assert ticket.total_minutes == 60
    status, _m, page = _act(client, ticket, "time_edit", entry_id=str(entry.id), hours="0",
                            minutes="0", work_date="ayer", note="")
    assert status == 422 and "al menos un minuto" in page
    status, _m, page = _act(client, ticket, "time_edit", entry_id="999999999999999999999",
                            hours="1", minutes="0")
    assert status == 422
    status, _m, page = _act(client, ticket, "time_delete", entry_id=str(entry.id))
    assert status == 303
    db.session.expire_all()
    assert db.session.scalars(select(TimeEntry)).all() == [] and ticket.total_minutes == 0


def test_a_billed_entry_is_refused_with_the_message_until_unlocked(world, client):
    ticket, entry = _entry(world)
    batches.create_batch(world.supervisor, "2026-0007", dt.date(2026, 11, 1),
                         dt.date(2026, 11, 30), [entry])
    db.session.commit()
    _login(client, world.supervisor)
    page = client.get(f"/operacion/ticket/{ticket.number}").get_data(as_text=True)
    refusal = re.search(rf'id="entry-{entry.id}-refused">([^<]+)<', page).group(1)
    assert "2026-0007" in refusal and "desbloquee" in refusal
    assert f'id="entry-{entry.id}-edit"' not in page
    for action, data in (("time_edit", {"hours": "0", "minutes": "5"}), ("time_delete", {}),
                         ("time_billable", {"billable": "0"})):
        status, _messages, page = _act(client, ticket, action, entry_id=str(entry.id), **data)
        assert status == 422 and "2026-0007" in page, action
    db.session.expire_all()
    assert (entry.minutes, entry.billable) == (30, True)
    batches.unlock_batch(world.supervisor, entry.billing_batch)
    db.session.commit()
    status, _messages, page = _act(client, ticket, "time_delete", entry_id=str(entry.id))
    assert status == 303 and "Desbloqueado" in page  # the history line of the unlock


def test_administrators_set_rates_in_admin(world, client):
    _login(client, world.admin)
    response = client.post(f"/admin/client/edit/?id={world.client.id}", data={
        "name": world.client.name, "active": "y", "notes": "", "hourly_rate": "65.50",
        "currency": "usd", "domains-0-domain": "acme.example"})
    assert response.status_code == 302
    response = client.post(f"/admin/contract/edit/?id={world.contract.id}", data={
        "client": str(world.client.id), "name": world.contract.name, "hourly_rate": "0",
        "currency": "EUR", "active": "y"})
    assert response.status_code == 200  # the form again, the service's refusal under the field
    assert "mayor que 0" in response.get_data(as_text=True)
    db.session.expire_all()
    assert (world.client.hourly_rate, world.client.currency) == (Decimal("65.50"), "USD")
    assert world.contract.hourly_rate is None
