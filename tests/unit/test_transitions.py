"""SPEC §3, table-driven: every manual status change, allowed or refused, and what each changes."""
import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import TicketChange, TicketStatus
from app.services import status_changes
from app.services.errors import InvalidTransition, QuoteNotApproved, TicketClosed, ValidationFailed
from tests import factories

S = TicketStatus

# Written from SPEC §3, independently of app.services.workflow.
ALLOWED_BILLED = {
    (S.APPROVED, S.IN_PROGRESS),
    (S.IN_PROGRESS, S.ON_HOLD),
    (S.IN_PROGRESS, S.RESOLVED),
    (S.ON_HOLD, S.IN_PROGRESS),
    (S.ON_HOLD, S.RESOLVED),
    (S.RESOLVED, S.IN_PROGRESS),
}
ALLOWED_FREE = {(S.NEW, S.IN_PROGRESS)} | {
    pair for pair in ALLOWED_BILLED if pair[0] not in (S.QUOTED, S.APPROVED)}
BILLED_SOURCES = list(S)
FREE_SOURCES = [S.NEW, S.IN_PROGRESS, S.ON_HOLD, S.RESOLVED, S.CLOSED]


def _history_count(ticket) -> int:
    return db.session.scalar(select(func.count()).select_from(TicketChange)
                             .where(TicketChange.ticket_id == ticket.id))


@pytest.mark.parametrize("source", BILLED_SOURCES, ids=lambda s: s.value)
def test_manual_moves_of_a_billed_ticket(world, source):
    for target in S:
        ticket = factories.ticket_in(world, source)
        before = _history_count(ticket)
        if (source, target) in ALLOWED_BILLED:
            status_changes.change_status(world.agent, ticket, target, "porque sí")
            db.session.commit()
            assert ticket.status is target
            assert ticket.changes[-1].field == "status"
            assert ticket.changes[-1].note.body_text == "porque sí"
        else:
            expected = TicketClosed if source is S.CLOSED else (InvalidTransition, QuoteNotApproved)
            with pytest.raises(expected):
                status_changes.change_status(world.agent, ticket, target, "porque sí")
            db.session.rollback()
            db.session.refresh(ticket)
            assert ticket.status is source
            assert _history_count(ticket) == before


@pytest.mark.parametrize("source", FREE_SOURCES, ids=lambda s: s.value)
def test_manual_moves_of_a_free_ticket(world, source):
    for target in S:
        ticket = factories.ticket_in(world, source, free=True)
        if (source, target) in ALLOWED_FREE:
            status_changes.change_status(world.agent, ticket, target, "nota")
            db.session.commit()
            assert ticket.status is target
        else:
            with pytest.raises((InvalidTransition, TicketClosed)):
                status_changes.change_status(world.agent, ticket, target, "nota")
            db.session.rollback()


def test_starting_work_on_a_billed_new_ticket_says_to_quote_first(world):
    ticket = factories.ticket_in(world, S.NEW)
    with pytest.raises(QuoteNotApproved) as error:
        status_changes.change_status(world.agent, ticket, S.IN_PROGRESS, "empiezo")
    assert "quote" in str(error.value) or "cotización" in str(error.value)


def test_forbidden_move_names_the_allowed_ones(world):
    ticket = factories.ticket_in(world, S.IN_PROGRESS)
    with pytest.raises(InvalidTransition) as error:
        status_changes.change_status(world.agent, ticket, S.NEW, "x")
    assert error.value.field == "status"
    ticket = factories.ticket_in(world, S.ON_HOLD)
    with pytest.raises(InvalidTransition) as error:
        status_changes.change_status(world.agent, ticket, S.ON_HOLD, "x")
    message = str(error.value)
    assert "En proceso" in message and "Resuelto" in message


@pytest.mark.parametrize("note", ["", "   ", None])
def test_a_status_change_needs_a_note(world, note):
    ticket = factories.ticket_in(world, S.APPROVED)
    with pytest.raises(ValidationFailed) as error:
        status_changes.change_status(world.agent, ticket, S.IN_PROGRESS, note)
    assert error.value.field == "note"
    db.session.rollback()
    assert ticket.status is S.APPROVED


@pytest.mark.parametrize("source", [s for s in S if s is not S.CLOSED], ids=lambda s: s.value)
def test_any_open_status_can_be_closed_with_a_resolution(world, source):
    ticket = factories.ticket_in(world, source)
    status_changes.close_ticket(world.agent, ticket, "Se reemplazó el disco.")
    db.session.commit()
    assert ticket.status is S.CLOSED
    assert ticket.closed_at is not None
    assert ticket.changes[-1].note.body_text == "Se reemplazó el disco."


def test_closing_needs_a_resolution_note(world):
    ticket = factories.ticket_in(world, S.IN_PROGRESS)
    with pytest.raises(ValidationFailed):
        status_changes.close_ticket(world.agent, ticket, "  ")
    db.session.rollback()
    assert ticket.status is S.IN_PROGRESS


def test_closing_twice_is_refused(world):
    ticket = factories.ticket_in(world, S.CLOSED)
    with pytest.raises(TicketClosed):
        status_changes.close_ticket(world.agent, ticket, "otra vez")


def test_reopen_returns_to_work_when_approved_else_to_new(world):
    approved = factories.ticket_in(world, S.IN_PROGRESS)
    status_changes.close_ticket(world.agent, approved, "listo")
    status_changes.reopen_ticket(world.supervisor, approved, "El cliente dice que falla de nuevo")
    assert approved.status is S.IN_PROGRESS and approved.closed_at is None
    never_quoted = factories.ticket_in(world, S.CLOSED)
    status_changes.reopen_ticket(world.supervisor, never_quoted, "Cerrado por error")
    assert never_quoted.status is S.NEW


def test_only_closed_tickets_are_reopened(world):
    ticket = factories.ticket_in(world, S.RESOLVED)
    with pytest.raises(InvalidTransition):
        status_changes.reopen_ticket(world.supervisor, ticket, "nota")


def test_resolving_and_closing_mail_the_requester(world):
    from app.models import OutboxMessage

    ticket = factories.ticket_in(world, S.IN_PROGRESS)
    status_changes.change_status(world.agent, ticket, S.RESOLVED, "Cambiamos la fuente de poder.")
    status_changes.close_ticket(world.agent, ticket, "Confirmado por el cliente.")
    db.session.commit()
    kinds = [m.kind for m in db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.ticket_id == ticket.id,
                                    OutboxMessage.to_address == world.contact.email)
        .order_by(OutboxMessage.id))]
    assert kinds[-2:] == ["status_resolved", "closed"]
    closing = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.kind == "closed")).one()
    assert "Confirmado por el cliente." in closing.body_text


@pytest.mark.parametrize("source, says", [
    (S.NEW, "cotización"), (S.QUOTED, "aprobación")], ids=["new", "quoted"])
def test_with_no_manual_move_the_refusal_says_what_would_allow_one(world, source, says):
    ticket = factories.ticket_in(world, source)
    with pytest.raises(InvalidTransition) as refused:
        status_changes.change_status(world.agent, ticket, S.RESOLVED, "porque sí")
    assert says in str(refused.value) and "—" not in str(refused.value)


def test_a_new_quote_version_while_quoted_records_no_status_change(world):
    ticket = factories.ticket_in(world, S.QUOTED)
    factories.quote(world, ticket, price="120")
    moves = [(c.old_value, c.new_value) for c in ticket.changes if c.field == "status"]
    assert ("QUOTED", "QUOTED") not in moves and ticket.status is S.QUOTED
