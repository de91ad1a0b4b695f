"""The billing basis (free, covered by a contract, billed under a quote), decided when work is
authorised and kept; re-evaluated only by a supervisor; and the payment status."""
import datetime as dt

import pytest

from app.extensions import db
from app.models import PaymentStatus, TicketStatus
from app.models.enums import BillingBasis
from app.services import clock, quote_decisions, status_changes, worklog
from app.services.billing import basis, payment
from app.services.errors import InvalidTransition, NotPermitted, QuoteNotApproved, \
    ValidationFailed
from app.services.ticket_actions import available_actions
from app.web.tickets.history_lines import describe
from tests import factories

S = TicketStatus
B = BillingBasis


def _basis_changes(ticket):
    return [c for c in ticket.changes if c.field == "billing_basis"]


def test_marking_free_lets_work_start_and_sets_payment_not_applicable(world):
    ticket = factories.new_ticket(world)
    basis.mark_free(world.supervisor, ticket, True, "Garantía")
    status_changes.change_status(world.agent, ticket, S.IN_PROGRESS, "empiezo")
    db.session.commit()
    assert ticket.billing_basis is B.FREE and ticket.payment_status is PaymentStatus.NOT_APPLICABLE
    [change] = _basis_changes(ticket)
    assert (change.old_value, change.new_value) == ("BILLED", "FREE")
    assert change.note.body_text == "Garantía"
    assert describe(change) == "Facturación: Facturado: pendiente de cotización aprobada → Gratuito"


def test_not_while_a_quote_awaits_the_customer(world):
    ticket = factories.ticket_in(world, S.QUOTED)
    with pytest.raises(InvalidTransition):
        basis.mark_free(world.supervisor, ticket, True)


def test_billed_again_only_before_work(world):
    ticket = factories.new_ticket(world)
    basis.mark_free(world.supervisor, ticket, True)
    basis.mark_free(world.supervisor, ticket, False)
    assert ticket.billing_basis is None and ticket.payment_status is PaymentStatus.UNPAID
    started = factories.ticket_in(world, S.IN_PROGRESS, free=True)
    with pytest.raises(InvalidTransition):
        basis.mark_free(world.supervisor, started, False)


def test_a_ticket_created_under_a_covering_contract_is_covered_by_it(world):
    ticket = factories.new_ticket(world, contract_id=world.covering_contract.id)
    assert ticket.billing_basis is B.CONTRACT
    assert ticket.billing_contract_id == world.covering_contract.id
    assert ticket.payment_status is PaymentStatus.NOT_APPLICABLE


def test_a_contract_that_does_not_cover_support_today_leaves_the_ticket_billed(world):
    world.covering_contract.starts_on = clock.today() + dt.timedelta(days=30)
    db.session.commit()
    ticket = factories.new_ticket(world, contract_id=world.covering_contract.id)
    assert ticket.billing_basis is None
    with pytest.raises(QuoteNotApproved):
        worklog.log_time(world.agent, ticket, 1, 0)


def test_coverage_is_judged_on_the_companys_day_not_the_servers(app, world):
    # 23:30 UTC on the 31st is already the 1st in Madrid, the day the contract starts
    app.config["SOPORTE_TIMEZONE"] = "Europe/Madrid"
    app.config["SOPORTE_FIXED_NOW"] = dt.datetime(2026, 12, 31, 23, 30, tzinfo=dt.timezone.utc)
    world.covering_contract.starts_on = dt.date(2027, 1, 1)
    db.session.commit()
    ticket = factories.new_ticket(world, contract_id=world.covering_contract.id)
    assert ticket.billing_basis is B.CONTRACT


def test_approving_a_quote_bills_the_ticket_under_that_version(world):
    ticket = factories.ticket_in(world, S.QUOTED)
    factories.quote(world, ticket, price="120.00")
    quote_decisions.decide_by_customer(ticket.current_quote.id, 2, True)
    db.session.commit()
    assert (ticket.billing_basis, ticket.billing_quote_version) == (B.QUOTE, 2)
    assert describe(_basis_changes(ticket)[-1]).endswith("Facturado según cotización v2")


def test_ending_the_covering_contract_keeps_the_ticket_in_progress_free(world):
    ticket = factories.ticket_in(world, S.IN_PROGRESS, free=True)
    world.covering_contract.ends_on = clock.today() - dt.timedelta(days=1)
    db.session.commit()
    worklog.log_time(world.agent, ticket, 0, 45, "sigue cubierto")
    db.session.commit()
    assert ticket.total_minutes == 45 and ticket.billing_basis is B.CONTRACT
    actions = available_actions(world.supervisor, ticket)
    assert actions["log_time"] and not actions["payment"]
    with pytest.raises(InvalidTransition):
        payment.set_payment_status(world.supervisor, ticket, "PAID")
    newcomer = factories.new_ticket(world, contract_id=world.covering_contract.id)
    assert newcomer.billing_basis is None and not newcomer.is_free
    assert available_actions(world.supervisor, newcomer)["payment"]


def test_reevaluating_applies_todays_contract_and_is_recorded(world):
    ticket = factories.new_ticket(world, contract_id=world.covering_contract.id)
    world.covering_contract.active = False
    db.session.commit()
    basis.reevaluate(world.supervisor, ticket, "El contrato terminó")
    db.session.commit()
    assert ticket.billing_basis is None and ticket.payment_status is PaymentStatus.UNPAID
    change = _basis_changes(ticket)[-1]
    assert change.new_value == "BILLED" and change.note.body_text == "El contrato terminó"
    assert describe(change) == ("Facturación: Cubierto por el contrato Soporte anual → "
                                "Facturado: pendiente de cotización aprobada")


@pytest.mark.parametrize("status", [S.NEW, S.IN_PROGRESS])
def test_reevaluating_what_would_not_change_is_refused_and_not_offered(world, status):
    ticket = factories.ticket_in(world, status)  # billed: awaiting a quote, or under quote 1
    before = (ticket.billing_basis, len(_basis_changes(ticket)))
    assert not available_actions(world.supervisor, ticket)["reevaluate"]
    with pytest.raises(InvalidTransition, match="Nada que reevaluar"):
        basis.reevaluate(world.supervisor, ticket)
    assert (ticket.billing_basis, len(_basis_changes(ticket))) == before


def test_a_paid_ticket_keeps_its_basis_when_its_contract_now_covers_it(world):
    ticket = factories.ticket_in(world, S.IN_PROGRESS)  # billed under quote 1
    payment.set_payment_status(world.supervisor, ticket, PaymentStatus.PAID)
    ticket.contract_id = world.covering_contract.id  # a covering contract added later
    db.session.commit()
    db.session.refresh(ticket)
    assert not available_actions(world.supervisor, ticket)["reevaluate"]
    with pytest.raises(InvalidTransition, match="ya está pagado"):
        basis.reevaluate(world.supervisor, ticket)
    assert ticket.billing_basis is B.QUOTE and ticket.payment_status is PaymentStatus.PAID


def test_an_unpaid_ticket_billed_under_a_quote_may_be_re_evaluated_as_covered(world):
    ticket = factories.ticket_in(world, S.IN_PROGRESS)
    ticket.contract_id = world.covering_contract.id
    db.session.commit()
    db.session.refresh(ticket)
    basis.reevaluate(world.supervisor, ticket)
    assert ticket.billing_basis is B.CONTRACT
    assert ticket.payment_status is PaymentStatus.NOT_APPLICABLE


def test_reevaluating_refuses_to_take_away_the_basis_of_started_work(world):
    ticket = factories.ticket_in(world, S.IN_PROGRESS, free=True)
    world.covering_contract.active = False
    db.session.commit()
    with pytest.raises(InvalidTransition):
        basis.reevaluate(world.supervisor, ticket)
    assert ticket.billing_basis is B.CONTRACT


def test_reevaluating_needs_a_supervisor_and_a_ticket_not_marked_free(world):
    ticket = factories.new_ticket(world)
    with pytest.raises(NotPermitted):
        basis.reevaluate(world.agent, ticket)
    basis.mark_free(world.supervisor, ticket, True)
    with pytest.raises(InvalidTransition):
        basis.reevaluate(world.supervisor, ticket)


def test_payment_status_of_billed_tickets_also_after_closing(world):
    ticket = factories.ticket_in(world, S.IN_PROGRESS)
    status_changes.close_ticket(world.agent, ticket, "listo")
    payment.set_payment_status(world.supervisor, ticket, "PAID")
    db.session.commit()
    assert ticket.payment_status is PaymentStatus.PAID
    assert ticket.changes[-1].old_value == "UNPAID"


@pytest.mark.parametrize("value", ["NOT_APPLICABLE", "PAGADO", ""])
def test_a_billed_tickets_payment_is_unpaid_or_paid(world, value):
    ticket = factories.ticket_in(world, S.NEW)
    with pytest.raises(ValidationFailed):
        payment.set_payment_status(world.supervisor, ticket, value)


@pytest.mark.parametrize("value", ["PAID", "UNPAID", "NOT_APPLICABLE"])
def test_a_free_tickets_payment_is_not_set_at_all(world, value):
    ticket = factories.ticket_in(world, S.NEW, free=True)
    with pytest.raises(InvalidTransition):
        payment.set_payment_status(world.supervisor, ticket, value)
    assert ticket.payment_status is PaymentStatus.NOT_APPLICABLE


def test_not_re_evaluated_while_a_quote_awaits_the_customer(world):
    ticket = factories.ticket_in(world, S.QUOTED)
    with pytest.raises(InvalidTransition, match="Registre primero la decisión"):
        basis.reevaluate(world.supervisor, ticket)
