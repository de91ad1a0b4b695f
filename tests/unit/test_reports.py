"""The supervisors' reports (app.services.reports) on known data, on SQLite and PostgreSQL: each
report's numbers, the filters (period, client, contract, agent), the company's days at the
edges of weeks and months, and who may see them."""
import datetime as dt
from dataclasses import replace

import pytest

from app.services import report_periods, reports
from app.services.errors import NotPermitted, ValidationFailed
from tests import report_data
from tests.report_data import PERIOD


@pytest.fixture
def data(app, world):
    """The reports' known data (tests/report_data.py), read as the supervisor."""
    return report_data.build(app, world)


def _time(rows):
    return [(r.month, r.name, r.billable_minutes, r.non_billable_minutes) for r in rows]


def test_tickets_opened_and_closed_per_company_week(data, world):
    rows = reports.tickets_per_week(world.supervisor, PERIOD)
    assert [r.week for r in rows] == [f"2026-W{n}" for n in range(40, 50)]
    assert rows[0].first_day == dt.date(2026, 10, 1) and rows[-1].first_day == dt.date(2026, 11, 30)
    assert {r.week: (r.opened, r.closed) for r in rows if r.opened or r.closed} == \
        report_data.EXPECTED_WEEKS


def test_time_logged_per_month_per_client_contract_and_agent(data, world):
    assert _time(reports.time_by_client(world.supervisor, PERIOD)) == \
        report_data.EXPECTED_TIME_CLIENT
    assert _time(reports.time_by_contract(world.supervisor, PERIOD)) == \
        report_data.EXPECTED_TIME_CONTRACT
    assert _time(reports.time_by_agent(world.supervisor, PERIOD)) == \
        report_data.EXPECTED_TIME_AGENT


def test_quoted_against_actual_hours_per_ticket_type(data, world):
    rows = reports.quoted_vs_actual(world.supervisor, PERIOD)
    assert [(r.ticket_type, r.tickets, r.quoted_hours, r.actual_hours) for r in rows] == \
        report_data.EXPECTED_QUOTED
    assert [str(r.difference_hours) for r in rows] == ["-0.50", "-2.50"]


def test_quote_approval_rate_and_time_to_approval_per_month(data, world):
    rows = reports.quote_approvals(world.supervisor, PERIOD)
    assert [(r.month, r.decided, r.approved, r.approval_percent, r.median_hours_to_approval,
             r.mean_hours_to_approval) for r in rows] == report_data.EXPECTED_APPROVALS


def test_a_month_without_decisions_has_no_rate(data, world):
    period = replace(PERIOD, period_from=dt.date(2026, 9, 1), period_to=dt.date(2026, 9, 30))
    [september] = reports.quote_approvals(world.supervisor, period)
    assert (september.decided, september.approval_percent, september.median_hours_to_approval) \
        == (0, None, None)


def test_hour_bank_use_per_contract_and_bank_period(data, world):
    rows = reports.hour_bank_use(world.supervisor, PERIOD)
    assert [(r.client, r.contract, r.period, r.included_minutes, r.used_minutes,
             r.remaining_minutes, r.overage_minutes, r.used_percent) for r in rows] == \
        report_data.EXPECTED_BANKS


def test_a_contract_term_bank_outside_the_period_is_left_out(data, world, app):
    world.other_contract.ends_on = dt.date(2026, 9, 30)
    period = replace(PERIOD, client_id=world.other_client.id)
    assert reports.hour_bank_use(world.supervisor, period) == []


def test_the_period_is_company_days_at_both_ends(data, world):
    # 30 Sep 22:30 UTC is 1 Oct in Madrid: one ticket in a one-day period, not the 21:30 one
    one_day = replace(PERIOD, period_from=dt.date(2026, 10, 1), period_to=dt.date(2026, 10, 1))
    [week] = reports.tickets_per_week(world.supervisor, one_day)
    assert (week.week, week.opened) == ("2026-W40", 1)
    september = replace(PERIOD, period_from=dt.date(2026, 9, 30), period_to=dt.date(2026, 9, 30))
    assert [(r.opened, r.closed) for r in reports.tickets_per_week(world.supervisor, september)] \
        == [(1, 0)]
    assert _time(reports.time_by_client(world.supervisor, september)) == \
        [("2026-09", "Acme S.A.", 0, 20)]


def test_the_client_filter(data, world):
    other = replace(PERIOD, client_id=world.other_client.id)
    weeks = {r.week: (r.opened, r.closed) for r in reports.tickets_per_week(world.supervisor, other)
             if r.opened or r.closed}
    assert weeks == {"2026-W42": (1, 1)}
    assert _time(reports.time_by_agent(world.supervisor, other)) == [
        ("2026-10", "Agente Uno", 0, 45)]
    assert reports.quoted_vs_actual(world.supervisor, other) == []
    assert [r.contract for r in reports.hour_bank_use(world.supervisor, other)] == [
        "Contrato ajeno"]


def test_the_contract_filter(data, world):
    covering = replace(PERIOD, contract_id=world.covering_contract.id)
    assert _time(reports.time_by_client(world.supervisor, covering)) == [
        ("2026-10", "Acme S.A.", 0, 60), ("2026-11", "Acme S.A.", 30, 0)]
    assert [r.period for r in reports.hour_bank_use(world.supervisor, covering)] == \
        ["2026-10", "2026-11"]
    assert [r.decided for r in reports.quote_approvals(world.supervisor, covering)] == [0, 0]


def test_the_agent_filter_is_the_author_of_time_and_the_assignee_of_tickets(data, world):
    from app.extensions import db
    from app.services import assignment

    assignment.assign(world.supervisor, data.e, world.agent2.id)
    db.session.commit()
    agent2 = replace(PERIOD, agent_id=world.agent2.id)
    assert _time(reports.time_by_contract(world.supervisor, agent2)) == [
        ("2026-11", "Sin contrato", 120, 0), ("2026-11", "Soporte anual (Acme S.A.)", 30, 0)]
    assert {r.week: r.opened for r in reports.tickets_per_week(world.supervisor, agent2)
            if r.opened} == {"2026-W45": 1}
    assert [(r.ticket_type, r.tickets, r.actual_hours) for r in
            reports.quoted_vs_actual(world.supervisor, agent2)] == [("Incidente", 1, 2)]
    [october, november] = reports.quote_approvals(world.supervisor, agent2)
    assert (october.decided, november.decided, november.median_hours_to_approval) == (0, 1, 24)


def test_default_period_is_the_last_three_months_up_to_today(app):
    app.config["SOPORTE_FIXED_NOW"] = dt.datetime(2026, 3, 31, 23, 30, tzinfo=dt.timezone.utc)
    # 1 April in Madrid already
    assert reports.default_filters() == reports.ReportFilters(dt.date(2026, 2, 1),
                                                              dt.date(2026, 4, 1))


@pytest.mark.parametrize("role", ["agent", "viewer"])
def test_only_supervisors_and_administrators_see_reports(world, role):
    actor = getattr(world, role)
    for report in (reports.tickets_per_week, reports.time_by_client, reports.quoted_vs_actual,
                   reports.quote_approvals, reports.hour_bank_use):
        with pytest.raises(NotPermitted):
            report(actor, PERIOD)
    with pytest.raises(NotPermitted):
        reports.report_choices(actor)
    weeks = reports.tickets_per_week(world.admin, PERIOD)  # an administrator may: every week,
    assert weeks and {(week.opened, week.closed) for week in weeks} == {(0, 0)}  # none opened


@pytest.mark.parametrize("change, field", [
    ({"period_to": dt.date(2026, 9, 1)}, "period_to"),
    ({"period_from": dt.date(2020, 1, 1)}, "period_from"),
    ({"client_id": 999999}, "client"),
    ({"contract_id": 999999}, "contract"),
    ({"agent_id": 999999}, "agent"),
])
def test_wrong_filters_are_refused_naming_the_field(world, change, field):
    with pytest.raises(ValidationFailed) as refused:
        reports.tickets_per_week(world.supervisor, replace(PERIOD, **change))
    assert refused.value.field == field


def test_weeks_and_months_are_cut_to_the_period():
    period = (dt.date(2026, 12, 30), dt.date(2027, 1, 5))
    assert [(p.key, p.first, p.last) for p in report_periods.weeks(*period)] == [
        ("2026-W53", dt.date(2026, 12, 30), dt.date(2027, 1, 3)),
        ("2027-W01", dt.date(2027, 1, 4), dt.date(2027, 1, 5))]
    assert [(p.key, p.first, p.last) for p in report_periods.months(*period)] == [
        ("2026-12", dt.date(2026, 12, 30), dt.date(2026, 12, 31)),
        ("2027-01", dt.date(2027, 1, 1), dt.date(2027, 1, 5))]
