"""GET /informes: the supervisors' reports, each with its chart, its table and a CSV link, for
the period, client, contract and agent of the filter form (GET); GET /informes/<report>.csv:
one report's rows as CSV for the same filters. A value that does not fit is a 422 saying what
to send instead."""
from __future__ import annotations

import io

from flask import Response, abort, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from werkzeug.datastructures import MultiDict

from app.services import reports
from app.services.errors import ValidationFailed
from app.services.reports import ReportFilters
from app.web.errors import http_status
from app.web.params import parse_date, parse_id
from app.web.reports import bp
from app.web.reports.views import BY_KEY, REPORTS, cell, chart_data, write_csv

FIELDS = ("from", "to", "client", "contract", "agent")


def filters_from_args(args: MultiDict) -> ReportFilters:
    """The filters of a query string; an empty or absent date is the default period's.
    Raises ValidationFailed naming the field."""
    default = reports.default_filters()
    return ReportFilters(
        period_from=parse_date(args.get("from"), "from", _l("From")) or default.period_from,
        period_to=parse_date(args.get("to"), "to", _l("To")) or default.period_to,
        client_id=parse_id(args.get("client"), "client", _l("Client")),
        contract_id=parse_id(args.get("contract"), "contract", _l("Contract")),
        agent_id=parse_id(args.get("agent"), "agent", _l("Agent")),
    )


def query_of(filters: ReportFilters) -> dict[str, str]:
    """The filters as a query string's values (the CSV links carry the page's filters)."""
    values = {"from": filters.period_from.isoformat(), "to": filters.period_to.isoformat(),
              "client": filters.client_id, "contract": filters.contract_id,
              "agent": filters.agent_id}
    return {name: str(value) for name, value in values.items() if value is not None}


@bp.get("/informes")
@login_required
def index():
    """The filter form and every report for its filters; refused values: the form with the
    message and no report (422, as every refused value of a page)."""
    choices = reports.report_choices(current_user)
    try:
        filters = filters_from_args(request.args)
        reports.check_filters(current_user, filters)
    except ValidationFailed as error:
        sent = {name: request.args.get(name, "") for name in FIELDS}
        return render_template("reports/index.html", choices=choices, form=sent, error=error,
                               sections=[]), http_status(error)
    sections = []
    for view in REPORTS:
        rows = view.compute(current_user, filters)
        sections.append({"view": view, "rows": rows, "chart": chart_data(view, rows),
                         "cells": [[cell(column, row) for column in view.columns]
                                   for row in rows]})
    return render_template("reports/index.html", choices=choices, form=query_of(filters),
                           error=None, sections=sections, query=query_of(filters))


@bp.get("/informes/<report>.csv")
@login_required
def download(report: str):
    """One report as a CSV file (report-from-to.csv) for the filters of the query string."""
    view = BY_KEY.get(report)
    if view is None:
        abort(404)
    reports.check_access(current_user)
    try:
        filters = filters_from_args(request.args)
        rows = view.compute(current_user, filters)
    except ValidationFailed as error:
        return render_template("error.html", message=str(error)), http_status(error)
    stream = io.StringIO(newline="")
    write_csv(view, rows, stream)
    name = f"{view.key}-{filters.period_from.isoformat()}-{filters.period_to.isoformat()}.csv"
    return Response(stream.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
