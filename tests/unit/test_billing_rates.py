"""Rates and valued time (issue 13): the most specific rate wins (contract, client, default),
each entry keeps the rate, currency and amount it was valued at (half up to the cent, once),
billable by the ticket's basis, a supervisor's toggle; edits and deletes by the author or a
supervisor, refused while a billing batch locks the entry; a supervisor unlocks the batch."""
import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import TicketChange, TicketStatus, TimeEntry
from app.services import clients, clock, reference_data, worklog
from app.services.billing import batches, coverage, rates
from app.services.errors import (EntryBilled, InvalidTransition, NotPermitted, TicketClosed,
                                 ValidationFailed)
from tests import factories

S = TicketStatus
D = Decimal


def _changes(ticket, field):
    return [(c.old_value, c.new_value) for c in db.session.scalars(
        select(TicketChange).where(TicketChange.ticket_id == ticket.id,
                                   TicketChange.field == field).order_by(TicketChange.id))]


def _by_time(world, ticket):
    """A ticket under an approved quote, billed by time (a supervisor's choice): all its time is
    valued at the rate and billable, none covered by the quote's hours (docs/billing.md)."""
    coverage.set_billing_by_time(world.supervisor, ticket, True)
    db.session.commit()
    return ticket


def _batch(world, entries, number="2026-0001"):
    batch = batches.create_batch(world.supervisor, number, dt.date(2026, 11, 1),
                                 dt.date(2026, 11, 30), entries)
    db.session.commit()
    return batch


# --- rates ------------------------------------------------------------------------------------

def test_the_default_rate_and_currency_come_from_the_configuration(app, world):
    app.config.update(SOPORTE_DEFAULT_HOURLY_RATE="40.00", SOPORTE_CURRENCY="MXN")
    ticket = factories.ticket_in(world, S.IN_PROGRESS)
    assert rates.rate_for(ticket) == (D("40.00"), "MXN")


def test_the_most_specific_rate_wins_each_of_rate_and_currency(app, world):
    app.config.update(SOPORTE_DEFAULT_HOURLY_RATE="40.00", SOPORTE_CURRENCY="EUR")
    ticket = factories.new_ticket(world, contract_id=world.contract.id)
    world.client.hourly_rate, world.client.currency = D("60.00"), "USD"
    assert rates.rate_for(ticket) == (D("60.00"), "USD")
    world.contract.hourly_rate = D("75.50")  # the contract overrides the rate only
    assert rates.rate_for(ticket) == (D("75.50"), "USD")
    world.contract.currency = "GBP"
    assert rates.rate_for(ticket) == (D("75.50"), "GBP")
    world.client.hourly_rate = world.client.currency = None
    world.contract.hourly_rate = None
    assert rates.rate_for(ticket) == (D("40.00"), "GBP")


@pytest.mark.parametrize("minutes, rate, amount", [
    (60, "50.00", "50.00"), (1, "50.00", "0.83"), (7, "45.00", "5.25"),
    (1, "0.30", "0.01"),  # 0.005 rounds half up to a cent
    (1, "0.29", "0.00"), (90, "33.33", "50.00"),  # 49.995 half up
    (1440, "1000000.00", "24000000.00"), (20, "99.99", "33.33"),
])
def test_an_amount_is_minutes_over_60_times_the_rate_half_up_to_the_cent(minutes, rate, amount):
    assert rates.amount_for(minutes, D(rate)) == D(amount)
    assert str(rates.amount_for(minutes, D(rate))) == amount


@pytest.mark.parametrize("typed, field_error", [
    ("0", True), ("-5", True), ("12.345", True), ("abc", True), ("NaN", True), ("Infinity", True),
    ("1000000.01", True), (12.5, True), ("1e3", False), ("75,5", False), ("", False), (None, False),
])
def test_a_rate_is_positive_with_two_decimals_at_most_and_bounded(typed, field_error):
    if field_error:
        with pytest.raises(ValidationFailed) as raised:
            rates.parse_rate(typed)
        assert raised.value.field == "hourly_rate"
    else:
        assert rates.parse_rate(typed) in (D("1000.00"), D("75.50"), None)


def test_a_currency_is_three_letters(world):
    assert rates.parse_currency(" usd ") == "USD"
    for bad in ("US", "EURO", "€€€", "12A"):
        with pytest.raises(ValidationFailed):
            rates.parse_currency(bad)


def test_administrators_set_rates_on_clients_and_contracts(world):
    fields = clients.client_fields(world.client)
    from dataclasses import replace
    clients.save_client(world.admin, world.client, replace(fields, hourly_rate="65.5",
                                                            currency="usd"))
    contract_fields = reference_data.contract_fields(world.contract)
    reference_data.save_contract(world.admin, world.contract,
                                 replace(contract_fields, hourly_rate=D("80")))
    db.session.commit()
    assert (world.client.hourly_rate, world.client.currency) == (D("65.50"), "USD")
    assert (world.contract.hourly_rate, world.contract.currency) == (D("80.00"), None)
    with pytest.raises(ValidationFailed) as raised:
        clients.save_client(world.admin, world.client, replace(fields, hourly_rate="-1"))
    assert raised.value.field == "hourly_rate"
    with pytest.raises(NotPermitted):
        reference_data.save_contract(world.supervisor, world.contract, contract_fields)


# --- valued entries -----------------------------------------------------------------------------

def test_each_entry_keeps_its_valuation_when_the_rate_changes_later(app, world):
    app.config.update(SOPORTE_DEFAULT_HOURLY_RATE="50.00", SOPORTE_CURRENCY="EUR")
    ticket = _by_time(world, factories.ticket_in(world, S.IN_PROGRESS))
    first = worklog.log_time(world.agent, ticket, 0, 50)
    world.client.hourly_rate, world.client.currency = D("99.99"), "USD"
    second = worklog.log_time(world.agent, ticket, 1, 7)
    db.session.commit()
    db.session.expire_all()
    assert (first.rate, first.currency, first.amount) == (D("50.00"), "EUR", D("41.67"))
    assert (second.rate, second.currency, second.amount) == (D("99.99"), "USD", D("111.66"))
    assert isinstance(first.amount, Decimal)


def test_a_billed_tickets_time_is_billable_a_free_ones_is_not(world):
    # a ticket under a quote's price is covered by its hours (tests/unit/test_billing_coverage.py)
    billed = _by_time(world, factories.ticket_in(world, S.IN_PROGRESS))
    free = factories.ticket_in(world, S.NEW, free=True)
    assert worklog.log_time(world.agent, billed, 0, 10).billable is True
    assert worklog.log_time(world.agent, free, 0, 10).billable is False
    # the amount is stored either way: not billable simply is not billed
    assert worklog.log_time(world.agent, free, 1, 0).amount == D("50.00")


def test_only_a_supervisor_logs_time_against_the_default_billable(world):
    free = factories.ticket_in(world, S.NEW, free=True)
    with pytest.raises(NotPermitted):
        worklog.log_time(world.agent, free, 0, 10, billable=True)
    assert worklog.log_time(world.agent, free, 0, 10, billable=False).billable is False
    assert worklog.log_time(world.supervisor, free, 0, 10, billable=True).billable is True


def test_a_supervisor_marks_any_entry_billable_or_not_in_the_history(world):
    ticket = _by_time(world, factories.ticket_in(world, S.IN_PROGRESS))
    entry = worklog.log_time(world.agent, ticket, 0, 30)
    for role in (world.agent, world.viewer):
        with pytest.raises(NotPermitted):
            worklog.set_billable(role, entry, False)
    worklog.set_billable(world.supervisor, entry, False)
    db.session.commit()
    assert entry.billable is False and entry.amount == D("25.00")
    assert _changes(ticket, "time_billable") == [(f"#{entry.id}: True", f"#{entry.id}: False")]
    worklog.set_billable(world.admin, entry, True)
    assert entry.billable is True


# --- edit and delete ----------------------------------------------------------------------------

def test_the_author_edits_an_entry_valued_again_at_its_own_rate(world):
    ticket = _by_time(world, factories.ticket_in(world, S.IN_PROGRESS))
    entry = worklog.log_time(world.agent, ticket, 0, 30, "Diagnóstico")
    world.client.hourly_rate = D("200.00")  # a later rate does not value the entry again
    worklog.edit_time_entry(world.agent, entry, minutes=45, description="Diagnóstico y arreglo")
    db.session.commit()
    assert (entry.minutes, entry.rate, entry.amount) == (45, D("50.00"), D("37.50"))
    assert ticket.total_minutes == 45 and entry.note == "Diagnóstico y arreglo"
    assert _changes(ticket, "time")[-1] == ("30", "45")
    day = entry.work_date.isoformat()
    assert _changes(ticket, "time_entry") == [
        (f"#{entry.id} {day}, 30 min: Diagnóstico", f"#{entry.id} {day}, 45 min: Diagnóstico y arreglo")]


def test_an_edit_checks_minutes_and_day(world):
    ticket = factories.ticket_in(world, S.IN_PROGRESS)
    entry = worklog.log_time(world.agent, ticket, 0, 30)
    db.session.commit()
    for kwargs in ({"minutes": 0}, {"minutes": 24 * 60 + 1},
                   {"work_date": clock.today() + dt.timedelta(days=2)}):
        with pytest.raises(ValidationFailed):
            worklog.edit_time_entry(world.agent, entry, **kwargs)
        db.session.rollback()
    assert entry.minutes == 30 and ticket.total_minutes == 30


def test_only_the_author_or_a_supervisor_changes_an_entry(world):
    ticket = factories.ticket_in(world, S.IN_PROGRESS)
    entry = worklog.log_time(world.agent, ticket, 0, 30)
    for other in (world.agent2, world.viewer):
        with pytest.raises(NotPermitted):
            worklog.edit_time_entry(other, entry, minutes=10)
        with pytest.raises(NotPermitted):
            worklog.delete_time_entry(other, entry)
    worklog.edit_time_entry(world.supervisor, entry, minutes=10)
    worklog.delete_time_entry(world.admin, entry)
    db.session.commit()
    assert db.session.scalars(select(TimeEntry)).all() == []
    assert ticket.total_minutes == 0
    assert _changes(ticket, "time")[-1] == ("10", "0")


def test_a_closed_tickets_entries_stay_as_they_are(world):
    ticket = factories.ticket_in(world, S.IN_PROGRESS)
    entry = worklog.log_time(world.agent, ticket, 0, 30)
    from app.services import status_changes
    status_changes.close_ticket(world.agent, ticket, "Cerrado")
    with pytest.raises(TicketClosed):
        worklog.edit_time_entry(world.agent, entry, minutes=10)
    worklog.set_billable(world.supervisor, entry, False)  # billing follows work, as payment


# --- billing batches ----------------------------------------------------------------------------

def test_a_billed_entry_refuses_edits_deletes_and_the_toggle_until_unlocked(world):
    ticket = _by_time(world, factories.ticket_in(world, S.IN_PROGRESS))
    entry = worklog.log_time(world.agent, ticket, 0, 30)
    batch = _batch(world, [entry])
    assert entry.is_billed and entry.is_locked
    for attempt in (lambda: worklog.edit_time_entry(world.agent, entry, minutes=10),
                    lambda: worklog.delete_time_entry(world.supervisor, entry),
                    lambda: worklog.set_billable(world.supervisor, entry, False)):
        with pytest.raises(EntryBilled) as raised:
            attempt()
        assert raised.value.code == "entry_billed" and "2026-0001" in str(raised.value)
    for role in (world.agent, world.viewer):
        with pytest.raises(NotPermitted):
            batches.unlock_batch(role, batch)
    batches.unlock_batch(world.supervisor, batch, "Factura anulada")
    db.session.commit()
    assert batch.unlocked_by_id == world.supervisor.id and batch.unlocked_at is not None
    assert _changes(ticket, "billing_batch") == [(None, "2026-0001"), ("2026-0001", "UNLOCKED")]
    assert ticket.changes[-1].note.body_text == "Factura anulada"
    worklog.edit_time_entry(world.agent, entry, minutes=10)
    assert entry.is_billed and not entry.is_locked and entry.amount == D("8.33")
    with pytest.raises(InvalidTransition):
        batches.unlock_batch(world.supervisor, batch)


def test_a_batch_takes_billable_time_not_billed_yet(world):
    ticket = _by_time(world, factories.ticket_in(world, S.IN_PROGRESS))
    entry = worklog.log_time(world.agent, ticket, 0, 30)
    worklog.set_billable(world.supervisor, entry, False)
    with pytest.raises(ValidationFailed):
        _batch(world, [entry])
    db.session.rollback()
    with pytest.raises(NotPermitted):
        batches.create_batch(world.agent, "X", dt.date(2026, 1, 1), dt.date(2026, 1, 2), [])
