"""Billing from the dashboard (/operacion/facturacion) and the API (/api/v1/billing): the same
lines and files as `flask billing export`, a period closed into a locked batch, unlocked and
marked paid; supervisors only; bad values refused naming the field, never a 500."""
import csv
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from app.extensions import db
from app.models import BillingBatch, PaymentStatus, TimeEntry
from tests import billing_data as data
from tests.api_calls import API, assert_error, bearer
from tests.browsers import browser
from tests.factories import PASSWORD

PERIOD = {"from": "2026-11-01", "to": "2026-11-30"}


@pytest.fixture
def billed(app, world):
    """Two tickets of two clients with time in November (two currencies), one line outside."""
    data.fix_clock(app)
    acme, other = data.ticket(world), data.ticket(world, other_client=True)
    for ticket in (acme, other):
        ticket.billing_by_time = True
    entries = [data.entry(acme, world.agent, data.NOV_1, 90, "50.00", "EUR"),
               data.entry(acme, world.agent, data.NOV_30, 30, "50.00", "EUR"),
               data.entry(other, world.agent2, data.NOV_1.replace(day=15), 60, "80.00", "USD")]
    data.entry(acme, world.agent, data.NOV_1.replace(month=10, day=31))  # October
    db.session.commit()
    return acme, other, entries


def _signed_in(app, user):
    client = browser(app)
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    return client


def _csv_rows(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode("utf-8"))))


def test_the_page_shows_the_periods_lines_and_totals_and_downloads_them(app, world, billed):
    page = _signed_in(app, world.supervisor)
    shown = page.get("/operacion/facturacion", query_string=PERIOD)
    assert shown.status_code == 200
    html = shown.get_data(as_text=True)
    assert 'id="period-lines"' in html and billed[0].number in html and billed[1].number in html
    assert html.count('class="text-end text-nowrap billing-total"') == 2  # EUR and USD

    rows = _csv_rows(page.get("/operacion/facturacion/exportar",
                              query_string={**PERIOD, "format": "csv"}).data)
    assert rows[0][:3] == ["date", "client", "contract"]
    amounts = {row[10]: row[9] for row in rows if row[0] == "TOTAL"}
    assert amounts == {"EUR": "100.00", "USD": "80.00"}

    xlsx = page.get("/operacion/facturacion/exportar",
                    query_string={**PERIOD, "format": "xlsx", "client": world.client.id})
    sheet = load_workbook(io.BytesIO(xlsx.data), read_only=True).active
    values = list(sheet.iter_rows(values_only=True))
    assert len([row for row in values[1:] if row[0] != "TOTAL"]) == 2  # Acme's November only
    assert [Decimal(str(row[9])) for row in values if row[0] == "TOTAL"] == [Decimal("100.00")]
    assert db.session.query(TimeEntry).filter(TimeEntry.billing_batch_id.isnot(None)).count() == 0


def test_closing_from_the_page_makes_a_locked_batch_then_unlocked_and_paid(app, world, billed):
    page = _signed_in(app, world.supervisor)
    closed = page.post("/operacion/facturacion/cerrar", data={**PERIOD, "csrf_token": "x"})
    assert closed.status_code == 303, closed.get_data(as_text=True)
    batch = db.session.query(BillingBatch).one()
    assert batch.number == "LOTE-2026-0001"
    assert all(entry.billing_batch_id == batch.id for entry in billed[2])

    shown = page.get(closed.headers["Location"]).get_data(as_text=True)
    assert 'id="unlock-batch"' in shown and 'id="mark-paid"' in shown
    again = page.post("/operacion/facturacion/cerrar", data=PERIOD)
    assert again.status_code == 422
    assert "nada que facturar" in again.get_data(as_text=True)

    assert page.post(f"/operacion/facturacion/lotes/{batch.id}/desbloquear",
                     data={"note": "Corregir una hora"}).status_code == 303
    db.session.expire_all()
    assert db.session.get(BillingBatch, batch.id).is_locked is False
    assert page.post(f"/operacion/facturacion/lotes/{batch.id}/pagado").status_code == 303
    db.session.expire_all()
    assert billed[1].payment_status is PaymentStatus.PAID
    assert billed[0].payment_status is PaymentStatus.UNPAID  # its October hour is not billed


@pytest.mark.parametrize("query, field", [
    ({"from": "2026-11-31"}, "from"), ({"from": "2026-12-01", "to": "2026-11-01"}, "period_to"),
    ({"client": "999999"}, "client"), ({"contract": "abc"}, "contract")])
def test_a_bad_filter_is_refused_on_the_page_naming_it(app, world, billed, query, field):
    page = _signed_in(app, world.supervisor)
    answer = page.get("/operacion/facturacion", query_string={**PERIOD, **query})
    assert answer.status_code == 422
    assert f'id="billing-error" data-field="{field}"' in answer.get_data(as_text=True)
    download = page.get("/operacion/facturacion/exportar",
                        query_string={**PERIOD, **query, "format": "csv"})
    assert download.status_code == 422


def test_an_agent_is_refused_the_billing_pages_and_sees_no_link(app, world, billed):
    page = _signed_in(app, world.agent)
    assert page.get("/operacion/facturacion").status_code == 403
    assert page.post("/operacion/facturacion/cerrar", data=PERIOD).status_code == 403
    assert 'id="billing-link"' not in page.get("/operacion/ticket").get_data(as_text=True)
    assert 'id="billing-link"' in _signed_in(app, world.supervisor).get("/operacion/ticket").get_data(
        as_text=True)


def test_the_api_exports_closes_unlocks_and_records_payment(app, world, billed):
    api, headers = browser(app), bearer(world.supervisor)
    exported = api.get(f"{API}/billing/export", query_string={**PERIOD, "format": "csv"},
                       headers=headers)
    assert exported.status_code == 200 and exported.mimetype == "text/csv"
    assert {row[10]: row[9] for row in _csv_rows(exported.data) if row[0] == "TOTAL"} == {
        "EUR": "100.00", "USD": "80.00"}

    created = api.post(f"{API}/billing/batches", json=PERIOD, headers=headers)
    assert created.status_code == 201, created.get_data(as_text=True)
    batch = created.get_json()
    assert batch["totals"] == {"EUR": "100.00", "USD": "80.00"} and batch["locked"] is True
    assert api.get(created.headers["Location"], headers=headers).get_json() == batch
    assert_error(api.post(f"{API}/billing/batches", json=PERIOD, headers=headers), 422,
                 "validation_failed")

    entry = billed[2][0]
    assert_error(api.patch(f"{API}/time-entries/{entry.id}", json={"minutes": 5},
                           headers=headers), 409, "entry_billed")
    unlocked = api.post(f"{API}/billing/batches/{batch['id']}/unlock", json={"note": "Error"},
                        headers=headers)
    assert unlocked.status_code == 200 and unlocked.get_json()["locked"] is False
    assert api.patch(f"{API}/time-entries/{entry.id}", json={"minutes": 5},
                     headers=headers).status_code == 200
    paid = api.post(f"{API}/billing/batches/{batch['id']}/payment", headers=headers)
    assert paid.status_code == 200 and paid.get_json()["paid_at"]
    assert_error(api.post(f"{API}/billing/batches/{batch['id']}/payment", headers=headers),
                 409, "invalid_transition")
    listed = api.get(f"{API}/billing/batches", headers=headers).get_json()
    assert [row["number"] for row in listed] == ["LOTE-2026-0001"]
    sheet = api.get(f"{API}/billing/batches/{batch['id']}/export",
                    query_string={"format": "xlsx"}, headers=headers)
    rows = list(load_workbook(io.BytesIO(sheet.data), read_only=True).active.values)
    assert [row[0] for row in rows[-2:]] == ["TOTAL", "TOTAL"] and len(rows) == 6


@pytest.mark.parametrize("query, field", [
    ({"format": "pdf"}, "format"), ({"to": "2026-02-30"}, "to"),
    ({"client_id": "999999"}, "client_id"), ({"contract_id": "0"}, "contract_id")])
def test_the_api_refuses_bad_export_values_naming_them(app, world, billed, query, field):
    answer = browser(app).get(f"{API}/billing/export",
                              query_string={**PERIOD, "format": "csv", **query},
                              headers=bearer(world.supervisor))
    assert assert_error(answer, 422, "validation_failed")["field"] == field


def test_the_api_refuses_billing_to_an_agent(app, world, billed):
    api, headers = browser(app), bearer(world.agent)
    assert_error(api.get(f"{API}/billing/export", query_string={**PERIOD, "format": "csv"},
                         headers=headers), 403, "not_permitted")
    assert_error(api.post(f"{API}/billing/batches", json=PERIOD, headers=headers), 403,
                 "not_permitted")


def test_the_api_names_a_contract_of_another_client_on_export_and_close(app, world, billed):
    api, headers = browser(app), bearer(world.supervisor)
    mismatch = {"client_id": world.other_client.id, "contract_id": world.contract.id}
    exported = api.get(f"{API}/billing/export",
                       query_string={**PERIOD, **mismatch, "format": "CSV"}, headers=headers)
    assert assert_error(exported, 422, "validation_failed")["field"] == "contract"
    closed = api.post(f"{API}/billing/batches", json={**PERIOD, **mismatch}, headers=headers)
    assert assert_error(closed, 422, "validation_failed")["field"] == "contract"
    assert api.get(f"{API}/billing/export", query_string={**PERIOD, "format": "XLSX"},
                   headers=headers).status_code == 200  # any letter case, as the page and CLI


def test_a_line_bills_the_minutes_a_fixed_price_did_not_cover(app, world, billed):
    """hours × rate = amount on every line: an entry 1 h 30 min of which a bank covered 1 h
    bills 30 minutes (amount 25.00 at 50.00 an hour)."""
    entry = billed[2][0]
    entry.covered_minutes, entry.amount = 60, Decimal("25.00")
    db.session.commit()
    rows = _csv_rows(browser(app).get(f"{API}/billing/export",
                                      query_string={**PERIOD, "format": "csv"},
                                      headers=bearer(world.supervisor)).data)
    line = next(row for row in rows if row[4] == billed[0].number and row[0] == "2026-11-01")
    assert (line[6], line[7], line[8], line[9]) == ("30", "0.50", "50.00", "25.00")
