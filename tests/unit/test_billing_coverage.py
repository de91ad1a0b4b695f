"""Valuing an entry (docs/billing.md, issue 13): the quote's hours cover the ticket's time in
work order and only the rest is valued; time beyond them is billable only when a supervisor
bills the overage; billing by time values every entry at its rate; both choices value again
the entries not yet billed, at their own stored rate, and leave billed ones as they are."""
import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import TicketChange, TicketStatus
from app.services import quote_decisions, worklog
from app.services.billing import batches, coverage
from app.services.errors import InvalidTransition, NotPermitted
from tests import factories

S = TicketStatus
D = Decimal
NOW = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.timezone.utc)


@pytest.fixture(autouse=True)
def fixed_clock(app):
    """A fixed moment (20 November 2026, Madrid) and rates in euros."""
    app.config.update(SOPORTE_FIXED_NOW=NOW, SOPORTE_TIMEZONE="Europe/Madrid",
                      SOPORTE_DEFAULT_HOURLY_RATE="50.00", SOPORTE_CURRENCY="EUR")


def _quoted(world, hours="2"):
    """A ticket in progress under an approved quote of `hours` estimated hours."""
    ticket = factories.new_ticket(world)
    factories.quote(world, ticket, price="300.00", hours=hours)
    quote_decisions.decide_by_customer(ticket.current_quote.id, 1, True)
    db.session.commit()
    return ticket


def _log(world, ticket, minutes, day=None, who=None):
    entry = worklog.log_time(who or world.agent, ticket, minutes // 60, minutes % 60,
                             work_date=day)
    db.session.commit()
    return entry


def _value(entry):
    return (entry.covered_minutes, entry.rate, entry.currency, entry.amount, entry.billable)


def _changes(ticket, field):
    return [(c.old_value, c.new_value) for c in db.session.scalars(
        select(TicketChange).where(TicketChange.ticket_id == ticket.id,
                                   TicketChange.field == field).order_by(TicketChange.id))]


def test_the_quotes_hours_cover_entries_in_order_and_only_the_rest_is_valued(world):
    ticket = _quoted(world)
    first = _log(world, ticket, 90)
    second = _log(world, ticket, 45)
    third = _log(world, ticket, 20)
    assert _value(first) == (90, D("50.00"), "EUR", D("0.00"), False)
    assert _value(second) == (30, D("50.00"), "EUR", D("12.50"), False)  # 15 min beyond
    assert _value(third) == (0, D("50.00"), "EUR", D("16.67"), False)  # overage not billed
    usage = coverage.quote_usage(ticket)
    assert (usage.estimated_minutes, usage.logged_minutes, usage.covered_minutes,
            usage.overage_minutes, usage.percent) == (120, 155, 120, 35, 129)


def test_an_entry_dated_earlier_still_counts_what_others_consumed(world):
    ticket = _quoted(world, hours="1")
    later = _log(world, ticket, 40, day=dt.date(2026, 11, 19))
    earlier = _log(world, ticket, 40, day=dt.date(2026, 11, 10))
    assert (later.covered_minutes, earlier.covered_minutes) == (40, 20)
    assert earlier.amount == D("16.67")


def test_billing_the_overage_values_unbilled_entries_again_and_new_time_is_billable(world):
    ticket = _quoted(world)
    covered, beyond = _log(world, ticket, 120), _log(world, ticket, 30)
    world.client.hourly_rate = D("80.00")  # later rates never value old entries
    with pytest.raises(NotPermitted):
        coverage.set_bill_overage(world.agent, ticket, True)
    coverage.set_bill_overage(world.supervisor, ticket, True, "Pactado con el cliente")
    db.session.commit()
    assert ticket.changes[-1].note.body_text == "Pactado con el cliente"
    assert _value(covered) == (120, D("50.00"), "EUR", D("0.00"), False)
    assert _value(beyond) == (0, D("50.00"), "EUR", D("25.00"), True)
    assert _value(_log(world, ticket, 15)) == (0, D("80.00"), "EUR", D("20.00"), True)
    assert _changes(ticket, "bill_overage") == [("False", "True")]
    coverage.set_bill_overage(world.supervisor, ticket, False)
    assert beyond.billable is False and beyond.amount == D("25.00")


def test_billing_by_time_values_every_unbilled_entry_at_its_own_rate(world):
    ticket = _quoted(world)
    first, second = _log(world, ticket, 90), _log(world, ticket, 60)
    world.client.hourly_rate, world.client.currency = D("99.99"), "USD"
    coverage.set_billing_by_time(world.supervisor, ticket, True)
    db.session.commit()
    assert _value(first) == (0, D("50.00"), "EUR", D("75.00"), True)
    assert _value(second) == (0, D("50.00"), "EUR", D("50.00"), True)
    assert _value(_log(world, ticket, 7)) == (0, D("99.99"), "USD", D("11.67"), True)
    assert _changes(ticket, "billing_by_time") == [("False", "True")]
    coverage.set_billing_by_time(world.supervisor, ticket, False)  # back to the quote's price
    db.session.commit()
    assert [(e.covered_minutes, e.amount, e.billable) for e in ticket.time_entries] == [
        (90, D("0.00"), False), (30, D("25.00"), False), (0, D("11.67"), False)]


def test_billed_entries_keep_their_value_and_count_as_consumed(world):
    ticket = _quoted(world)
    coverage.set_bill_overage(world.supervisor, ticket, True)
    billed = _log(world, ticket, 150)  # 2 h covered by the quote, 30 min beyond it
    batches.create_batch(world.supervisor, "LOTE-2026-0001", dt.date(2026, 11, 1),
                         dt.date(2026, 11, 30), [billed])
    unbilled = _log(world, ticket, 60)
    coverage.set_bill_overage(world.supervisor, ticket, False)
    db.session.commit()
    assert _value(billed) == (120, D("50.00"), "EUR", D("25.00"), True)
    assert _value(unbilled) == (0, D("50.00"), "EUR", D("50.00"), False)


def test_a_ticket_partly_billed_keeps_how_it_is_billed(world):
    """By time after the quote's price was billed (or back after time was billed) would bill
    the same work twice: refused, and nothing changes."""
    by_time = _quoted(world)
    coverage.set_billing_by_time(world.supervisor, by_time, True)
    billed = _log(world, by_time, 60)
    batches.create_batch(world.supervisor, "LOTE-2026-0001", dt.date(2026, 11, 1),
                         dt.date(2026, 11, 30), [billed])
    with pytest.raises(InvalidTransition) as refused:
        coverage.set_billing_by_time(world.supervisor, by_time, False)
    assert refused.value.field == "billing_by_time" and by_time.billing_by_time is True

    at_price = _quoted(world)
    batches.create_batch(world.supervisor, "LOTE-2026-0002", dt.date(2026, 11, 1),
                         dt.date(2026, 11, 30), [], quotes=[at_price.current_quote])
    with pytest.raises(InvalidTransition):
        coverage.set_billing_by_time(world.supervisor, at_price, True)
    assert at_price.billing_by_time is False
    coverage.set_bill_overage(world.supervisor, at_price, True)  # time beyond: billed apart
    assert at_price.bill_overage is True


def test_a_supervisors_own_billable_choice_survives_the_revaluation(world):
    ticket = _quoted(world)
    chosen = _log(world, ticket, 30)
    worklog.set_billable(world.supervisor, chosen, True)  # against the default (covered)
    coverage.set_billing_by_time(world.supervisor, ticket, True)
    coverage.set_billing_by_time(world.supervisor, ticket, False)
    assert chosen.billable is True and chosen.covered_minutes == 30


def test_an_edit_values_the_entry_again_after_the_others(world):
    ticket = _quoted(world)
    first, second = _log(world, ticket, 60), _log(world, ticket, 30)
    worklog.edit_time_entry(world.agent, second, minutes=90)
    assert _value(second) == (60, D("50.00"), "EUR", D("25.00"), False)
    worklog.edit_time_entry(world.agent, first, minutes=30)
    assert _value(first) == (30, D("50.00"), "EUR", D("0.00"), False)


@pytest.mark.parametrize("minutes, rate, currency, amount", [
    (90, "33.33", "USD", "50.00"),  # 49.995 rounds half up
    (1, "0.30", "MXN", "0.01"), (7, "45.00", "GBP", "5.25"), (20, "99.99", "EUR", "33.33"),
])
def test_amounts_are_to_the_cent_in_the_tickets_currency(world, minutes, rate, currency, amount):
    world.client.hourly_rate, world.client.currency = D(rate), currency
    ticket = _quoted(world, hours="0.5")
    coverage.set_bill_overage(world.supervisor, ticket, True)
    _log(world, ticket, 30)  # the quote's half hour
    entry = _log(world, ticket, minutes)
    assert _value(entry) == (0, D(rate), currency, D(amount), True)


def test_only_a_supervisor_chooses_and_only_under_an_approved_quote(world):
    ticket = _quoted(world)
    for actor in (world.agent, world.viewer):
        with pytest.raises(NotPermitted):
            coverage.set_billing_by_time(actor, ticket, True)
    assert not ticket.billing_by_time and _changes(ticket, "billing_by_time") == []
    free = factories.ticket_in(world, S.IN_PROGRESS, free=True)
    waiting = factories.ticket_in(world, S.QUOTED)
    for other in (free, waiting):
        with pytest.raises(InvalidTransition) as raised:
            coverage.set_billing_by_time(world.supervisor, other, True)
        assert "presupuesto aprobado" in str(raised.value)
        with pytest.raises(InvalidTransition):
            coverage.set_bill_overage(world.supervisor, other, True)
    coverage.set_billing_by_time(world.supervisor, ticket, True)
    with pytest.raises(InvalidTransition) as raised:
        coverage.set_bill_overage(world.supervisor, ticket, True)
    assert "por tiempo" in str(raised.value)


def test_free_and_unlimited_contract_time_is_not_billable_but_keeps_its_amount(world):
    free = factories.ticket_in(world, S.IN_PROGRESS, free=True)  # a contract without a bank
    assert _value(_log(world, free, 60)) == (0, D("50.00"), "EUR", D("50.00"), False)


def test_each_choices_flag_is_its_check_that_did_not_raise(world):
    """The page's buttons: for every role and kind of ticket, a form is offered exactly when
    pressing it succeeds (each try rolled back in a savepoint)."""
    from app.services.billing.ticket_billing import ticket_billing

    by_time = _quoted(world)
    coverage.set_billing_by_time(world.supervisor, by_time, True)
    tickets = [_quoted(world), by_time, factories.ticket_in(world, S.IN_PROGRESS, free=True),
               factories.ticket_in(world, S.QUOTED)]
    db.session.commit()
    actions = (("by_time_target", "can_set_by_time", coverage.set_billing_by_time),
               ("overage_target", "can_set_overage", coverage.set_bill_overage))
    offered = []
    for actor in (world.viewer, world.agent, world.supervisor, world.admin):
        for ticket in tickets:
            panel = ticket_billing(actor, ticket)
            for target, flag, action in actions:
                savepoint = db.session.begin_nested()
                try:
                    action(actor, ticket, getattr(panel, target))
                    worked = True
                except (NotPermitted, InvalidTransition):
                    worked = False
                savepoint.rollback()
                assert getattr(panel, flag) is worked, (actor.role, ticket.billing_basis, flag)
                offered.append(worked)
    assert offered.count(True) == 6  # supervisor and admin: by time on both, overage on one
