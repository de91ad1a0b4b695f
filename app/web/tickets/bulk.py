"""Bulk actions from the list: one form, the same services per ticket, a result per ticket.

POST /operacion/ticket/lote takes the list's checked rows (`numbers`, repeated) and the
toolbar's choice (`action`: assign, status or close; `assignee_id`, `status`, `note`), runs
app.services.bulk_actions.run_bulk in one transaction (a savepoint per ticket, see that module)
and shows what happened to each ticket. Wrong input answers 422 (a refused role 403) with the
message in the user's language, and changes nothing; the role is checked before any field is
read. The toolbar's choices come from `bulk_toolbar()`, offered to the blueprint's templates;
`back` carries the list's canonical query and comes back canonical (app.web.tickets.filters).
"""
from __future__ import annotations

from flask import render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from app.extensions import db
from app.models.enums import TicketStatus
from app.services import bulk_actions, clock
from app.services.assignment import assignable_staff
from app.services.bulk_actions import BulkInput, BulkResult
from app.services.errors import DomainError
from app.services.status_changes import customer_notified_statuses
from app.web.errors import http_status
from app.web.params import parse_choice, parse_id
from app.web.tickets import bp
from app.web.tickets.actions import DONE
from app.web.tickets.filters import canonical_query, list_url
from app.web.tickets.list_page import args_of


@bp.post("/operacion/ticket/lote")
@login_required
def bulk():
    """Run one action on the selected tickets; one transaction for the run."""
    action = request.form.get("action", "")
    back = _list_url(request.form.get("back", ""))
    try:
        bulk_actions.check_bulk(current_user, action)  # the role first: 403 before any field
        given = BulkInput(
            assignee_id=parse_id(request.form.get("assignee_id"), "assignee_id",
                                 _l("Assigned to")),
            status=parse_choice(request.form.get("status"), TicketStatus, "status", _l("Status")),
            note=request.form.get("note", ""))
        results = bulk_actions.run_bulk(current_user, request.form.getlist("numbers"), action,
                                        given)
        lines = [_line(action, result) for result in results]
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        return render_template("tickets/bulk_result.html", error=error, lines=[],
                               back=back), http_status(error)
    return render_template("tickets/bulk_result.html", error=None, lines=lines, back=back,
                           done=sum(1 for line in lines if line["done"]),
                           refused=sum(1 for line in lines if not line["done"]))


def _line(action: str, result: BulkResult) -> dict:
    """One ticket's line on the result page: its number, done or not, and what happened
    (the ticket page's wording of a success, the rule's message of a refusal)."""
    if result.done:
        return {"number": result.number, "done": True,
                "message": DONE[action](result.ticket, result.outcome)}
    return {"number": result.number, "done": False, "message": result.message,
            "exists": result.ticket is not None}


def _list_url(query: str) -> str:
    """The list's address with the filter it was showing: the posted query read as the list's
    arguments and written again canonically, so nothing but the list's own arguments (and never
    another site's address) can come back."""
    return list_url(canonical_query(args_of(query.lstrip("?")), current_user.id,
                                    clock.user_zone(current_user)))


@bp.context_processor
def _bulk_toolbar():
    """`bulk_toolbar()` for the list's toolbar: the actions the user's role allows and their
    choices, computed only when a template asks."""
    def toolbar() -> dict:
        offered = bulk_actions.offered_actions(current_user)
        return {
            "actions": offered,
            "staff": assignable_staff() if "assign" in offered else [],
            "statuses": bulk_actions.status_choices() if "status" in offered else [],
            "customer_notified": customer_notified_statuses(bulk_actions.status_choices()),
            "max": bulk_actions.BULK_MAX,
        }
    return {"bulk_toolbar": toolbar}
