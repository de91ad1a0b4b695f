"""The ticket page's billing panel and the contract page (issue 13): a ticket under a quote shows
its estimated, logged, covered and beyond hours and whether the rest is billed, with a
supervisor's "Bill by time" and "Bill the overage" forms (refused to an agent); a ticket covered
by a contract with an hour bank shows this period's included, used and remaining; the contract's
page shows its bank now and in the six periods before."""
import datetime as dt
import re
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import TicketChange
from app.models.enums import BankPeriod
from app.services import quote_decisions, worklog
from tests import factories
from tests.factories import PASSWORD

D = Decimal
NOW = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.timezone.utc)


@pytest.fixture(autouse=True)
def fixed_clock(app):
    app.config.update(SOPORTE_FIXED_NOW=NOW, SOPORTE_TIMEZONE="Europe/Madrid",
                      SOPORTE_DEFAULT_HOURLY_RATE="50.00", SOPORTE_CURRENCY="EUR")


def _login(client, user):
    assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302


def _page(client, ticket):
    response = client.get(f"/operacion/ticket/{ticket.number}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _text(page, element_id):
    found = re.search(rf'id="{element_id}"[^>]*>(.*?)</', page, re.S)
    return re.sub(r"<[^>]+>", "", found.group(1)).strip() if found else None


def _form(page, element_id):
    """The text of a form (its button's label)."""
    found = re.search(rf'id="{element_id}"[^>]*>(.*?)</form>', page, re.S)
    return re.sub(r"<[^>]+>", " ", found.group(1)) if found else ""


def _act(client, ticket, action, **data):
    response = client.post(f"/operacion/ticket/{ticket.number}/{action}", data=data)
    page = client.get(f"/operacion/ticket/{ticket.number}").get_data(as_text=True) \
        if response.status_code == 303 else response.get_data(as_text=True)
    return response.status_code, re.findall(r'class="flash ([a-z]+)[^"]*"[^>]*>([^<]+)', page), \
        page


def _quoted_with_time(world):
    ticket = factories.new_ticket(world)
    factories.quote(world, ticket, price="300.00", hours="2")
    quote_decisions.decide_by_customer(ticket.current_quote.id, 1, True)
    worklog.log_time(world.agent, ticket, 1, 30)
    worklog.log_time(world.agent, ticket, 1, 0)
    db.session.commit()
    return ticket


def test_a_quoted_ticket_shows_its_hours_against_the_estimate(world, client):
    ticket = _quoted_with_time(world)
    _login(client, world.agent)
    page = _page(client, ticket)
    assert _text(page, "quote-estimated") == "2 h 0 min · v1"
    assert _text(page, "quote-logged") == "2 h 30 min (125 %)"
    assert _text(page, "quote-covered") == "2 h 0 min"
    assert _text(page, "quote-overage") == "0 h 30 min · no facturado"
    assert 'id="action-by_time"' not in page and 'id="action-overage"' not in page
    second = ticket.time_entries[1]
    assert "25,00" in _text(page, f"entry-{second.id}-value")  # 30 min beyond, at 50 €/h


def test_an_agent_cannot_choose_by_time_and_a_supervisor_can(world, client):
    ticket = _quoted_with_time(world)
    _login(client, world.agent)
    status, messages, _page_ = _act(client, ticket, "by_time", by_time="1")
    assert status == 303 and messages[0][0] == "error"
    db.session.expire_all()
    assert ticket.billing_by_time is False
    client.post("/logout")
    _login(client, world.supervisor)
    page = _page(client, ticket)
    assert "Facturar por tiempo" in _form(page, "action-by_time")
    assert "Facturar el exceso" in _form(page, "action-overage")
    status, messages, page = _act(client, ticket, "by_time", by_time="1",
                                  note="El cliente pidió detalle por horas")
    assert status == 303 and messages == [("info", "Facturado por tiempo")]
    db.session.expire_all()
    assert ticket.billing_by_time is True
    assert [(e.covered_minutes, e.amount, e.billable) for e in ticket.time_entries] == [
        (0, D("75.00"), True), (0, D("50.00"), True)]
    assert _text(page, "quote-overage") == "0 h 30 min · facturado por tiempo"
    assert "Facturar al precio del presupuesto" in _form(page, "action-by_time")
    assert 'id="action-overage"' not in page  # billed by time: the overage is billed already
    assert "Facturado por tiempo: No → Sí" in page
    change = db.session.scalars(select(TicketChange).where(
        TicketChange.field == "billing_by_time")).one()
    assert change.note.body_text == "El cliente pidió detalle por horas"


def test_a_supervisor_bills_the_overage_from_the_page(world, client):
    ticket = _quoted_with_time(world)
    _login(client, world.supervisor)
    status, messages, page = _act(client, ticket, "overage", bill_overage="1")
    assert status == 303 and messages[0][0] == "info"
    db.session.expire_all()
    assert ticket.bill_overage is True and ticket.time_entries[1].billable is True
    assert _text(page, "quote-overage") == "0 h 30 min · facturado a la tarifa"
    assert "No facturar el exceso" in _form(page, "action-overage")


def test_a_free_ticket_offers_no_billing_choice(world, client):
    free = factories.new_ticket(world, contract_id=world.covering_contract.id)
    _login(client, world.supervisor)
    page = _page(client, free)
    assert 'id="ticket-billing"' not in page
    status, messages, _p = _act(client, free, "by_time", by_time="1")
    assert status == 422 and "presupuesto aprobado" in messages[0][1]


def _bank(world):
    contract = world.covering_contract
    contract.included_hours, contract.bank_period = D("10"), BankPeriod.MONTH
    contract.overage_rate, contract.client.currency = D("80.00"), "USD"
    db.session.commit()
    ticket = factories.new_ticket(world, contract_id=contract.id)
    worklog.log_time(world.agent, ticket, 2, 30)
    worklog.log_time(world.agent, ticket, 1, 0, work_date=dt.date(2026, 10, 31))
    db.session.commit()
    return contract, ticket


def test_a_contract_ticket_shows_this_periods_bank_and_links_to_the_contract(world, client):
    contract, ticket = _bank(world)
    _login(client, world.viewer)
    page = _page(client, ticket)
    assert (_text(page, "bank-included"), _text(page, "bank-used"),
            _text(page, "bank-remaining")) == ("10 h 0 min", "2 h 30 min (25 %)", "7 h 30 min")
    assert f'href="/contratos/{contract.id}"' in page


def test_the_contract_page_shows_the_bank_now_and_in_the_six_periods_before(world, client):
    contract, _ticket = _bank(world)
    assert client.get(f"/contratos/{contract.id}").status_code == 302  # sign in first
    _login(client, world.viewer)
    response = client.get(f"/contratos/{contract.id}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    summary = _text(page, "bank-summary")
    assert "10 h incluidas" in summary and "80,00\xa0US$ por hora" in summary
    rows = re.findall(r'<tr id="bank-period-([0-9-]+)"', page)
    assert rows == ["2026-11", "2026-10", "2026-09", "2026-08", "2026-07", "2026-06", "2026-05"]
    november = re.sub(r"<[^>]+>", "|", re.search(
        r'id="bank-period-2026-11"[^>]*>(.*?)</tr>', page, re.S).group(1))
    assert [c for c in november.split("|") if c] == ["2026-11", "10 h 0 min", "2 h 30 min",
                                                     "7 h 30 min", "25 %"]
    assert "1 h 0 min" in re.search(r'id="bank-period-2026-10"[^>]*>(.*?)</tr>', page,
                                    re.S).group(1)
    other = client.get(f"/contratos/{world.contract.id}").get_data(as_text=True)
    assert 'id="no-bank"' in other
    assert client.get("/contratos/999999").status_code == 404
