"""Free or billed, and the payment status."""
import pytest

from app.extensions import db
from app.models import PaymentStatus, TicketStatus
from app.services import status_changes
from app.services.billing import basis, payment
from app.services.errors import InvalidTransition, ValidationFailed
from tests import factories

S = TicketStatus


def test_marking_free_lets_work_start_and_sets_payment_not_applicable(world):
    ticket = factories.new_ticket(world)
    basis.mark_free(world.supervisor, ticket, True, "Garantía")
    status_changes.change_status(world.agent, ticket, S.IN_PROGRESS, "empiezo")
    db.session.commit()
    assert ticket.is_free and ticket.payment_status is PaymentStatus.NOT_APPLICABLE
    fields = [c.field for c in ticket.changes]
    assert "is_free" in fields and "payment_status" in fields


def test_not_while_a_quote_awaits_the_customer(world):
    ticket = factories.ticket_in(world, S.QUOTED)
    with pytest.raises(InvalidTransition):
        basis.mark_free(world.supervisor, ticket, True)


def test_billed_again_only_before_work(world):
    ticket = factories.new_ticket(world)
    basis.mark_free(world.supervisor, ticket, True)
    basis.mark_free(world.supervisor, ticket, False)
    assert not ticket.is_free and ticket.payment_status is PaymentStatus.UNPAID
    started = factories.ticket_in(world, S.IN_PROGRESS, free=True)
    basis.mark_free(world.supervisor, started, True)
    with pytest.raises(InvalidTransition):
        basis.mark_free(world.supervisor, started, False)


def test_payment_status_of_billed_tickets_also_after_closing(world):
    ticket = factories.ticket_in(world, S.IN_PROGRESS)
    status_changes.close_ticket(world.agent, ticket, "listo")
    payment.set_payment_status(world.supervisor, ticket, "PAID")
    db.session.commit()
    assert ticket.payment_status is PaymentStatus.PAID
    assert ticket.changes[-1].old_value == "UNPAID"


@pytest.mark.parametrize("free, value", [(False, "NOT_APPLICABLE"), (True, "PAID"),
                                         (False, "PAGADO"), (False, "")])
def test_payment_status_must_fit_the_ticket(world, free, value):
    ticket = factories.ticket_in(world, S.NEW, free=free)
    with pytest.raises(ValidationFailed):
        payment.set_payment_status(world.supervisor, ticket, value)
