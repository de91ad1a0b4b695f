"""GET /informes/satisfaccion: the customers' ratings for the reports' filters (period, client,
contract, agent): per agent and per client, average and count, and the low ones listed.
Supervisors only (the reports' permission, checked by the service)."""
from __future__ import annotations

from flask import render_template, request
from flask_babel import format_decimal
from flask_login import current_user, login_required

from app.services import rating_reports, reports
from app.services.errors import ValidationFailed
from app.web.errors import http_status
from app.web.reports import bp
from app.web.reports.routes import FIELDS, filters_from_args, query_of


@bp.get("/informes/satisfaccion")
@login_required
def satisfaction():
    """The satisfaction report; refused filters: the form with the message (422)."""
    choices = reports.report_choices(current_user)
    try:
        filters = filters_from_args(request.args)
        report = rating_reports.satisfaction(current_user, filters)
    except ValidationFailed as error:
        sent = {name: request.args.get(name, "") for name in FIELDS}
        return render_template("reports/satisfaction.html", choices=choices, form=sent,
                               error=error, report=None), http_status(error)
    return render_template("reports/satisfaction.html", choices=choices, form=query_of(filters),
                           error=None, report=report, average=_average)


def _average(value) -> str:
    """An average as the reader writes it ("4,50" in Spanish), "—" for none."""
    return "—" if value is None else format_decimal(value, format="#,##0.00")
