"""GET /operacion/antiguedad: the aging of open tickets (issue 14) read through
app.services.sla.aging, which holds the permission check: a form of filters (client, contract,
urgency, agent; values in the URL), the counts by age in business days and urgency, each
linking to its tickets, and the page of those tickets, oldest first. A filter value that does
not parse is flashed and left out, as in the ticket list."""
from __future__ import annotations

from flask import Blueprint, flash, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from werkzeug.datastructures import MultiDict

from app.models.enums import Urgency
from app.services.errors import ValidationFailed
from app.services.sla.aging import AgingFilters, aging, bucket_named
from app.services.ticket_list import list_choices
from app.web.params import parse_choice, parse_id, parse_page

bp = Blueprint("aging", __name__)


def filters_from_args(args: MultiDict) -> tuple[AgingFilters, list[ValidationFailed]]:
    """Read client, contract, urgency, assignee, bucket and page; a value that does not parse
    is left out and its refusal returned."""
    problems: list[ValidationFailed] = []

    def lenient(parse, *parse_args):
        try:
            return parse(*parse_args)
        except ValidationFailed as problem:
            problems.append(problem)
            return None

    filters = AgingFilters(
        client_id=lenient(parse_id, args.get("client"), "client", _l("Client")),
        contract_id=lenient(parse_id, args.get("contract"), "contract", _l("Contract")),
        urgency=lenient(parse_choice, args.get("urgency"), Urgency, "urgency", _l("Urgency")),
        assignee_id=lenient(parse_id, args.get("assignee"), "assignee", _l("Agent")),
        bucket=lenient(bucket_named, args.get("bucket")),
        page=lenient(parse_page, args.get("page")) or 1,
    )
    return filters, problems


def aging_url(filters: AgingFilters, **changes) -> str:
    """The page's address for the filters with `changes` (bucket, urgency, page: a key or an
    Urgency; None leaves it out; page 1 too)."""
    values = {"client": filters.client_id, "contract": filters.contract_id,
              "urgency": filters.urgency.value if filters.urgency else None,
              "assignee": filters.assignee_id,
              "bucket": filters.bucket.key if filters.bucket else None}
    for name, value in changes.items():
        values[name] = value.value if isinstance(value, Urgency) else value
    if values.get("page") == 1:
        values["page"] = None
    return url_for("aging.index", **{name: value for name, value in values.items()
                                     if value not in (None, "")})


@bp.get("/operacion/antiguedad")
@login_required
def index():
    """The filter form, the counts by age and urgency, and the page of tickets."""
    filters, problems = filters_from_args(request.args)
    for problem in problems:
        flash(str(problem), "error")
    report = aging(current_user, filters)
    return render_template("aging/index.html", report=report, filters=filters,
                           choices=list_choices(current_user), aging_url=aging_url)
