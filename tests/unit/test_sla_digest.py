"""The supervisors' daily digest (app.services.sla.digest, sent by the tick): at
SOPORTE_SLA_DIGEST_TIME in each supervisor's own zone, once per local day, in their language:
the tickets past a target, those due later that day, the oldest waiting for our answer; nothing
when there is nothing to say. Every moment is fixed (SOPORTE_FIXED_NOW and the `now` given); the
default calendar is Monday to Friday 09:00-18:00 in Madrid, the week of Monday 16 November 2026
has no holiday."""
import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import OutboxMessage
from app.models.enums import BankPeriod, Language, Role, Urgency
from app.models.sla import SlaDigest
from app.services import notes, worklog
from app.services.sla.clocks import ticket_clocks
from app.services.sla.ticks import tick
from tests import factories
from tests.clocks import MADRID


@pytest.fixture
def three_tickets(world, at):
    """Opened on Monday 16: a Critical one at 09:00 (past both targets by Tuesday), a Medium
    one at 17:00 (first response due Tuesday 16:00), a Low one at 09:30 answered at 09:40."""
    at(16, 9)
    late = factories.new_ticket(world, urgency=Urgency.CRITICAL, subject="Caído")
    at(16, 9, 30)
    answered = factories.new_ticket(world, urgency=Urgency.LOW, subject="Consulta")
    at(16, 9, 40)
    notes.reply_publicly(world.agent, answered, "Respondido")
    db.session.commit()
    at(16, 17)
    today = factories.new_ticket(world, urgency=Urgency.MEDIUM, subject="Lento")
    return late, today, answered


def _digests():
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "sla_digest")
                                   .order_by(OutboxMessage.id)))


def _send(at, day, hour, minute=0):
    """A tick at that moment (app.services.sla.ticks): the digests it sent."""
    return tick(db.session.commit, at(day, hour, minute)).digests


def _section(body: str, heading: str, headings: list[str]) -> str:
    """The text of one section of the digest: from its heading to the next one."""
    start = body.index(heading)
    ends = [body.index(h, start + 1) for h in headings if h != heading and h in body[start + 1:]]
    return body[start:min(ends, default=len(body))]


def test_sent_once_at_the_local_time_in_the_supervisors_language(app, world, at, three_tickets):
    late, today, answered = three_tickets
    assert _send(at, 17, 7, 59) == 0 and _digests() == []
    assert _send(at, 17, 8) == 1
    [mail] = _digests()
    assert mail.to_address == world.supervisor.email and mail.ticket_id is None
    assert "Niveles de servicio hoy" in mail.subject
    body = mail.body_text
    headings = ["Vencidos", "Vencen hoy", "Los que más esperan nuestra respuesta"]
    assert late.number in _section(body, "Vencidos", headings)
    assert today.number not in _section(body, "Vencidos", headings)
    due_today = _section(body, "Vencen hoy", headings)
    assert today.number in due_today and late.number not in due_today
    assert "17 nov 2026, 16:00" in due_today  # the first response's due time, local
    waiting = _section(body, "Los que más esperan nuestra respuesta", headings)
    assert waiting.index(late.number) < waiting.index(today.number)  # oldest first
    assert answered.number not in body  # we wrote last, nothing due
    assert _send(at, 17, 9) == 0 and _send(at, 17, 17) == 0  # once a day
    assert [d.day for d in db.session.scalars(select(SlaDigest))] == [dt.date(2026, 11, 17)]
    assert _send(at, 18, 8, 5) == 1  # the next day's


def test_the_due_times_are_those_of_ticket_clocks(app, world, at, three_tickets):
    _, today, _ = three_tickets
    now = at(17, 8)
    due = ticket_clocks(today, now).first_response.due.astimezone(MADRID)
    _send(at, 17, 8)
    assert due.strftime("%H:%M") == "16:00"
    assert f"17 nov 2026, {due:%H:%M}" in _digests()[0].body_text


def test_each_supervisor_at_their_own_local_time_and_language(app, world, at, three_tickets):
    late, _, _ = three_tickets
    boss = factories.make_user(Role.SUPERVISOR, "boss@soporte.example", "Boss",
                               language=Language.EN)
    boss.time_zone = "America/Bogota"  # 08:00 there is 14:00 in Madrid
    db.session.commit()
    assert _send(at, 17, 8) == 1  # the Madrid supervisor only
    assert _send(at, 17, 13, 59) == 0
    assert _send(at, 17, 14) == 1
    mail = _digests()[-1]
    assert mail.to_address == boss.email
    assert "Service levels today" in mail.subject
    assert "Past a target" in mail.body_text and late.number in mail.body_text
    assert "Oldest waiting for our answer" in mail.body_text


def test_nothing_is_sent_or_recorded_when_there_is_nothing_to_say(app, world, at):
    at(16, 9)
    ticket = factories.new_ticket(world, urgency=Urgency.LOW)
    at(16, 9, 10)
    notes.reply_publicly(world.agent, ticket, "Respondido")  # met; resolution due next week
    db.session.commit()
    assert _send(at, 17, 8) == 0
    assert _digests() == [] and db.session.scalars(select(SlaDigest)).all() == []
    at(17, 9)  # later that day a ticket arrives: the digest is still owed today
    factories.new_ticket(world, urgency=Urgency.HIGH)
    assert _send(at, 17, 9, 30) == 1


def test_an_hour_bank_used_80_percent_is_listed(app, world, at):
    app.config.update(SOPORTE_DEFAULT_HOURLY_RATE="50.00", SOPORTE_CURRENCY="EUR")
    contract = world.covering_contract
    contract.included_hours, contract.bank_period = Decimal("2"), BankPeriod.MONTH
    at(16, 9)
    ticket = factories.new_ticket(world, contract_id=contract.id, urgency=Urgency.LOW)
    notes.reply_publicly(world.agent, ticket, "Respondido")
    worklog.log_time(world.agent, ticket, 1, 35)  # 95 of 120 minutes: 79 %
    db.session.commit()
    assert _send(at, 17, 8) == 0  # nothing else to say either
    worklog.log_time(world.agent, ticket, 0, 1)  # 96 of 120: 80 %
    db.session.commit()
    assert _send(at, 17, 8, 1) == 1
    body = _digests()[0].body_text
    assert "Bolsas de horas casi agotadas" in body
    assert "Acme S.A. · Soporte anual · 80 %" in body
