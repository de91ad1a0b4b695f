"""`flask sla tick` at a million tickets (issue 15, app/services/sla/ticks.py): each ticket stores
the next moment the tick has something to do for it (Ticket.sla_check_at); a run reads only the
tickets whose moment has come, gives their warnings and breaches once each in working hours, and
reads every open ticket only after an edit of targets or calendars, once a day, or for a digest.
Every moment is fixed (`at`); the default calendar is Monday to Friday 09:00-18:00 in Madrid,
the week of Monday 16 November 2026 has no holiday, the digest goes at 08:00."""
import datetime as dt

from sqlalchemy import delete, select, update

from app.extensions import db
from app.models import Notification
from app.models.enums import TicketStatus, Urgency
from app.models.sla import SlaTickState
from app.models.ticket import Ticket
from app.services import assignment, notes, status_changes
from app.services.sla import digest, escalation, ticks
from app.services.sla.clocks import ticket_clocks
from app.services.sla.escalation import alert_level
from app.services.sla.targets import TargetFields, save_target
from app.services.sla.ticks import tick
from tests import factories
from tests.clocks import madrid
from tests.integration.test_stored_due import _Statements

MICRO = dt.timedelta(microseconds=1)


def _tick(at, day, hour, minute=0):
    return tick(db.session.commit, at(day, hour, minute))


def _check_at(ticket):
    return db.session.scalar(select(Ticket.sla_check_at).where(Ticket.id == ticket.id))


def _kinds():
    return [n.kind for n in db.session.scalars(
        select(Notification).where(Notification.kind.like("sla_%")).order_by(Notification.id))]


def _critical(world, at, minute=0):
    """A Critical ticket (first response 1 h, resolution 8 h) assigned to the agent, opened on
    Monday at 09:minute."""
    at(16, 9, minute)
    ticket = factories.new_ticket(world, urgency=Urgency.CRITICAL,
                                  contract_id=world.covering_contract.id)
    assignment.assign(world.supervisor, ticket, world.agent.id)
    db.session.commit()
    return ticket


def _low(world, at):
    at(16, 9)
    return factories.new_ticket(world, urgency=Urgency.LOW, contract_id=world.covering_contract.id)


def test_a_run_reads_only_the_tickets_whose_check_time_has_come(app, world, at):
    critical, quiet = _critical(world, at), [_low(world, at) for _ in range(3)]
    first = _tick(at, 16, 9, 1)  # the first run sweeps: nothing remembered, the digest owed
    assert first.swept and first.tickets == 4 and first.digests == 1
    with _Statements() as statements:
        idle = _tick(at, 16, 9, 30)
    assert not idle.swept and idle.tickets == 0 and idle.alerts == 0
    assert statements.reading("note") == [] and statements.reading("ticket_change") == []
    due = _tick(at, 16, 9, 48)  # only the critical ticket's warning has come
    assert (due.swept, due.tickets, due.alerts) == (False, 1, 1)
    assert _check_at(critical) == madrid(16, 10)  # next: its breach
    assert all(_check_at(ticket) > madrid(17, 9) for ticket in quiet)  # 16 h: Tuesday


def test_the_warning_and_the_breach_fire_once_each_at_their_moment(app, world, at):
    ticket = _critical(world, at)
    _tick(at, 16, 9, 1)
    assert _check_at(ticket) == madrid(16, 9, 47) + MICRO  # 80 % of 60 minutes: the 48th
    assert _tick(at, 16, 9, 47).tickets == 0
    assert _tick(at, 16, 9, 48).alerts == 1
    assert [_tick(at, 16, 9, minute).tickets for minute in (49, 55, 59)] == [0, 0, 0]
    assert _tick(at, 16, 10, 1).alerts == 1
    assert _kinds() == ["sla_warning", "sla_breach"]
    # next: the resolution's warning (80 % of 8 h: 6 h 24 from 09:00)
    assert _check_at(ticket) == madrid(16, 15, 23) + MICRO
    assert [_tick(at, 16, hour, 30).alerts for hour in (10, 11, 15)] == [0, 0, 1]
    assert _kinds() == ["sla_warning", "sla_breach", "sla_warning"]


def test_an_alert_outside_working_hours_waits_due_then_fires_once(app, world, at):
    world.agent.time_zone = "America/Mexico_City"  # Madrid 16:00 is 09:00 there
    ticket = _critical(world, at)
    at(16, 9, 10)
    notes.reply_publicly(world.agent, ticket, "Lo miramos")  # the first response is met
    db.session.commit()
    _tick(at, 16, 9, 11)
    waited = _tick(at, 16, 15, 24)  # the resolution's warning is due, 08:24 in Mexico
    assert (waited.alerts, waited.waiting, waited.tickets) == (0, 1, 1)
    assert _check_at(ticket) <= madrid(16, 15, 24)  # still due: read again next run
    assert (_tick(at, 16, 15, 59).tickets, _kinds()) == (1, [])
    assert _tick(at, 16, 16).alerts == 1 and _kinds() == ["sla_warning"]
    assert _check_at(ticket) == madrid(16, 17)  # then its breach, at 17:00
    assert _tick(at, 16, 16, 1).tickets == 0


def test_an_edited_target_moves_the_check_times_at_the_next_run(app, world, at):
    at(16, 9)
    ticket = factories.new_ticket(world, urgency=Urgency.HIGH,
                                  contract_id=world.covering_contract.id)
    _tick(at, 16, 9, 1)
    assert _check_at(ticket) == madrid(16, 12, 11) + MICRO  # 80 % of 4 h
    assert not _tick(at, 16, 9, 2).swept
    save_target(world.admin, None, TargetFields(Urgency.HIGH, None, 60, 60, 16 * 60))
    db.session.commit()
    assert _check_at(ticket) == madrid(16, 12, 11) + MICRO  # no history moved
    edited = _tick(at, 16, 9, 3)
    assert edited.swept and edited.dues >= 1
    assert _check_at(ticket) == madrid(16, 9, 47) + MICRO
    assert not _tick(at, 16, 9, 4).swept  # once, not every run after
    assert _tick(at, 16, 9, 48).alerts == 1


def test_a_ticket_answered_paused_or_resolved_drops_out(app, world, at):
    ticket = _critical(world, at)
    _tick(at, 16, 9, 1)
    at(16, 9, 20)
    notes.reply_publicly(world.agent, ticket, "Lo miramos")  # the first response is met
    db.session.commit()
    assert _check_at(ticket) == madrid(16, 15, 23) + MICRO  # the resolution's warning
    assert _tick(at, 16, 9, 48).tickets == 0  # the first response's warning never comes
    at(16, 10)
    status_changes.change_status(world.agent, ticket, TicketStatus.IN_PROGRESS, "Empiezo")
    status_changes.change_status(world.agent, ticket, TicketStatus.ON_HOLD, "Esperamos datos")
    db.session.commit()
    assert _check_at(ticket) is None  # paused: nothing counts
    assert _tick(at, 16, 15, 30).tickets == 0
    at(16, 16)
    status_changes.change_status(world.agent, ticket, TicketStatus.IN_PROGRESS, "Seguimos")
    db.session.commit()
    assert _check_at(ticket) == madrid(17, 12, 23) + MICRO  # six hours on hold not counted
    status_changes.change_status(world.agent, ticket, TicketStatus.RESOLVED, "Hecho")
    db.session.commit()
    assert _check_at(ticket) is None
    assert _tick(at, 17, 14).tickets == 0 and _kinds() == []


def test_the_first_run_after_the_upgrade_fills_the_check_times(app, world, at):
    tickets = [_critical(world, at), _low(world, at)]
    db.session.execute(update(Ticket).values(sla_check_at=None))
    db.session.execute(delete(SlaTickState))
    db.session.commit()
    assert [_check_at(ticket) for ticket in tickets] == [None, None]
    report = _tick(at, 16, 9, 1)
    assert report.swept and report.tickets == 2
    assert _check_at(tickets[0]) == madrid(16, 9, 47) + MICRO
    assert _check_at(tickets[1]) is not None


def test_the_warning_moment_is_where_alert_level_starts_warning(app, world, at):
    ticket = _critical(world, at, minute=7)
    for percent in (80, 75, 83, 100):
        app.config["SOPORTE_SLA_WARN_PERCENT"] = percent
        _tick(at, 16, 9, 8)  # the setting is in the fingerprint: a sweep stores the moments
        moment = _check_at(ticket)
        db.session.expire_all()
        before = ticket_clocks(ticket, moment - MICRO).first_response
        then = ticket_clocks(ticket, moment).first_response
        assert alert_level(before, percent) is None, percent
        assert alert_level(then, percent) is not None, percent


def test_a_warning_percent_over_100_never_puts_the_check_after_the_breach(app, world, at):
    ticket = _critical(world, at)  # first response due at 10:00
    app.config["SOPORTE_SLA_WARN_PERCENT"] = 120
    _tick(at, 16, 9, 1)
    assert _check_at(ticket) == madrid(16, 10)
    _tick(at, 16, 10, 1)
    assert _kinds() == ["sla_breach"]


def _old_digest(user, now, clocks):
    """The digest as computed before issue 15: from the list of every open ticket's clocks."""
    from operator import attrgetter

    _, day_end = digest.the_clock.day_bounds(now.astimezone(digest.the_clock.user_zone(user))
                                             .date(), digest.the_clock.user_zone(user))
    breached, due_today, waiting = [], [], []
    for ticket, ticket_clock in clocks:
        running = escalation.named_clocks(ticket_clock)
        late = [(n, c) for n, c in running if c.state.name == "BREACHED"]
        soon = [(n, c) for n, c in running if c.state.name == "RUNNING" and now <= c.due < day_end]
        for bucket, found in ((breached, late), (due_today, soon)):
            if found:
                name, c = min(found, key=lambda pair: pair[1].due)
                bucket.append(digest.DigestLine(ticket.number, ticket.subject, name.label, c.due))
        since = digest.customer_waiting_since(ticket)
        if since is not None:
            waiting.append(digest.DigestLine(ticket.number, ticket.subject, "", since))
    by = attrgetter("moment")
    return digest.DigestContent(sorted(breached, key=by), sorted(due_today, key=by),
                                sorted(waiting, key=by)[:digest.OLDEST], [])


def test_the_digest_read_in_batches_is_the_one_of_every_tickets_clocks(app, world, at,
                                                                      monkeypatch):
    monkeypatch.setattr(escalation, "BATCH", 3)
    monkeypatch.setattr(digest, "OLDEST", 2)  # 12 waiting tickets: the collector trims them
    monkeypatch.setattr(digest, "bank_alerts", lambda day: [])
    for minute, urgency in enumerate([Urgency.CRITICAL, Urgency.LOW, Urgency.HIGH] * 4):
        at(16, 9 + minute % 8, minute)
        ticket = factories.new_ticket(world, urgency=urgency,
                                      contract_id=world.covering_contract.id)
        if minute % 3 == 1:
            notes.reply_publicly(world.agent, ticket, "Respondido")
            db.session.commit()
    now = at(17, 8)
    every = [(t, ticket_clocks(t, now)) for t in db.session.scalars(
        select(Ticket).order_by(Ticket.id))]
    expected = _old_digest(world.supervisor, now, every)
    assert expected.breached and expected.due_today and len(expected.oldest_unanswered) == 2
    seen = []
    monkeypatch.setattr(ticks, "send_collected",
                        lambda collectors: seen.extend(c.content() for c in collectors) or 0)
    assert _tick(at, 17, 8).tickets == 12
    assert seen == [expected]


def test_an_owed_digest_with_nothing_to_say_reads_no_ticket_until_one_may_give_a_line(
        app, world, at):
    ticket = _low(world, at)
    at(16, 9, 10)
    notes.reply_publicly(world.agent, ticket, "Respondido")  # met; resolution due next week
    db.session.commit()
    assert _tick(at, 17, 8).swept  # the day's first run sweeps anyway
    quiet = _tick(at, 17, 8, 30)  # the digest is still owed, with nothing to say
    assert (quiet.swept, quiet.tickets, quiet.digests) == (False, 0, 0)
    at(17, 9)
    factories.new_ticket(world, urgency=Urgency.HIGH)  # never answered: a line to give
    owed = _tick(at, 17, 9, 30)
    assert (owed.swept, owed.tickets, owed.digests) == (True, 2, 1)


def test_a_long_sweep_checks_what_falls_due_meanwhile_and_gives_each_alert_once(
        app, world, at, monkeypatch):
    monkeypatch.setattr(escalation, "BATCH", 1)
    app.config["SOPORTE_SLA_TICK_SECONDS"] = 0  # every batch of the sweep outlasts the interval
    due_passes = []
    real = ticks.due_ticket_batches
    monkeypatch.setattr(ticks, "due_ticket_batches",
                        lambda moment: due_passes.append(moment) or real(moment))
    tickets = [_critical(world, at) for _ in range(3)]
    report = _tick(at, 16, 9, 50)  # the first run sweeps; every warning is due
    assert report.swept and len(due_passes) >= len(tickets)
    assert (report.alerts, _kinds()) == (3, ["sla_warning"] * 3)
    assert all(_check_at(ticket) == madrid(16, 10) for ticket in tickets)


def test_every_open_ticket_is_swept_once_a_day_with_the_digests(app, world, at):
    _low(world, at)
    assert _tick(at, 16, 9, 1).swept
    night = _tick(at, 17, 7)  # a new day, before the digests' time
    assert (night.swept, night.tickets) == (False, 0)
    morning = _tick(at, 17, 8)
    assert (morning.swept, morning.tickets, morning.digests) == (True, 1, 1)
    assert not _tick(at, 17, 8, 1).swept
