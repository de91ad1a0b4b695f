"""`flask sla explain`: the due times of a ticket opened at a given moment, as JSON in the
calendar's zone, with the default calendar or a stored one, the default or stored targets;
a bad value is a usage error without a traceback. `flask sla tick --once`: the warnings and
breaches due and the supervisors' digests, each once, at a fixed moment."""
import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Notification, OutboxMessage
from app.models.enums import Urgency
from app.services import assignment
from app.services.sla import calendars, targets
from tests import factories


def _explain(runner, *args):
    result = runner.invoke(args=["sla", "explain", *args])
    return result, (json.loads(result.output) if result.exit_code == 0 else None)


def test_a_high_ticket_opened_on_the_friday_before_the_spring_change(runner):
    result, due = _explain(runner, "--urgency", "HIGH", "--opened", "2026-03-27T17:30:00+01:00")
    assert result.exit_code == 0, result.output
    assert due == {  # 30 minutes on Friday (CET), the rest from Monday 09:00 (CEST)
        "first_response_due": "2026-03-30T12:30:00+02:00",
        "next_response_due": "2026-03-30T12:30:00+02:00",
        "resolution_due": "2026-03-31T15:30:00+02:00",
    }


def test_a_critical_ticket_opened_on_christmas_eve_waits_for_the_holiday_and_the_weekend(
        runner):
    _, due = _explain(runner, "--urgency", "critical", "--opened", "2026-12-24T17:30:00")
    assert due["first_response_due"] == "2026-12-28T09:30:00+01:00"
    assert due["resolution_due"] == "2026-12-28T16:30:00+01:00"


def test_a_moment_in_another_offset_is_the_same_moment(runner):
    _, local = _explain(runner, "--urgency", "LOW", "--opened", "2026-11-16T10:00:00+01:00")
    _, utc = _explain(runner, "--urgency", "LOW", "--opened", "2026-11-16T09:00:00Z")
    assert local == utc
    assert local["first_response_due"] == "2026-11-17T17:00:00+01:00"  # 16 hours: Mon 8, Tue 8


def test_a_stored_calendar_and_stored_targets_are_used(app, world, runner):
    calendars.save_calendar(world.admin, None, calendars.CalendarFields(
        "Bogotá 24/7", "America/Bogota", "mon-sun 00:00-24:00"))
    targets.save_target(world.admin, None, targets.TargetFields(Urgency.MEDIUM, None, 90, 45,
                                                                600))
    db.session.commit()
    result, due = _explain(runner, "--urgency", "MEDIUM", "--opened",
                           "2026-11-21T23:00:00-05:00", "--calendar", "bogotá 24/7")
    assert result.exit_code == 0, result.output
    assert due == {"first_response_due": "2026-11-22T00:30:00-05:00",
                   "next_response_due": "2026-11-21T23:45:00-05:00",
                   "resolution_due": "2026-11-22T09:00:00-05:00"}


@pytest.mark.parametrize("args, says", [
    (["--urgency", "URGENTE", "--opened", "2026-11-16T10:00"], "--urgency"),
    (["--urgency", "LOW", "--opened", "16/11/2026"], "--opened"),
    (["--urgency", "LOW", "--opened", "2026-11-16T10:00", "--calendar", "Nada"], "--calendar"),
])
def test_a_bad_value_is_a_usage_error_naming_the_option(app, runner, args, says):
    result = runner.invoke(args=["sla", "explain", *args])
    assert result.exit_code == 2
    assert says in result.output and "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_a_malformed_configured_calendar_is_an_error_naming_its_setting(app, runner):
    app.config["SOPORTE_BUSINESS_HOURS"] = "todos los días"
    result = runner.invoke(args=["sla", "explain", "--urgency", "LOW", "--opened",
                                 "2026-11-16T10:00"])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert "SOPORTE_BUSINESS_HOURS" in result.output and "todos" in result.output


def _tick_at(app, runner, moment):
    app.config["SOPORTE_FIXED_NOW"] = moment
    result = runner.invoke(args=["sla", "tick", "--once"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    return result.output


def test_tick_once_gives_the_digest_then_the_breach_in_working_hours_each_once(app, world,
                                                                              runner):
    madrid = ZoneInfo("Europe/Madrid")
    app.config["SOPORTE_FIXED_NOW"] = dt.datetime(2026, 11, 16, 9, tzinfo=madrid)
    ticket = factories.new_ticket(world, urgency=Urgency.CRITICAL)
    assignment.assign(world.supervisor, ticket, world.agent.id)
    db.session.commit()
    # Tuesday 08:30: before the agent's hours (both breaches wait), after the digest's time
    output = _tick_at(app, runner, dt.datetime(2026, 11, 17, 8, 30, tzinfo=madrid))
    assert "alerts 0" in output and "waiting for working hours 2" in output
    assert "digests 1" in output
    kinds = lambda: sorted(m.kind for m in db.session.scalars(select(OutboxMessage)))  # noqa
    assert "sla_digest" in kinds() and "sla_alert" not in kinds()
    output = _tick_at(app, runner, dt.datetime(2026, 11, 17, 9, tzinfo=madrid))
    assert "alerts 2" in output and "digests 0" in output  # first response and resolution
    alerts = db.session.scalars(select(Notification).where(Notification.kind == "sla_breach"))
    assert [(a.user_id, ticket.number in a.message) for a in alerts] == [
        (world.agent.id, True), (world.agent.id, True)]
    output = _tick_at(app, runner, dt.datetime(2026, 11, 17, 9, 5, tzinfo=madrid))
    assert "alerts 0" in output and "digests 0" in output
    assert kinds().count("sla_alert") == 2 and kinds().count("sla_digest") == 1


def test_tick_with_a_malformed_digest_time_names_the_setting(app, world, runner):
    app.config["SOPORTE_SLA_DIGEST_TIME"] = "8 de la mañana"
    app.config["SOPORTE_FIXED_NOW"] = dt.datetime(2026, 11, 17, 9, tzinfo=ZoneInfo("Europe/Madrid"))
    result = runner.invoke(args=["sla", "tick", "--once"])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert "SOPORTE_SLA_DIGEST_TIME" in result.output and "HH:MM" in result.output
