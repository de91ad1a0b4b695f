"""Saving service-level settings (app.services.sla.calendars, app.services.sla.targets): only
administrators, each value checked by the service whichever door it comes through."""
import datetime as dt

import pytest

from app.extensions import db
from app.models.enums import Urgency
from app.services.errors import NotPermitted, ValidationFailed
from app.services.sla import calendars, targets
from app.services.sla.targets import DEFAULT_TARGETS, TargetFields, Targets
from tests import factories

OFFICE = calendars.CalendarFields("Oficina", "Europe/Madrid", "mon-fri 09:00-18:00")


def test_only_administrators_change_calendars_and_targets(world):
    for user in (world.supervisor, world.agent):
        with pytest.raises(NotPermitted):
            calendars.save_calendar(user, None, OFFICE)
        with pytest.raises(NotPermitted):
            targets.save_target(user, None, TargetFields(Urgency.LOW, None, 60, 60, 600))
    saved = calendars.save_calendar(world.admin, None, OFFICE)
    with pytest.raises(NotPermitted):
        calendars.seed_holidays(world.supervisor, saved, "ES", None, 2026)
    with pytest.raises(NotPermitted):
        calendars.use_calendar(world.supervisor, world.contract, saved)


def test_seeding_adds_the_years_holidays_once_and_keeps_names_given_by_hand(world):
    saved = calendars.save_calendar(world.admin, None, calendars.CalendarFields(
        "Oficina", "Europe/Madrid", "mon-fri 09:00-18:00",
        holidays=((dt.date(2026, 1, 6), "Reyes"),)))
    added = calendars.seed_holidays(world.admin, saved, "es", "MD", 2026)
    days = {holiday.day: holiday.name for holiday in saved.holidays}
    assert days[dt.date(2026, 1, 6)] == "Reyes" and dt.date(2026, 5, 2) in days  # Madrid
    assert added == len(days) - 1
    assert calendars.seed_holidays(world.admin, saved, "ES", "MD", 2026) == 0
    db.session.commit()


@pytest.mark.parametrize("fields, field", [
    (calendars.CalendarFields(" ", "Europe/Madrid", "mon-fri 09:00-18:00"), "name"),
    (calendars.CalendarFields("X", "Madrid", "mon-fri 09:00-18:00"), "time_zone"),
    (calendars.CalendarFields("X", "Europe/Madrid", "9 to 5"), "business_hours"),
    (calendars.CalendarFields("X", "Europe/Madrid", "mon 09:00-18:00", holidays=(
        (dt.date(2026, 1, 1), "a"), (dt.date(2026, 1, 1), "b"))), "holidays"),
    (calendars.CalendarFields("oficina", "Europe/Madrid", "mon 09:00-18:00"), "name"),
])
def test_a_bad_calendar_is_refused_naming_its_field(world, fields, field):
    calendars.save_calendar(world.admin, None, OFFICE)
    with pytest.raises(ValidationFailed) as refused:
        calendars.save_calendar(world.admin, None, fields)
    assert refused.value.field == field


@pytest.mark.parametrize("fields, field", [
    (TargetFields(None, None, 60, 60, 600), "urgency"),
    (TargetFields(Urgency.LOW, None, 0, 60, 600), "first_response_minutes"),
    (TargetFields(Urgency.LOW, None, 60, None, 600), "next_response_minutes"),
    (TargetFields(Urgency.LOW, None, 60, 60, 30), "resolution_minutes"),
    (TargetFields(Urgency.HIGH, None, 60, 60, 600), "urgency"),  # High has one already
])
def test_a_bad_target_is_refused_naming_its_field(world, fields, field):
    targets.save_target(world.admin, None, TargetFields(Urgency.HIGH, None, 30, 30, 300))
    with pytest.raises(ValidationFailed) as refused:
        targets.save_target(world.admin, None, fields)
    assert refused.value.field == field


def test_targets_fall_back_from_the_contract_to_the_urgency_to_the_defaults(world):
    assert targets.targets_for(Urgency.HIGH, world.contract.id) == DEFAULT_TARGETS[Urgency.HIGH]
    assert DEFAULT_TARGETS[Urgency.CRITICAL] == Targets(60, 60, 480)
    assert DEFAULT_TARGETS[Urgency.LOW] == Targets(960, 960, 4800)
    targets.save_target(world.admin, None, TargetFields(Urgency.HIGH, None, 30, 30, 300))
    targets.save_target(world.admin, None, TargetFields(Urgency.HIGH, world.contract, 10, 20,
                                                        100))
    assert targets.targets_for(Urgency.HIGH, world.contract.id) == Targets(10, 20, 100)
    assert targets.targets_for(Urgency.HIGH, world.other_contract.id) == Targets(30, 30, 300)
    assert targets.targets_for(Urgency.HIGH) == Targets(30, 30, 300)


def test_an_inactive_calendar_is_not_used(world):
    saved = calendars.save_calendar(world.admin, None, calendars.CalendarFields(
        "Noches", "Europe/Madrid", "mon-fri 20:00-24:00"))
    calendars.use_calendar(world.admin, world.client, saved)
    ticket = factories.new_ticket(world)
    assert calendars.calendar_for(ticket).name == "Noches"
    calendars.save_calendar(world.admin, saved, calendars.CalendarFields(
        "Noches", "Europe/Madrid", "mon-fri 20:00-24:00", active=False))
    assert calendars.calendar_for(ticket).name == "default"
    with pytest.raises(ValidationFailed) as refused:
        calendars.use_calendar(world.admin, world.contract, saved)
    assert refused.value.field == "calendar"


@pytest.mark.parametrize("setting, value", [
    ("SOPORTE_BUSINESS_HOURS", "lunes 9-5"), ("SOPORTE_BUSINESS_HOURS", "mon-fri 18:00-09:00"),
    ("SOPORTE_HOLIDAYS", "XX"), ("SOPORTE_HOLIDAYS", "ES-ZZ")])
def test_a_default_calendar_setting_that_cannot_be_read_stops_the_app_at_start(setting, value):
    from app import ConfigurationError
    from assembly import build_app

    with pytest.raises(ConfigurationError, match=setting):
        build_app("testing", {"SQLALCHEMY_DATABASE_URI": "sqlite://", setting: value})
