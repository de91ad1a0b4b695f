"""How each report is shown: its title, its columns (the table's and the CSV's, one list), and
what its chart draws. The rows come from app.services.reports, computed once per request: the
table, the chart and the CSV show the same rows."""
from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import IO, Any

from flask_babel import format_date, format_decimal
from flask_babel import lazy_gettext as _l

from app.services import reports
from app.services.billing.exports import neutralised
from app.web.number_format import hours

TEXT, COUNT, MINUTES, HOURS, PERCENT, DATE = "text", "count", "minutes", "hours", "percent", "date"
HUNDREDTH = Decimal("0.01")
WIDE_COLUMNS = 5


@dataclass(frozen=True)
class Column:
    """One column of a report: the row's attribute, its CSV header (a machine name, the same in
    every language, as in the billing exports), its table header, and its kind (MINUTES are
    shown and written as hours)."""

    attr: str
    name: str
    label: Any
    kind: str = TEXT

    @property
    def numeric(self) -> bool:
        """Numbers are aligned right in the table."""
        return self.kind in (COUNT, MINUTES, HOURS, PERCENT)


@dataclass(frozen=True)
class Series:
    """A column the chart draws: on the left axis (y) or the right one (y1), as bars or a line."""

    attr: str
    axis: str = "y"
    type: str = "bar"


@dataclass(frozen=True)
class ReportView:
    """A report on the page: its key (the CSV's address and file name), title, what it counts
    (a sentence under the title), the service computing its rows, its columns, the columns
    naming each row on the chart, and the series the chart draws."""

    key: str
    title: Any
    about: Any
    compute: Callable
    columns: tuple[Column, ...]
    label_attrs: tuple[str, ...]
    series: tuple[Series, ...]
    stacked: bool = False
    y_title: Any = ""
    y1_title: Any = ""

    @property
    def wide(self) -> bool:
        """A table of many columns goes under its chart instead of beside it."""
        return len(self.columns) > WIDE_COLUMNS

    def column(self, attr: str) -> Column:
        """The column of an attribute."""
        return next(column for column in self.columns if column.attr == attr)


def _time_view(key: str, title, about, compute, name: str, label) -> ReportView:
    return ReportView(
        key, title, about, compute,
        (Column("month", "month", _l("Month")), Column("name", name, label),
         Column("billable_minutes", "billable_hours", _l("Billable"), MINUTES),
         Column("non_billable_minutes", "non_billable_hours", _l("Not billable"), MINUTES),
         Column("total_minutes", "total_hours", _l("Total"), MINUTES)),
        ("month", "name"),
        (Series("billable_minutes"), Series("non_billable_minutes")),
        stacked=True, y_title=_l("Hours"))


REPORTS: tuple[ReportView, ...] = (
    ReportView(
        "tickets-por-semana", _l("Tickets opened and closed per week"),
        _l("Tickets created in each week, and tickets closed in it (of the agent: assigned to "
           "them)."),
        reports.tickets_per_week,
        (Column("week", "week", _l("Week")),
         Column("first_day", "first_day", _l("From"), DATE),
         Column("opened", "opened", _l("Tickets opened"), COUNT),
         Column("closed", "closed", _l("Tickets closed"), COUNT)),
        ("week",), (Series("opened"), Series("closed")), y_title=_l("Tickets")),
    _time_view("tiempo-por-cliente", _l("Time logged per client"),
               _l("Hours logged per month on each client's tickets, billable and not."),
               reports.time_by_client, "client", _l("Client")),
    _time_view("tiempo-por-contrato", _l("Time logged per contract"),
               _l("Hours logged per month on the tickets of each contract, billable and not."),
               reports.time_by_contract, "contract", _l("Contract")),
    _time_view("tiempo-por-agente", _l("Time logged per agent"),
               _l("Hours each person logged per month, billable and not."),
               reports.time_by_agent, "agent", _l("Agent")),
    ReportView(
        "horas-cotizadas", _l("Quoted against actual hours per ticket type"),
        _l("Quotes approved in the period: the hours they estimated and the hours logged on "
           "their tickets."),
        reports.quoted_vs_actual,
        (Column("ticket_type", "ticket_type", _l("Type")),
         Column("tickets", "tickets", _l("Tickets"), COUNT),
         Column("quoted_hours", "quoted_hours", _l("Quoted hours"), HOURS),
         Column("actual_hours", "actual_hours", _l("Logged hours"), HOURS),
         Column("difference_hours", "difference_hours", _l("Difference"), HOURS)),
        ("ticket_type",), (Series("quoted_hours"), Series("actual_hours")),
        y_title=_l("Hours")),
    ReportView(
        "aprobaciones", _l("Quote approval rate and time to approval"),
        _l("Quotes the customer decided each month: approved of decided, and the hours from a "
           "quote's sending to its approval."),
        reports.quote_approvals,
        (Column("month", "month", _l("Month")),
         Column("decided", "decided", _l("Quotes decided"), COUNT),
         Column("approved", "approved", _l("Quotes approved"), COUNT),
         Column("approval_percent", "approval_percent", _l("Approval rate"), PERCENT),
         Column("median_hours_to_approval", "median_hours_to_approval",
                _l("Median time to approval"), HOURS),
         Column("mean_hours_to_approval", "mean_hours_to_approval",
                _l("Mean time to approval"), HOURS)),
        ("month",),
        (Series("approval_percent"), Series("median_hours_to_approval", "y1", "line"),
         Series("mean_hours_to_approval", "y1", "line")),
        y_title=_l("Approval rate"), y1_title=_l("Hours")),
    ReportView(
        "bolsas-de-horas", _l("Hour bank use per contract"),
        _l("Contracts with an hour bank: the hours included in each period and the hours used."),
        reports.hour_bank_use,
        (Column("client", "client", _l("Client")),
         Column("contract", "contract", _l("Contract")),
         Column("period", "period", _l("Period")),
         Column("included_minutes", "included_hours", _l("Included"), MINUTES),
         Column("used_minutes", "used_hours", _l("Used"), MINUTES),
         Column("remaining_minutes", "remaining_hours", _l("Remaining"), MINUTES),
         Column("overage_minutes", "overage_hours", _l("Beyond the bank"), MINUTES),
         Column("used_percent", "used_percent", _l("Used (%)"), PERCENT)),
        ("contract", "period"),
        (Series("used_minutes"), Series("remaining_minutes"), Series("overage_minutes")),
        stacked=True, y_title=_l("Hours")),
)
BY_KEY = {view.key: view for view in REPORTS}


def _number(column: Column, value) -> Decimal | int | None:
    """The column's value as the number it shows (MINUTES as hours, two decimals)."""
    if value is None:
        return None
    if column.kind == MINUTES:
        return (Decimal(value) / 60).quantize(HUNDREDTH, ROUND_HALF_UP)
    return value


def cell(column: Column, row) -> str:
    """A table cell in the reader's language ("2,5 h", "75 %", "—" for none)."""
    value = _number(column, getattr(row, column.attr))
    if value is None:
        return "—"
    if column.kind in (MINUTES, HOURS):
        return hours(value)
    if column.kind == PERCENT:
        return f"{format_decimal(value, format='#,##0.##')} %"
    if column.kind == COUNT:
        return format_decimal(value)
    if column.kind == DATE:
        return format_date(value, "short")
    return str(value)


def chart_data(view: ReportView, rows: list) -> dict:
    """What static/reports.js draws: the row labels, one dataset per series (numbers as the
    table shows them), the axes' titles; JSON-ready."""
    def number(column, row):
        value = _number(column, getattr(row, column.attr))
        return None if value is None else float(value)

    return {
        "stacked": view.stacked,
        "labels": [" · ".join(str(getattr(row, attr)) for attr in view.label_attrs)
                   for row in rows],
        "datasets": [{"label": str(view.column(s.attr).label), "axis": s.axis, "type": s.type,
                      "data": [number(view.column(s.attr), row) for row in rows]}
                     for s in view.series],
        "axes": {"y": str(view.y_title), "y1": str(view.y1_title)},
    }


def write_csv(view: ReportView, rows: list, stream: IO[str]) -> None:
    """The report as CSV: a header of machine names, then one line per row; numbers with a dot
    (MINUTES as hours, two decimals), dates YYYY-MM-DD, none empty; text cells neutralised
    against formulas (billing.exports.neutralised)."""
    writer = csv.writer(stream)
    writer.writerow(column.name for column in view.columns)
    for row in rows:
        writer.writerow(_csv_value(column, row) for column in view.columns)


def _csv_value(column: Column, row) -> object:
    value = _number(column, getattr(row, column.attr))
    if value is None:
        return ""
    if column.kind == DATE:
        return value.isoformat()
    if column.kind == TEXT:
        return neutralised(str(value))
    return value
