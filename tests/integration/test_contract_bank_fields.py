"""A contract's hour bank and overage rate, set by an administrator in the admin and over the
API, through the one service (app.services.reference_data with app.services.billing.hour_banks):
hours and period together, positive amounts, a clear refusal naming the field."""
from decimal import Decimal

import pytest

from app.extensions import db
from app.models import Contract
from app.models.enums import BankPeriod
from tests.api_calls import API, assert_error, bearer
from tests.browsers import browser
from tests.factories import PASSWORD


def _admin_form(world, **bank) -> dict:
    return {"client": str(world.client.id), "name": "Licencias", "active": "y", **bank}


def _errors(response) -> str:
    return response.get_data(as_text=True)


def test_an_administrator_gives_a_contract_an_hour_bank_in_the_admin(world, client):
    client.post("/login", data={"email": world.admin.email, "password": PASSWORD})
    saved = client.post(f"/admin/contract/edit/?id={world.contract.id}", data=_admin_form(
        world, included_hours="12.5", bank_period="MONTH", overage_rate="80.00"))
    assert saved.status_code == 302, _errors(saved)
    db.session.expire_all()
    contract = db.session.get(Contract, world.contract.id)
    assert (contract.included_hours, contract.bank_period, contract.overage_rate) == (
        Decimal("12.50"), BankPeriod.MONTH, Decimal("80.00"))

    no_period = client.post(f"/admin/contract/edit/?id={world.contract.id}", data=_admin_form(
        world, included_hours="10", bank_period=""))
    assert no_period.status_code == 200
    assert "Elija cómo se cuenta la bolsa de horas" in _errors(no_period)
    db.session.expire_all()
    assert db.session.get(Contract, world.contract.id).included_hours == Decimal("12.50")


def _refused(response) -> str:
    """The field a 422 validation refusal names."""
    return assert_error(response, 422, "validation_failed")["field"]


@pytest.fixture
def api(app):
    return browser(app)


def test_the_api_reads_and_writes_a_contracts_bank(world, api):
    headers = bearer(world.admin)
    url = f"{API}/contracts/{world.contract.id}"
    changed = api.patch(url, json={"included_hours": "20", "bank_period": "CONTRACT",
                                   "overage_rate": "65.50"}, headers=headers)
    assert changed.status_code == 200, changed.get_data(as_text=True)
    body = api.get(url, headers=headers).get_json()
    assert (body["included_hours"], body["bank_period"], body["overage_rate"]) == (
        "20.00", "CONTRACT", "65.50")

    for sent, field in (({"bank_period": None}, "bank_period"),
                        ({"overage_rate": "0"}, "overage_rate"),
                        ({"included_hours": "1.005"}, "included_hours"),
                        ({"bank_period": "WEEK"}, "bank_period")):
        assert _refused(api.patch(url, json=sent, headers=headers)) == field, sent
    removed = api.patch(url, json={"included_hours": None, "bank_period": None},
                        headers=headers)
    assert removed.status_code == 200
    assert removed.get_json()["included_hours"] is None
