"""Permissions per role, checked inside the services (table-driven: role × action)."""
import pytest

from app.extensions import db
from app.models import PaymentStatus, TicketStatus
from app.services import assignment, notes, quote_decisions, quotes, status_changes, tickets, worklog
from app.services.billing import basis, payment
from app.services.errors import NotPermitted
from app.services.quotes import QuoteInput
from app.services.tickets import TicketFields
from tests import factories

S = TicketStatus

def _reevaluate_under_a_covering_contract(world, actor, ticket):
    """Re-evaluate a billed ticket whose contract covers support now (so it would change)."""
    ticket.contract = world.covering_contract
    return basis.reevaluate(actor, ticket, "revisión")


# action: (status the ticket starts in, callable(world, actor, ticket))
ACTIONS = {
    "create": (S.NEW, lambda w, a, t: tickets.create_ticket(
        a, TicketFields(client_id=w.client.id, description="x"))),
    "edit": (S.NEW, lambda w, a, t: tickets.edit_ticket(
        a, t, TicketFields(client_id=w.client.id, description="editado"))),
    "assign": (S.NEW, lambda w, a, t: assignment.assign(a, t, w.agent.id)),
    "quote": (S.NEW, lambda w, a, t: quotes.save_quote(a, t, QuoteInput("10", "1", "USD"))),
    "record_approval": (S.QUOTED, lambda w, a, t: quote_decisions.record_decision(a, t, True, "tel.")),
    "start_work": (S.APPROVED, lambda w, a, t: status_changes.change_status(a, t, S.IN_PROGRESS, "go")),
    "log_time": (S.IN_PROGRESS, lambda w, a, t: worklog.log_time(a, t, 0, 30)),
    "internal_note": (S.NEW, lambda w, a, t: notes.add_internal_note(a, t, "nota")),
    "reply": (S.NEW, lambda w, a, t: notes.reply_publicly(a, t, "respuesta")),
    "close": (S.IN_PROGRESS, lambda w, a, t: status_changes.close_ticket(a, t, "fin")),
    "reopen": (S.CLOSED, lambda w, a, t: status_changes.reopen_ticket(a, t, "reabro")),
    "mark_free": (S.NEW, lambda w, a, t: basis.mark_free(a, t, True, "cortesía")),
    "reevaluate": (S.NEW, _reevaluate_under_a_covering_contract),
    "payment": (S.IN_PROGRESS, lambda w, a, t: payment.set_payment_status(a, t, PaymentStatus.PAID)),
}

ALLOWED = {
    "admin": set(ACTIONS),
    "supervisor": set(ACTIONS),
    "agent": {"create", "edit", "quote", "start_work", "log_time", "internal_note", "reply", "close"},
    "viewer": set(),
    "inactive": set(),
}


@pytest.mark.parametrize("role", sorted(ALLOWED))
def test_each_role_may_do_exactly_its_actions(world, role):
    actor = getattr(world, role)
    for action, (start, call) in sorted(ACTIONS.items()):
        ticket = factories.ticket_in(world, start)
        if action in ALLOWED[role]:
            call(world, actor, ticket)
            db.session.commit()
        else:
            with pytest.raises(NotPermitted):
                call(world, actor, ticket)
            db.session.rollback()
