"""Time logging: the quote gate, whole minutes as hours and minutes, and the ticket's total."""
import datetime as dt

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import TicketStatus, TimeEntry
from app.services import clock, quote_decisions, worklog
from app.services.billing import basis, payment
from app.services.errors import NotPermitted, QuoteNotApproved, TicketClosed, ValidationFailed
from tests import factories

S = TicketStatus


@pytest.mark.parametrize("status", [S.NEW, S.QUOTED])
def test_no_time_on_a_billed_ticket_before_approval(world, status):
    ticket = factories.ticket_in(world, status)
    with pytest.raises(QuoteNotApproved):
        worklog.log_time(world.agent, ticket, 1, 0)
    db.session.rollback()
    assert db.session.scalars(select(TimeEntry)).all() == []
    assert ticket.total_minutes == 0


def test_rejected_quote_closes_the_gate_again(world):
    from app.services import quotes

    ticket = factories.ticket_in(world, S.QUOTED)
    quote_decisions.decide_by_customer(ticket.current_quote.id, 1, False)
    with pytest.raises(QuoteNotApproved):
        worklog.log_time(world.agent, ticket, 1, 0)


@pytest.mark.parametrize("status", [S.APPROVED, S.IN_PROGRESS, S.ON_HOLD, S.RESOLVED])
def test_time_after_approval_adds_up(world, status):
    ticket = factories.ticket_in(world, status)
    worklog.log_time(world.agent, ticket, 1, 30, "Diagnóstico")
    worklog.log_time(world.agent2, ticket, "0", "5")
    db.session.commit()
    assert [e.minutes for e in ticket.time_entries] == [90, 5]
    assert ticket.total_minutes == 95
    assert ticket.time_entries[0].user_id == world.agent.id


def test_time_on_free_tickets(world):
    by_contract = factories.ticket_in(world, S.NEW, free=True)
    worklog.log_time(world.agent, by_contract, 0, 20)
    marked = factories.new_ticket(world)
    basis.mark_free(world.supervisor, marked, True, "Cortesía")
    worklog.log_time(world.agent, marked, 0, 20)
    db.session.commit()
    assert by_contract.total_minutes == marked.total_minutes == 20


def test_an_expired_contract_does_not_make_a_ticket_free(world):
    world.covering_contract.ends_on = clock.today() - dt.timedelta(days=1)
    ticket = factories.new_ticket(world, contract_id=world.covering_contract.id)
    with pytest.raises(QuoteNotApproved):
        worklog.log_time(world.agent, ticket, 1, 0)


@pytest.mark.parametrize("hours, minutes", [
    (0, 0), (0, -5), (-1, 30), (1, 60), ("uno", 0), (0, "1.5"), (25, 0), (24, 1), ("", ""),
])
def test_bad_durations_are_refused(world, hours, minutes):
    ticket = factories.ticket_in(world, S.IN_PROGRESS)
    with pytest.raises(ValidationFailed):
        worklog.log_time(world.agent, ticket, hours, minutes)
    db.session.rollback()
    assert ticket.total_minutes == 0


def test_parse_duration_accepts_whole_minutes_up_to_a_day():
    assert worklog.parse_duration(0, 1) == 1
    assert worklog.parse_duration("2", "15") == 135
    assert worklog.parse_duration(24, 0) == 1440
    assert worklog.parse_duration(None, 45) == 45


def test_no_time_in_the_future_or_on_closed_tickets_or_by_viewers(world):
    ticket = factories.ticket_in(world, S.IN_PROGRESS)
    with pytest.raises(ValidationFailed):
        worklog.log_time(world.agent, ticket, 1, 0, work_date=clock.today() + dt.timedelta(days=7))
    with pytest.raises(NotPermitted):
        worklog.log_time(world.viewer, ticket, 1, 0)
    closed = factories.ticket_in(world, S.CLOSED, free=True)
    with pytest.raises(TicketClosed):
        worklog.log_time(world.agent, closed, 1, 0)


def test_work_is_dated_on_the_companys_day(app, world):
    # 23:30 UTC on 31 December is already 1 January in Madrid (and still the 31st on a UTC server)
    app.config["SOPORTE_TIMEZONE"] = "Europe/Madrid"
    app.config["SOPORTE_FIXED_NOW"] = dt.datetime(2026, 12, 31, 23, 30, tzinfo=dt.timezone.utc)
    ticket = factories.ticket_in(world, S.IN_PROGRESS, free=True)
    entry = worklog.log_time(world.agent, ticket, 0, 30)
    assert entry.work_date == dt.date(2027, 1, 1)
    worklog.log_time(world.agent, ticket, 0, 30, work_date=dt.date(2027, 1, 2))  # tomorrow: ok
    with pytest.raises(ValidationFailed):
        worklog.log_time(world.agent, ticket, 0, 30, work_date=dt.date(2027, 1, 3))


def test_rows_and_today_come_from_the_same_clock(app, world):
    """One clock: under a fixed moment, a ticket's creation, its history and its time entry are
    dated by it, and the work date is that moment's day in the company's zone."""
    import datetime as dt

    from app.services import clock

    app.config["SOPORTE_TIMEZONE"] = "Europe/Madrid"
    app.config["SOPORTE_FIXED_NOW"] = dt.datetime(2026, 10, 24, 22, 30, tzinfo=dt.timezone.utc)
    ticket = factories.new_ticket(world)
    basis.mark_free(world.supervisor, ticket, True)
    entry = worklog.log_time(world.agent, ticket, 1, 0)
    db.session.commit()
    assert ticket.created_at == clock.now() == app.config["SOPORTE_FIXED_NOW"]
    assert {change.created_at for change in ticket.changes} == {clock.now()}
    assert entry.work_date == dt.date(2026, 10, 25)  # 00:30 in Madrid
