"""Each role on each action of the ticket page: the button is shown exactly when the role may
press it, and the URL, posted directly, changes the ticket exactly when the role may."""
import datetime as dt
from dataclasses import dataclass
from typing import Callable

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Note, PaymentStatus, QuoteStatus, TicketStatus
from tests import factories
from tests.factories import PASSWORD

ROLES = ("viewer", "agent", "supervisor", "admin")
WORKERS = {"agent", "supervisor", "admin"}
SUPERVISORS = {"supervisor", "admin"}


@dataclass(frozen=True)
class Case:
    """An action, the ticket it applies to, what is posted, and how to see that it happened."""

    form: str  # the id of the form that holds its button: action-<form>
    state: TicketStatus
    free: bool
    data: Callable[[object], dict]
    happened: Callable[[object], bool]
    allowed: set[str]
    prepare: Callable[[object, object], None] | None = None  # (world, ticket), after ticket_in


def _contract_ended(world, ticket) -> None:
    """The covering contract the ticket was created under has ended since."""
    world.covering_contract.ends_on = dt.date(2020, 1, 1)
    db.session.commit()


def _notes(ticket) -> int:
    return db.session.scalar(select(func.count()).select_from(Note).where(
        Note.ticket_id == ticket.id))


CASES = {
    "assign": Case("assign", TicketStatus.NEW, False, lambda w: {"assignee_id": str(w.agent.id)},
                   lambda t: t.assignee_id is not None, SUPERVISORS),
    "quote": Case("quote", TicketStatus.NEW, False,
                  lambda w: {"price": "80", "estimated_hours": "1", "currency": "USD"},
                  lambda t: t.status is TicketStatus.QUOTED, WORKERS),
    "approve": Case("approve", TicketStatus.QUOTED, False, lambda w: {"note": "Por teléfono"},
                    lambda t: t.status is TicketStatus.APPROVED, SUPERVISORS),
    "reject": Case("approve", TicketStatus.QUOTED, False, lambda w: {"note": "Por teléfono"},
                   lambda t: t.current_quote.status is QuoteStatus.REJECTED, SUPERVISORS),
    "free": Case("free", TicketStatus.NEW, False, lambda w: {"free": "1", "note": "Garantía"},
                 lambda t: t.is_free, SUPERVISORS),
    "reevaluate": Case("reevaluate", TicketStatus.NEW, True, lambda w: {"note": "Revisión"},
                       lambda t: t.billing_basis is None, SUPERVISORS, _contract_ended),
    "payment": Case("payment", TicketStatus.CLOSED, False, lambda w: {"payment_status": "PAID"},
                    lambda t: t.payment_status is PaymentStatus.PAID, SUPERVISORS),
    "time": Case("time", TicketStatus.IN_PROGRESS, True,
                 lambda w: {"hours": "1", "minutes": "15", "note": "Revisión"},
                 lambda t: t.total_minutes == 75, WORKERS),
    "status": Case("status", TicketStatus.IN_PROGRESS, True,
                   lambda w: {"status": "ON_HOLD", "note": "Esperando repuesto"},
                   lambda t: t.status is TicketStatus.ON_HOLD, WORKERS),
    "note": Case("note", TicketStatus.NEW, False, lambda w: {"text": "Llamar mañana"},
                 lambda t: _notes(t) == 1, WORKERS),
    "reply": Case("reply", TicketStatus.NEW, False, lambda w: {"text": "Lo revisamos hoy"},
                  lambda t: _notes(t) == 1, WORKERS),
    "close": Case("close", TicketStatus.RESOLVED, True, lambda w: {"note": "Listo"},
                  lambda t: t.status is TicketStatus.CLOSED, WORKERS),
    "reopen": Case("reopen", TicketStatus.CLOSED, False, lambda w: {"note": "Volvió a fallar"},
                   lambda t: t.status is not TicketStatus.CLOSED, SUPERVISORS),
}


def _login(client, user) -> None:
    assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", sorted(CASES))
def test_the_button_and_the_url_follow_the_role(world, client, action, role):
    case = CASES[action]
    ticket = factories.ticket_in(world, case.state, free=case.free)
    if case.prepare:
        case.prepare(world, ticket)
    _login(client, getattr(world, role))
    page = client.get(f"/operacion/ticket/{ticket.number}").get_data(as_text=True)
    allowed = role in case.allowed
    assert (f'id="action-{case.form}"' in page) is allowed
    if action == "reject":
        assert ("/reject" in page) is allowed
    response = client.post(f"/operacion/ticket/{ticket.number}/{action}", data=case.data(world))
    assert response.status_code == 303
    db.session.expire_all()
    assert case.happened(ticket) is allowed
    if not allowed:
        flashed = client.get(f"/operacion/ticket/{ticket.number}").get_data(as_text=True)
        assert 'class="flash error ' in flashed  # the service's refusal, shown to the user
