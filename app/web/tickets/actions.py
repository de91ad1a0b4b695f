"""POST /operacion/ticket/<number>/<action>: each form of the ticket page, turned into one service
call; a refused action comes back as a message in the user's language and changes nothing."""
from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from app.extensions import db
from app.models.enums import TicketStatus
from app.services import assignment, notes, portal_links, quote_decisions, quotes, \
    status_changes, worklog
from app.services.billing import basis, coverage, payment
from app.models.worklog import TimeEntry
from app.services.errors import DomainError, NotPermitted, ValidationFailed
from app.services.presence import NewerCustomerMessage
from app.services.quotes import QuoteInput
from app.services.ticket_view import ticket_by_number
from app.web.number_format import duration
from app.web.params import checked, parse_date
from app.web.tickets import bp
from app.web.tickets.forms import AssignForm
from app.web.tickets.presence import reply_guard_fields
from app.web.tickets.routes import ticket_page
from app.web.uploads import say_files_not_kept, uploads_from_request


def _status(value: str) -> TicketStatus:
    try:
        return TicketStatus(value)
    except ValueError:
        raise ValidationFailed(_l("Choose the new status."), field="status") from None


def _assignee(form) -> int | None:
    return checked(AssignForm(form)).assignee_id.data


def _time_entry(ticket, form) -> TimeEntry:
    """The ticket's time entry the form names (entry_id)."""
    wanted = (form.get("entry_id") or "").strip()
    entry = next((e for e in ticket.time_entries if str(e.id) == wanted), None)
    if entry is None:
        raise ValidationFailed(_l("This time entry is not on the ticket any more. Reload the "
                                  "page."), field="entry_id")
    return entry


def _edit_time(user, ticket, form) -> TimeEntry:
    """The entry's new duration, day and description, as typed in its edit form (an empty
    description keeps the entry's: the form does not repeat it, the timeline shows it once)."""
    entry = _time_entry(ticket, form)
    worklog.edit_time_entry(user, entry, minutes=worklog.parse_duration(
        form.get("hours"), form.get("minutes")), work_date=parse_date(
        form.get("work_date"), "work_date", _l("Day")), description=form.get("note") or None)
    return entry


def _delete_time(user, ticket, form) -> TimeEntry:
    entry = _time_entry(ticket, form)
    worklog.delete_time_entry(user, entry)
    return entry


ACTIONS = {
    "assign": lambda u, t, f: assignment.assign(u, t, _assignee(f)),
    "quote": lambda u, t, f: quotes.save_quote(u, t, QuoteInput(
        f.get("price"), f.get("estimated_hours"), f.get("currency"), f.get("message", ""))),
    "approve": lambda u, t, f: quote_decisions.record_decision(u, t, True, f.get("note", "")),
    "reject": lambda u, t, f: quote_decisions.record_decision(u, t, False, f.get("note", "")),
    "free": lambda u, t, f: basis.mark_free(u, t, f.get("free") == "1", f.get("note", "")),
    "reevaluate": lambda u, t, f: basis.reevaluate(u, t, f.get("note", "")),
    "payment": lambda u, t, f: payment.set_payment_status(u, t, f.get("payment_status", "")),
    "by_time": lambda u, t, f: coverage.set_billing_by_time(u, t, f.get("by_time") == "1",
                                                            f.get("note", "")),
    "overage": lambda u, t, f: coverage.set_bill_overage(u, t, f.get("bill_overage") == "1",
                                                         f.get("note", "")),
    "time": lambda u, t, f: worklog.log_time(u, t, f.get("hours"), f.get("minutes"),
                                             f.get("note", "")),
    "time_edit": _edit_time,
    "time_delete": _delete_time,
    "time_billable": lambda u, t, f: worklog.set_billable(u, _time_entry(t, f),
                                                          f.get("billable") == "1"),
    "status": lambda u, t, f: status_changes.change_status(u, t, _status(f.get("status", "")),
                                                   f.get("note", "")),
    "note": lambda u, t, f: notes.add_internal_note(u, t, f.get("text", ""),
                                                    uploads_from_request()),
    "reply": lambda u, t, f: notes.reply_publicly(u, t, f.get("text", ""), uploads_from_request(),
                                                  **reply_guard_fields(f)),
    "close": lambda u, t, f: status_changes.close_ticket(u, t, f.get("note", "")),
    "reopen": lambda u, t, f: status_changes.reopen_ticket(u, t, f.get("note", "")),
    "portal_link": lambda u, t, f: portal_links.send_new_link(u, t),
}


# What each success says, from the ticket after the action and the action's result.
DONE = {
    "assign": lambda t, r: _("Assigned to %(name)s", name=r.name) if r else _("Unassigned"),
    "quote": lambda t, r: _("Quote v%(version)s sent to %(address)s", version=r.version,
                            address=t.contact.email if t.contact else "—"),
    "approve": lambda t, r: _("Approval of quote v%(version)s recorded", version=r.version),
    "reject": lambda t, r: _("Rejection of quote v%(version)s recorded", version=r.version),
    "free": lambda t, r: _("Marked free") if t.is_free else _("Marked billed"),
    "reevaluate": lambda t, r: _("Billing re-evaluated"),
    "payment": lambda t, r: _("Payment: %(status)s", status=t.payment_status.label),
    "by_time": lambda t, r: _("Billed by time") if t.billing_by_time
    else _("Billed at the quote's price"),
    "overage": lambda t, r: _("Time beyond the quote is billed") if t.bill_overage
    else _("Time beyond the quote is not billed"),
    "time": lambda t, r: _("Logged %(duration)s", duration=duration(r.minutes)),
    "time_edit": lambda t, r: _("Time entry changed: %(duration)s", duration=duration(r.minutes)),
    "time_delete": lambda t, r: _("Time entry deleted: %(duration)s", duration=duration(r.minutes)),
    "time_billable": lambda t, r: _("Billable time changed"),
    "status": lambda t, r: _("Status: %(status)s", status=t.status.label),
    "note": lambda t, r: _("Note added"),
    "reply": lambda t, r: _("Reply sent"),
    "close": lambda t, r: _("Ticket closed"),
    "reopen": lambda t, r: _("Ticket reopened: %(status)s", status=t.status.label),
    "portal_link": lambda t, r: _("New link sent to %(address)s; the earlier ones no longer "
                                  "work", address=r.email),
}
# The form an action's button belongs to ("Rejected" is a button of the decision form).
FORM_OF = {"reject": "approve"}


@bp.post("/operacion/ticket/<number>/<action>")
@login_required
def act(number: str, action: str):
    """Run one action; one transaction per request."""
    if action not in ACTIONS:
        abort(404)
    ticket = ticket_by_number(current_user, number)
    try:
        result = ACTIONS[action](current_user, ticket, request.form)
        done = DONE[action](ticket, result)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        flash(str(error), "error")
        if isinstance(error, NotPermitted):
            return redirect(url_for("tickets.detail", number=number)), 303
        # the page again with the form's values as typed; the files are named, not kept
        say_files_not_kept()
        typed = {FORM_OF.get(action, action): request.form.to_dict()}
        if isinstance(error, NewerCustomerMessage):  # the reply guard: kept, not sent, warned
            return ticket_page(number, typed=typed, reply_guard=error), 409
        return ticket_page(number, typed=typed), 422
    flash(done, "info")
    return redirect(url_for("tickets.detail", number=number)), 303
