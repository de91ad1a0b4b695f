"""One time entry: GET, PATCH and DELETE /api/v1/time-entries/{id} (issue 13).

Adapters only, as the ticket page's entry forms (app/web/tickets/actions.py): the services of
app.services.worklog decide (the author or a supervisor changes or deletes an entry, a
supervisor marks it billable or not, an entry billed in a locked batch answers 409
entry_billed). An entry's changes change its ticket (its total of minutes, its history), so an
entry's ETag is its ticket's and writes follow app.api.concurrency as the ticket's actions do:
the ticket is locked for the write, the check runs before If-Match (optional: 412 for another
version), and the ticket's version moves.
"""
from __future__ import annotations

from flask.views import MethodView

from app.api.auth import acting_user
from app.api.concurrency import ETAG_HEADER, IF_MATCH_PARAMETER, etag, ticket_for_write, written
from app.api.time_entry_schemas import TimeEntryPatchSchema, ValuedTimeEntrySchema
from app.api.resources import ResourceBlueprint
from app.models.user import User
from app.models.worklog import TimeEntry
from app.services import worklog

bp = ResourceBlueprint("api-time-entries", __name__, url_prefix="/time-entries",
               description="Logged work, valued when logged: read, change, delete.")




def _check_patch(data: dict):
    """The check of a PATCH: changing the entry (minutes, day, description) is its author's or
    a supervisor's; changing billable a supervisor's."""
    def check(user: User, entry: TimeEntry) -> None:
        if data.keys() - {"billable"}:
            worklog.check_change_entry(user, entry)
        if "billable" in data and data["billable"] != entry.billable:
            worklog.check_set_billable(user, entry)
    return check


def _write(entry_id: int, check, write):
    """Lock the entry's ticket, run `check(user, entry)` then If-Match, then `write(user,
    entry)` with the ticket's version moved; returns the entry and its ticket."""
    user = acting_user()
    entry = worklog.time_entry_for(user, entry_id)
    ticket = ticket_for_write(user, entry.ticket.number, check=lambda u, _t: check(u, entry))
    written(ticket, lambda: write(user, entry))
    return entry, ticket


@bp.route("/<id:entry_id>")
class TimeEntryById(MethodView):
    """One time entry."""

    @bp.response(200, ValuedTimeEntrySchema, headers=ETAG_HEADER)
    @bp.errors(401, 403, 404)
    def get(self, entry_id: int):
        """The entry, with its value and whether it was billed; its ETag is its ticket's."""
        entry = worklog.time_entry_for(acting_user(), entry_id)
        return entry, {"ETag": etag(entry.ticket)}

    @bp.arguments(TimeEntryPatchSchema)
    @bp.response(200, ValuedTimeEntrySchema, headers=ETAG_HEADER)
    @bp.errors(400, 401, 403, 404, 409, 412, 413, 422)
    @bp.doc(parameters=[IF_MATCH_PARAMETER])
    def patch(self, data: dict, entry_id: int):
        """Change the fields sent.

        `minutes`, `work_date`, `description`: the entry's author or a supervisor, on an open
        ticket (new minutes valued at the entry's own rate; the ticket's total follows).
        `billable`: a supervisor. An entry billed in a locked batch: 409 entry_billed."""
        def write(user: User, entry: TimeEntry) -> None:
            changes = {name: data[name] for name in ("minutes", "work_date", "description")
                       if name in data}
            if changes:
                worklog.edit_time_entry(user, entry, **changes)
            if "billable" in data and data["billable"] != entry.billable:
                worklog.set_billable(user, entry, data["billable"])

        entry, ticket = _write(entry_id, _check_patch(data), write)
        return entry, {"ETag": etag(ticket)}

    @bp.response(204, headers=ETAG_HEADER)
    @bp.errors(401, 403, 404, 409, 412)
    @bp.doc(parameters=[IF_MATCH_PARAMETER])
    def delete(self, entry_id: int):
        """Delete the entry (its author or a supervisor, on an open ticket); the ticket's total
        loses its minutes. An entry billed in a locked batch: 409 entry_billed."""
        _entry, ticket = _write(entry_id, worklog.check_change_entry, worklog.delete_time_entry)
        return "", 204, {"ETag": etag(ticket)}
