"""Escalation (app.services.sla.escalation.run_due_checks): a warning at 80 % of a clock's target
and one at its breach, each once, to the assignee or the active supervisors, in the dashboard
and by email in the recipient's language, only within the recipient's working hours. Every
moment is fixed (SOPORTE_FIXED_NOW, and the `now` given); the default calendar is Monday to
Friday 09:00-18:00 in Madrid, and the week of Monday 16 November 2026 has no holiday."""

from sqlalchemy import select, update

from app.extensions import db
from app.models import Notification, OutboxMessage
from app.models.enums import Language, Role, SlaAlertLevel, SlaClock, Urgency
from app.models.sla import SlaAlert
from app.models.ticket import Ticket
from app.services import assignment, notes
from app.services.customer_mail import CustomerEmail, receive
from app.services.sla.escalation import EscalationReport, check_batch, due_ticket_batches
from tests import factories


def _tick(at, day, hour, minute=0):
    """What a tick does with the tickets whose check time has come (app.services.sla.ticks)."""
    now, report = at(day, hour, minute), EscalationReport()
    for batch in due_ticket_batches(now):
        report += check_batch(batch, now).report
        db.session.commit()
    return report


def _critical(world, at, assignee=None):
    """A Critical ticket (first response 1 h, resolution 8 h) opened Monday 09:00."""
    at(16, 9)
    ticket = factories.new_ticket(world, urgency=Urgency.CRITICAL)
    if assignee is not None:
        assignment.assign(world.supervisor, ticket, assignee.id)
        db.session.commit()
    return ticket


def _alerts(kind=None):
    query = select(Notification).where(Notification.kind.like("sla_%")).order_by(Notification.id)
    if kind:
        query = query.where(Notification.kind == kind)
    return list(db.session.scalars(query))


def _alert_mail():
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "sla_alert")
                                   .order_by(OutboxMessage.id)))


def test_the_warning_comes_at_80_percent_of_the_target_once(app, world, at):
    ticket = _critical(world, at, assignee=world.agent)
    assert _tick(at, 16, 9, 47).alerts == 0  # 47 of 60 minutes
    report = _tick(at, 16, 9, 48)  # 48 of 60: 80 %
    assert (report.alerts, report.notified) == (1, 1)
    [alert] = _alerts()
    assert (alert.user_id, alert.kind, alert.ticket_id) == (world.agent.id, "sla_warning",
                                                            ticket.id)
    assert ticket.number in alert.message and "Primera respuesta" in alert.message
    assert "10:00" in alert.message  # the due time, in the agent's (the company's) zone
    [mail] = _alert_mail()
    assert mail.to_address == world.agent.email and ticket.number in mail.subject
    assert "Primera respuesta" in mail.body_text and "10:00" in mail.body_text
    assert _tick(at, 16, 9, 55).alerts == 0  # the next tick gives nothing new
    assert len(_alerts()) == 1 and len(_alert_mail()) == 1


def test_the_breach_comes_once_after_the_due_time(app, world, at):
    _critical(world, at, assignee=world.agent)
    _tick(at, 16, 9, 50)
    assert _tick(at, 16, 10, 1).alerts == 1
    assert [n.kind for n in _alerts()] == ["sla_warning", "sla_breach"]
    assert _tick(at, 16, 10, 30).alerts == 0
    assert _tick(at, 16, 11, 0).alerts == 0
    rows = db.session.scalars(select(SlaAlert).order_by(SlaAlert.id)).all()
    assert [(r.clock, r.level) for r in rows] == [
        (SlaClock.FIRST_RESPONSE, SlaAlertLevel.WARNING),
        (SlaClock.FIRST_RESPONSE, SlaAlertLevel.BREACH)]


def test_a_clock_already_breached_when_first_seen_gives_the_breach_only(app, world, at):
    _critical(world, at, assignee=world.agent)
    _tick(at, 16, 10, 5)
    assert [n.kind for n in _alerts()] == ["sla_breach"]


def test_an_unassigned_ticket_tells_every_active_supervisor_in_their_language(app, world, at):
    english = factories.make_user(Role.SUPERVISOR, "boss@soporte.example", "Boss",
                                  language=Language.EN)
    factories.make_user(Role.SUPERVISOR, "old@soporte.example", "Old", active=False)
    db.session.commit()
    ticket = _critical(world, at)
    assert _tick(at, 16, 9, 48).notified == 2
    by_user = {n.user_id: n for n in _alerts()}
    assert set(by_user) == {world.supervisor.id, english.id}
    assert "First response" in by_user[english.id].message
    assert "Primera respuesta" in by_user[world.supervisor.id].message
    mails = {m.to_address: m for m in _alert_mail()}
    assert set(mails) == {world.supervisor.email, english.email}
    assert "First response" in mails[english.email].body_text
    assert ticket.number in mails[english.email].subject
    assert not any(n.user_id == world.agent.id for n in _alerts())


def test_nothing_outside_the_recipients_working_hours_then_it_fires_inside_them(app, world, at):
    world.agent.time_zone = "America/Mexico_City"  # UTC-6: Madrid 16:00 is 09:00 there
    ticket = _critical(world, at, assignee=world.agent)
    at(16, 9, 10)
    notes.reply_publicly(world.agent, ticket, "Lo miramos")  # the first response is met
    db.session.commit()
    report = _tick(at, 16, 15, 24)  # resolution at 80 % (6 h 24 of 8 h); 08:24 in Mexico
    assert (report.alerts, report.waiting) == (0, 1)
    assert _alerts() == [] and db.session.scalars(select(SlaAlert)).all() == []
    assert _tick(at, 16, 15, 59).alerts == 0  # 08:59 there
    assert _tick(at, 16, 16, 0).alerts == 1  # 09:00 there: the warning now
    [alert] = _alerts()
    assert alert.kind == "sla_warning" and "Resolución" in alert.message
    assert "10:00" in alert.message  # due 17:00 in Madrid, shown in the agent's zone


def _customer_writes(world, ticket):
    receive(world.contact, CustomerEmail(subject=f"Re: [{ticket.number}]", text="¿Y bien?",
                                         html=None, uploads=[]), ticket)
    db.session.commit()


def test_each_customer_message_starts_a_next_response_clock_warned_apart(app, world, at):
    ticket = _critical(world, at, assignee=world.agent)
    at(16, 9, 5)
    notes.reply_publicly(world.agent, ticket, "Lo miramos")
    db.session.commit()
    at(16, 9, 10)
    _customer_writes(world, ticket)
    assert _tick(at, 16, 9, 57).alerts == 0  # 47 of 60 minutes since the message
    assert _tick(at, 16, 9, 58).alerts == 1
    at(16, 10)
    notes.reply_publicly(world.agent, ticket, "Ya casi")
    db.session.commit()
    at(16, 11)
    _customer_writes(world, ticket)
    assert _tick(at, 16, 11, 30).alerts == 0
    assert _tick(at, 16, 11, 48).alerts == 1  # the second message's own clock
    rows = db.session.scalars(select(SlaAlert).where(
        SlaAlert.clock == SlaClock.NEXT_RESPONSE).order_by(SlaAlert.id)).all()
    assert [r.level for r in rows] == [SlaAlertLevel.WARNING, SlaAlertLevel.WARNING]
    assert len({r.cycle for r in rows}) == 2
    assert _tick(at, 16, 11, 50).alerts == 0


def test_an_alert_another_run_recorded_meanwhile_is_not_given_twice(app, world, at,
                                                                    monkeypatch):
    from app.services.sla import escalation

    ticket = _critical(world, at, assignee=world.agent)
    _tick(at, 16, 9, 48)
    [row] = db.session.scalars(select(SlaAlert)).all()
    monkeypatch.setattr(escalation, "given_alerts", lambda ids: {})  # as if not seen yet
    db.session.execute(update(Ticket).values(sla_check_at=at(16, 9, 49)))  # and read again
    db.session.commit()
    assert _tick(at, 16, 9, 50).alerts == 0  # the unique key refuses it in its savepoint
    assert len(_alerts()) == 1 and len(_alert_mail()) == 1
    assert db.session.scalars(select(SlaAlert)).all() == [row]  # the session goes on
    assert ticket.number in _alerts()[0].message
