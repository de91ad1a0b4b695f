"""Quotes: versions, the customer's decision, staff-recorded decisions, and bad amounts."""
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Notification, OutboxMessage, Quote, QuoteStatus, TicketStatus
from app.models.enums import BillingBasis
from app.services import quote_decisions, quotes
from app.services.errors import InvalidTransition, NotPermitted, TicketClosed, ValidationFailed
from app.services.quotes import QuoteInput
from tests import factories

S = TicketStatus


def _outbox(kind):
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind)))


def test_saving_a_quote_moves_new_to_quoted_and_mails_the_requester(world):
    ticket = factories.new_ticket(world)
    quote = quotes.save_quote(world.agent, ticket, QuoteInput("150.50", "2.5", "usd", "Cambio de disco"))
    db.session.commit()
    assert ticket.status is S.QUOTED
    assert (quote.version, quote.status, quote.currency) == (1, QuoteStatus.QUOTED, "USD")
    assert quote.price == Decimal("150.50") and isinstance(quote.price, Decimal)
    assert quote.estimated_hours == Decimal("2.50")
    [mail] = _outbox("quote_request")
    assert mail.to_address == world.contact.email
    assert "150,50\xa0US$" in mail.body_text and "150,50\xa0US$" in mail.body_html
    assert mail.subject.startswith(f"[{ticket.number}] ")


def test_a_new_version_supersedes_the_old_one(world):
    ticket = factories.ticket_in(world, S.QUOTED)
    first = ticket.current_quote
    second = factories.quote(world, ticket, price="90.00")
    assert ticket.status is S.QUOTED
    assert (first.status, second.status, second.version) == (
        QuoteStatus.SUPERSEDED, QuoteStatus.QUOTED, 2)
    with pytest.raises(InvalidTransition):
        quote_decisions.decide_by_customer(first.id, first.version, True)
    db.session.rollback()
    assert first.status is QuoteStatus.SUPERSEDED and ticket.status is S.QUOTED


def test_customer_approval(world):
    ticket = factories.ticket_in(world, S.QUOTED)
    quote = ticket.current_quote
    quote_decisions.decide_by_customer(quote.id, quote.version, True)
    db.session.commit()
    assert ticket.status is S.APPROVED and quote.status is QuoteStatus.APPROVED
    assert quote.decision_channel.value == "LINK" and quote.decided_at is not None
    assert quote.decided_by_label == f"customer {world.contact.email}"
    assert len(_outbox("quote_decision")) == 1


def test_customer_rejection_with_reason_returns_to_new(world):
    ticket = factories.ticket_in(world, S.QUOTED)
    quote = ticket.current_quote
    quote_decisions.decide_by_customer(quote.id, quote.version, False, "Muy caro")
    db.session.commit()
    assert ticket.status is S.NEW and quote.status is QuoteStatus.REJECTED
    assert quote.decision_note == "Muy caro"
    assert ticket.notes[-1].body_text == "Muy caro"
    # after a rejection staff can quote again
    again = factories.quote(world, ticket, price="80.00")
    assert again.version == 2 and ticket.status is S.QUOTED


def test_a_decided_quote_cannot_be_decided_again(world):
    ticket = factories.ticket_in(world, S.APPROVED)
    quote = ticket.current_quote
    with pytest.raises(InvalidTransition):
        quote_decisions.decide_by_customer(quote.id, quote.version, False)
    with pytest.raises(InvalidTransition):
        quote_decisions.decide_by_customer(quote.id, quote.version + 1, True)


def test_decision_notifies_assignee_and_supervisors(world):
    from app.services import assignment

    ticket = factories.ticket_in(world, S.QUOTED)
    assignment.assign(world.supervisor, ticket, world.agent2.id)
    quote_decisions.decide_by_customer(ticket.current_quote.id, 1, True)
    db.session.commit()
    users = {n.user_id for n in db.session.scalars(
        select(Notification).where(Notification.kind == "quote_approved"))}
    assert users == {world.agent2.id, world.supervisor.id}


def test_supervisor_records_an_approval_with_a_note(world):
    ticket = factories.ticket_in(world, S.QUOTED)
    quote_decisions.record_decision(world.supervisor, ticket, True, "Aprobó por teléfono el 3/11")
    db.session.commit()
    quote = ticket.current_quote
    assert ticket.status is S.APPROVED
    assert quote.decision_channel.value == "RECORDED"
    assert quote.decided_by_user_id == world.supervisor.id
    basis_change = [c for c in ticket.changes if c.field == "billing_basis"][-1]
    assert ticket.billing_basis is BillingBasis.QUOTE and ticket.billing_quote_version == 1
    assert basis_change.new_value == "QUOTE:1"
    assert basis_change.note.body_text == "Aprobó por teléfono el 3/11"


def test_recording_an_approval_needs_a_supervisor_and_a_note(world):
    ticket = factories.ticket_in(world, S.QUOTED)
    with pytest.raises(NotPermitted):
        quote_decisions.record_decision(world.agent, ticket, True, "me dijo que sí")
    with pytest.raises(ValidationFailed):
        quote_decisions.record_decision(world.supervisor, ticket, True, "")
    db.session.rollback()
    assert ticket.status is S.QUOTED


@pytest.mark.parametrize("status", [S.APPROVED, S.IN_PROGRESS, S.ON_HOLD, S.RESOLVED])
def test_quotes_only_while_new_or_quoted(world, status):
    ticket = factories.ticket_in(world, status)
    with pytest.raises(InvalidTransition):
        quotes.save_quote(world.agent, ticket, QuoteInput("10", "1", "USD"))


def test_a_closed_ticket_is_not_quoted(world):
    ticket = factories.ticket_in(world, S.CLOSED)
    with pytest.raises(TicketClosed):
        quotes.save_quote(world.agent, ticket, QuoteInput("10", "1", "USD"))


def test_a_free_ticket_needs_no_quote(world):
    ticket = factories.ticket_in(world, S.NEW, free=True)
    with pytest.raises(InvalidTransition):
        quotes.save_quote(world.agent, ticket, QuoteInput("10", "1", "USD"))


def test_a_quote_needs_a_requester(world):
    ticket = factories.new_ticket(world, contact_id=None)
    with pytest.raises(ValidationFailed) as error:
        quotes.save_quote(world.agent, ticket, QuoteInput("10", "1", "USD"))
    assert error.value.field == "contact"


@pytest.mark.parametrize("price", ["10.555", "-5", "0", "0.00", "abc", "", None, "NaN", "Infinity",
                                   "1e3.5", "99999999999"])
def test_bad_prices_are_refused_and_change_nothing(world, price):
    ticket = factories.new_ticket(world)
    with pytest.raises(ValidationFailed) as error:
        quotes.save_quote(world.agent, ticket, QuoteInput(price, "1", "USD"))
    assert error.value.field == "price"
    db.session.rollback()
    assert ticket.status is S.NEW
    assert db.session.scalars(select(Quote)).all() == []
    assert _outbox("quote_request") == []


@pytest.mark.parametrize("hours", ["0", "-1", "1.234", "x"])
def test_bad_hours_are_refused(world, hours):
    ticket = factories.new_ticket(world)
    with pytest.raises(ValidationFailed) as error:
        quotes.save_quote(world.agent, ticket, QuoteInput("10", hours, "USD"))
    assert error.value.field == "estimated_hours"


@pytest.mark.parametrize("currency", ["", "XYZ", "US", "dollars", None])
def test_unknown_currencies_are_refused(world, currency):
    ticket = factories.new_ticket(world)
    with pytest.raises(ValidationFailed) as error:
        quotes.save_quote(world.agent, ticket, QuoteInput("10", "1", currency))
    assert error.value.field == "currency"


def test_amounts_accept_a_decimal_comma_and_keep_cents(world):
    ticket = factories.new_ticket(world)
    quote = quotes.save_quote(world.agent, ticket, QuoteInput("1234,5", "0,75", "EUR"))
    db.session.commit()
    db.session.expire_all()
    assert quote.price == Decimal("1234.50") and quote.estimated_hours == Decimal("0.75")
