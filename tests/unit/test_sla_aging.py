"""The aging of open tickets (app.services.sla.aging): ages in working days of each ticket's own
calendar (calendar_for) up to today by the fixed clock, the counts by age bucket and urgency, the
filters, the page oldest first, and each row's clock as ticket_clocks computes it. The default
calendar is Monday to Friday 09:00-18:00 in Europe/Madrid with Spain's holidays; Monday
16 November 2026 starts a week without one, Tuesday 8 December 2026 is a holiday."""
import pytest

from app.extensions import db
from app.models.enums import TicketStatus, Urgency
from app.services import assignment, notes, status_changes
from app.services.customer_mail import CustomerEmail, receive
from app.services.errors import NotPermitted, ValidationFailed
from app.services.sla import calendars
from app.services.sla.aging import (
    BUCKETS, AgingFilters, aging, bucket_named, bucket_of, ticket_age,
)
from app.services.sla.clocks import pressing_clock, ticket_clocks
from tests import factories
from tests.clocks import madrid


def _ages(world, **filters) -> dict[str, int]:
    """Each open ticket's age on the aging page, by number."""
    return {row.ticket.number: row.age_days
            for row in aging(world.supervisor, AgingFilters(**filters)).rows}


def _always_open(world, owner):
    """A 24/7 calendar given to the owner (a client or a contract)."""
    always = calendars.save_calendar(world.admin, None, calendars.CalendarFields(
        "24/7", "Europe/Madrid", "mon-sun 00:00-24:00"))
    calendars.use_calendar(world.admin, owner, always)
    db.session.commit()


def test_a_ticket_is_zero_days_old_on_its_day_and_a_weekend_does_not_count(world, at):
    at(13, 17)  # Friday
    friday = factories.new_ticket(world)
    at(16, 0, 30)  # Monday just after midnight in Madrid: still Sunday in UTC
    monday = factories.new_ticket(world)
    at(16, 10)
    assert _ages(world) == {friday.number: 1, monday.number: 0}
    at(17, 9)
    assert _ages(world) == {friday.number: 2, monday.number: 1}
    assert ticket_age(friday) == 2


def test_a_holiday_is_not_a_business_day(app, world):
    app.config["SOPORTE_FIXED_NOW"] = madrid(7, 12, month=12)  # Monday
    ticket = factories.new_ticket(world)
    app.config["SOPORTE_FIXED_NOW"] = madrid(9, 12, month=12)  # Wednesday, after the 8th
    assert _ages(world) == {ticket.number: 1}
    assert ticket_age(ticket, now=madrid(10, 12, month=12)) == 2


def test_a_ticket_on_a_24_7_client_calendar_ages_every_day(world, at):
    _always_open(world, world.client)
    at(13, 17)  # Friday
    always = factories.new_ticket(world)
    usual = factories.new_ticket(world, client_id=world.other_client.id,
                                 contact_id=world.other_contact.id)
    at(16, 10)  # Monday: Saturday, Sunday and Monday on the 24/7 calendar
    assert _ages(world) == {always.number: 3, usual.number: 1}


def test_a_contracts_calendar_comes_before_its_clients(world, at):
    _always_open(world, world.contract)
    at(13, 17)
    on_contract = factories.new_ticket(world, contract_id=world.contract.id)
    without = factories.new_ticket(world)
    at(16, 10)
    assert _ages(world) == {on_contract.number: 3, without.number: 1}


def test_ages_fall_in_buckets():
    assert [bucket.label for bucket in BUCKETS] == ["0", "1", "2–3", "4–7", "8+"]
    assert [bucket_of(days).key for days in (0, 1, 2, 3, 4, 7, 8, 300)] == [
        "0", "1", "2-3", "2-3", "4-7", "4-7", "8+", "8+"]
    assert bucket_named("4-7") is BUCKETS[3] and bucket_named("") is None
    with pytest.raises(ValidationFailed) as refused:
        bucket_named("9")
    assert refused.value.field == "bucket"


def test_the_counts_are_by_bucket_and_urgency_with_totals(world, at):
    at(2, 10)  # Monday two weeks before: 10 business days by Monday 16
    factories.new_ticket(world, urgency=Urgency.LOW)
    at(11, 10)  # Wednesday: 3 business days
    factories.new_ticket(world, urgency=Urgency.HIGH)
    factories.new_ticket(world, urgency=Urgency.HIGH)
    at(16, 9)
    factories.new_ticket(world, urgency=Urgency.CRITICAL)
    resolved = factories.ticket_in(world, TicketStatus.RESOLVED, free=True)
    closed = factories.ticket_in(world, TicketStatus.CLOSED)
    at(16, 11)
    report = aging(world.agent, AgingFilters())
    assert report.counts == {("8+", Urgency.LOW): 1, ("2-3", Urgency.HIGH): 2,
                             ("0", Urgency.CRITICAL): 1}
    assert report.by_bucket == {"0": 1, "1": 0, "2-3": 2, "4-7": 0, "8+": 1}
    assert report.by_urgency == {Urgency.CRITICAL: 1, Urgency.HIGH: 2, Urgency.MEDIUM: 0,
                                 Urgency.LOW: 1}
    assert report.total == report.matching == 4
    shown = [row.ticket.number for row in report.rows]
    assert resolved.number not in shown and closed.number not in shown
    assert [row.age_days for row in report.rows] == [10, 3, 3, 0]  # oldest first


def test_the_filters_narrow_the_counts_and_the_bucket_narrows_only_the_page(world, at):
    at(11, 10)
    mine = factories.new_ticket(world, urgency=Urgency.HIGH, contract_id=world.contract.id)
    assignment.assign(world.supervisor, mine, world.agent.id)
    db.session.commit()
    other = factories.new_ticket(world, client_id=world.other_client.id,
                                 contact_id=world.other_contact.id)
    at(16, 10)
    today = factories.new_ticket(world, urgency=Urgency.HIGH)
    for filters, expected in (
            ({"client_id": world.other_client.id}, {other.number}),
            ({"contract_id": world.contract.id}, {mine.number}),
            ({"urgency": Urgency.HIGH}, {mine.number, today.number}),
            ({"assignee_id": world.agent.id}, {mine.number})):
        report = aging(world.viewer, AgingFilters(**filters))
        assert {row.ticket.number for row in report.rows} == expected, filters
        assert report.total == len(expected)
    older = aging(world.viewer, AgingFilters(urgency=Urgency.HIGH, bucket=bucket_named("2-3")))
    assert [row.ticket.number for row in older.rows] == [mine.number]
    assert older.matching == 1 and older.total == 2  # the counts keep every age


def test_the_page_is_paginated_oldest_first(world, at):
    numbers = []
    for day in (12, 11, 13):
        at(day, 10)
        numbers.append((day, factories.new_ticket(world).number))
    at(16, 10)
    first = aging(world.agent, AgingFilters(per_page=2))
    second = aging(world.agent, AgingFilters(per_page=2, page=2))
    by_day = [number for _, number in sorted(numbers)]
    assert [row.ticket.number for row in first.rows + second.rows] == by_day
    assert (first.pages, second.page, len(second.rows)) == (2, 2, 1)


def test_each_rows_clock_is_ticket_clocks_from_the_tickets_history(world, at):
    at(13, 17)
    ticket = factories.new_ticket(world, urgency=Urgency.CRITICAL,
                                  contract_id=world.covering_contract.id)
    status_changes.change_status(world.agent, ticket, TicketStatus.IN_PROGRESS, "Mirando")
    at(13, 17, 30)
    notes.reply_publicly(world.agent, ticket, "¿Puede reiniciar?")
    db.session.commit()
    at(16, 9, 30)
    receive(world.contact, CustomerEmail(subject=f"Re: [{ticket.number}]", text="Reiniciado",
                                         html=None, uploads=[]), ticket)
    db.session.commit()
    at(16, 12)
    db.session.expire_all()  # the page reads the history from the database
    row = aging(world.agent, AgingFilters()).rows[0]
    assert (row.ticket.last_staff_reply_at, row.ticket.last_customer_message_at) == (
        madrid(13, 17, 30), madrid(16, 9, 30))
    clocks = ticket_clocks(ticket)
    assert row.clocks == clocks
    assert (row.pressing.name, row.pressing.clock) == pressing_clock(clocks)
    line = row.pressing  # the customer's message waits for an answer: 1 h from 9:30
    assert (line.name, line.clock.due, line.clock.minutes_left) == (
        "next_response", madrid(16, 10, 30), -90)
    assert line.overdue and line.minutes == 90


def test_whoever_may_not_view_tickets_is_refused(world):
    with pytest.raises(NotPermitted):
        aging(world.inactive, AgingFilters())
