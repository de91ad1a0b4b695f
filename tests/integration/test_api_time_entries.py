"""Time entries over the API (issue 13): POST to a ticket's time-entries with minutes, work_date,
description and billable; GET, PATCH and DELETE /api/v1/time-entries/{id}, each answer carrying
the rate, amount and currency as decimal strings and whether the entry was billed; 409
entry_billed for an entry a locked batch holds; rates on clients and contracts."""
import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import TicketStatus, TimeEntry
from app.services import clock, worklog
from app.services.billing import batches, coverage
from tests import factories
from tests.api_calls import API, ROLES, assert_error, bearer


def _by_time(world, ticket):
    """Billed by time (a supervisor's choice): its time is valued at the rate and billable, not
    covered by the quote's hours (docs/billing.md)."""
    coverage.set_billing_by_time(world.supervisor, ticket, True)
    db.session.commit()
    return ticket


def _entry(world, minutes=30, author=None):
    ticket = _by_time(world, factories.ticket_in(world, TicketStatus.IN_PROGRESS))
    entry = worklog.log_time(author or world.agent, ticket, 0, minutes, "Diagnóstico")
    db.session.commit()
    return ticket, entry


def test_logging_time_takes_minutes_day_description_and_answers_its_value(world, client):
    ticket = _by_time(world, factories.ticket_in(world, TicketStatus.IN_PROGRESS))
    world.client.hourly_rate, world.client.currency = Decimal("45.00"), "USD"
    db.session.commit()
    day = clock.today() - dt.timedelta(days=3)
    response = client.post(f"{API}/tickets/{ticket.number}/time-entries", headers=bearer(
        world.agent), json={"minutes": 7, "work_date": day.isoformat(),
                            "description": "Cambio de disco"})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert {k: body[k] for k in ("minutes", "work_date", "description", "note", "billable",
                                 "rate", "amount", "currency", "billed", "locked")} == {
        "minutes": 7, "work_date": day.isoformat(), "description": "Cambio de disco",
        "note": "Cambio de disco", "billable": True, "rate": "45.00", "amount": "5.25",
        "currency": "USD", "billed": False, "locked": False}
    assert body["ticket"]["total_minutes"] == 7 and response.headers["ETag"]
    old = client.post(f"{API}/tickets/{ticket.number}/time-entries",
                      headers=bearer(world.agent), json={"hours": 1, "minutes": 30})
    assert old.status_code == 201 and old.get_json()["amount"] == "67.50"


def test_only_a_supervisor_logs_time_against_the_tickets_billable_default(world, client):
    ticket = factories.ticket_in(world, TicketStatus.NEW, free=True)
    path = f"{API}/tickets/{ticket.number}/time-entries"
    assert client.post(path, headers=bearer(world.agent), json={"minutes": 10}
                       ).get_json()["billable"] is False
    assert_error(client.post(path, headers=bearer(world.agent),
                             json={"minutes": 10, "billable": True}), 403, "not_permitted")
    assert client.post(path, headers=bearer(world.supervisor),
                       json={"minutes": 10, "billable": True}).get_json()["billable"] is True
    assert_error(client.post(path, headers=bearer(world.agent),
                             json={"minutes": 10, "billable": "yes"}), 422, "validation_failed")
    future = (clock.today() + dt.timedelta(days=5)).isoformat()
    assert_error(client.post(path, headers=bearer(world.agent),
                             json={"minutes": 10, "work_date": future}), 422, "validation_failed")


@pytest.mark.parametrize("role", ROLES)
def test_every_role_reads_an_entry_with_its_tickets_etag(world, client, role):
    ticket, entry = _entry(world)
    response = client.get(f"{API}/time-entries/{entry.id}", headers=bearer(getattr(world, role)))
    assert response.status_code == 200
    body = response.get_json()
    assert (body["id"], body["ticket_number"], body["rate"], body["amount"], body["currency"],
            body["billed"], body["billing_batch"]) == (entry.id, ticket.number, "50.00", "25.00",
                                                       "EUR", False, None)
    assert response.headers["ETag"] == f'"{ticket.lock_version}"'


def test_an_unknown_entry_is_404_and_no_token_401(world, client):
    assert_error(client.get(f"{API}/time-entries/999999", headers=bearer(world.agent)),
                 404, "not_found")
    assert_error(client.get(f"{API}/time-entries/99999999999999999999",
                            headers=bearer(world.agent)), 404, "not_found")
    assert_error(client.get(f"{API}/time-entries/1"), 401, "not_authenticated")


@pytest.mark.parametrize("role, status", [("viewer", 403), ("agent", 403), ("supervisor", 200),
                                          ("admin", 200)])
def test_changing_another_agents_entry_is_its_author_or_a_supervisor(world, client, role,
                                                                     status):
    _ticket, entry = _entry(world, author=world.agent2)
    response = client.patch(f"{API}/time-entries/{entry.id}",
                            headers=bearer(getattr(world, role)), json={"minutes": 45})
    assert response.status_code == status, response.get_json()
    if status == 200:
        body = response.get_json()
        assert (body["minutes"], body["amount"], body["rate"]) == (45, "37.50", "50.00")


@pytest.mark.parametrize("role, status", [("viewer", 403), ("agent", 403), ("supervisor", 200),
                                          ("admin", 200)])
def test_billable_is_a_supervisors_choice(world, client, role, status):
    _ticket, entry = _entry(world)  # the agent's own entry: still not theirs to bill
    response = client.patch(f"{API}/time-entries/{entry.id}",
                            headers=bearer(getattr(world, role)), json={"billable": False})
    assert response.status_code == status
    db.session.expire_all()
    assert entry.billable is (status != 200)


def test_the_author_edits_with_if_match_and_the_ticket_follows(world, client):
    ticket, entry = _entry(world)
    headers = bearer(world.agent)
    read = client.get(f"{API}/time-entries/{entry.id}", headers=headers)
    etag = read.headers["ETag"]
    changed = client.patch(f"{API}/time-entries/{entry.id}", headers={**headers, "If-Match": etag},
                           json={"minutes": 60, "description": "Todo el día no, una hora"})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert changed.get_json()["description"] == "Todo el día no, una hora"
    assert_error(client.patch(f"{API}/time-entries/{entry.id}",
                              headers={**headers, "If-Match": etag}, json={"minutes": 5}),
                 412, "precondition_failed")
    db.session.expire_all()
    assert (entry.minutes, entry.amount, ticket.total_minutes) == (60, Decimal("50.00"), 60)
    for body, field in (({}, None), ({"minutes": 0}, "minutes"), ({"minutes": 1441}, "minutes"),
                        ({"minutes": "5"}, "minutes"), ({"rate": "1.00"}, "rate"),
                        ({"description": None}, "description")):
        assert_error(client.patch(f"{API}/time-entries/{entry.id}", headers=headers, json=body),
                     422, "validation_failed")


def test_deleting_an_entry(world, client):
    ticket, entry = _entry(world)
    assert_error(client.delete(f"{API}/time-entries/{entry.id}", headers=bearer(world.viewer)),
                 403, "not_permitted")
    response = client.delete(f"{API}/time-entries/{entry.id}", headers=bearer(world.agent))
    assert response.status_code == 204 and response.headers["ETag"]
    db.session.expire_all()
    assert db.session.scalars(select(TimeEntry)).all() == [] and ticket.total_minutes == 0
    assert_error(client.delete(f"{API}/time-entries/{entry.id}", headers=bearer(world.agent)),
                 404, "not_found")


def test_a_billed_entry_answers_409_until_its_batch_is_unlocked(world, client):
    ticket, entry = _entry(world)
    batches.create_batch(world.supervisor, "2026-0042", dt.date(2026, 11, 1),
                         dt.date(2026, 11, 30), [entry])
    db.session.commit()
    headers = bearer(world.supervisor)
    body = client.get(f"{API}/time-entries/{entry.id}", headers=headers).get_json()
    assert (body["billed"], body["locked"], body["billing_batch"]) == (True, True, "2026-0042")
    for response in (
            client.patch(f"{API}/time-entries/{entry.id}", headers=headers, json={"minutes": 5}),
            client.patch(f"{API}/time-entries/{entry.id}", headers=headers,
                         json={"billable": False}),
            client.delete(f"{API}/time-entries/{entry.id}", headers=headers)):
        assert "2026-0042" in assert_error(response, 409, "entry_billed")["message"]
    batches.unlock_batch(world.supervisor, entry.billing_batch)
    db.session.commit()
    response = client.patch(f"{API}/time-entries/{entry.id}", headers=headers,
                            json={"minutes": 5})
    assert response.status_code == 200
    assert (response.get_json()["billed"], response.get_json()["locked"]) == (True, False)


def test_a_closed_tickets_entry_is_refused_409(world, client):
    ticket, entry = _entry(world)
    from app.services import status_changes
    status_changes.close_ticket(world.agent, ticket, "Cerrado")
    db.session.commit()
    assert_error(client.patch(f"{API}/time-entries/{entry.id}", headers=bearer(world.agent),
                              json={"minutes": 5}), 409, "ticket_closed")


def test_rates_on_clients_and_contracts_over_the_api(world, client):
    headers = bearer(world.admin)
    response = client.patch(f"{API}/clients/{world.client.id}", headers=headers,
                            json={"hourly_rate": "60.5", "currency": "usd"})
    assert response.status_code == 200, response.get_json()
    assert (response.get_json()["hourly_rate"], response.get_json()["currency"]) == ("60.50",
                                                                                     "USD")
    response = client.patch(f"{API}/contracts/{world.contract.id}", headers=headers,
                            json={"hourly_rate": "75.00"})
    assert response.status_code == 200
    assert (response.get_json()["hourly_rate"], response.get_json()["currency"]) == ("75.00",
                                                                                     None)
    for body, field in (({"hourly_rate": "0"}, "hourly_rate"),
                        ({"hourly_rate": "10.123"}, "hourly_rate"),
                        ({"hourly_rate": 10.5}, "hourly_rate"),
                        ({"currency": "EU"}, "currency"), ({"currency": "EURO"}, "currency")):
        error = assert_error(client.patch(f"{API}/contracts/{world.contract.id}",
                                          headers=headers, json=body), 422, "validation_failed")
        assert error["field"] == field or field in error.get("errors", {}).get("json", {}), error
    cleared = client.patch(f"{API}/contracts/{world.contract.id}", headers=headers,
                           json={"hourly_rate": None})
    assert cleared.get_json()["hourly_rate"] is None
    assert_error(client.patch(f"{API}/clients/{world.client.id}", headers=bearer(world.supervisor),
                              json={"hourly_rate": "60.00"}), 403, "not_permitted")
