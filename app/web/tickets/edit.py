"""GET/POST /operacion/ticket/<number>/editar: the form that changes a ticket's subject, type,
urgency, contract, project and requester (its client stays). What may be chosen, who may edit
and when are the service's rules (tickets.check_edit, edit_options, edit_ticket)."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.extensions import db
from app.models.enums import Urgency
from app.models.ticket import Ticket
from app.services import tickets
from app.services.errors import Conflict, DomainError, ValidationFailed
from app.services.ticket_view import ticket_by_number
from app.services.tickets import TicketFields
from app.web.errors import http_status
from app.web.params import checked
from app.web.tickets import bp
from app.web.tickets.forms import EditTicketForm
from app.web.tickets.history_lines import FIELD_LABELS

# The form's fields in the order a person reads them, with the ticket field each one sets.
FORM_FIELDS = {"subject": "subject", "type_id": "type", "urgency": "urgency",
               "contract_id": "contract", "project_id": "project", "contact_id": "contact"}


@bp.route("/operacion/ticket/<number>/editar", methods=["GET", "POST"])
@login_required
def edit(number: str):
    """Show the form filled with the ticket's data, or save it in one transaction. A refused
    value comes back on the form as typed, with the message by its field; a closed ticket or
    a user who may not edit gets the refusal page."""
    ticket = ticket_by_number(current_user, number)
    tickets.check_edit(current_user, ticket)
    if request.method == "GET":
        return _page(ticket, EditTicketForm(data=_current(ticket)), None, 200)
    form = EditTicketForm()
    try:
        checked(form)
        changed = tickets.edit_ticket(current_user, ticket, TicketFields(
            client_id=ticket.client_id, description=ticket.description,
            subject=form.subject.data or "", urgency=form.urgency.data or "",
            type_id=form.type_id.data, contract_id=form.contract_id.data,
            project_id=form.project_id.data, contact_id=form.contact_id.data),
            expected_version=form.lock_version.data)
        db.session.commit()
    except (ValidationFailed, Conflict) as error:
        db.session.rollback()
        return _refused(ticket, form, error)
    except DomainError:
        db.session.rollback()
        raise  # the app-wide refusal page (closed meanwhile, …)
    if changed:
        flash(_("Saved: %(fields)s", fields=_field_names(changed)), "info")
    else:
        flash(_("Nothing to save: no field was changed."), "info")
    return redirect(url_for("tickets.detail", number=ticket.number), 303)


def _refused(ticket: Ticket, form: EditTicketForm, error: DomainError):
    """The form again: on a refused value, as typed (the refused choice back to the ticket's
    own, since only offered records can be shown); when someone else saved the ticket
    meanwhile, as it is now."""
    db.session.refresh(ticket)
    if isinstance(error, Conflict):
        form = EditTicketForm(formdata=None, data=_current(ticket))
    elif error.field in FORM_FIELDS and error.field != "subject":
        getattr(form, error.field).data = _current(ticket)[error.field]
    return _page(ticket, form, error, http_status(error))


def _current(ticket: Ticket) -> dict:
    """The form's values for the ticket as stored."""
    return {"subject": ticket.subject, "type_id": ticket.type_id,
            "urgency": ticket.urgency.value, "contract_id": ticket.contract_id,
            "project_id": ticket.project_id, "contact_id": ticket.contact_id,
            "lock_version": ticket.lock_version}


def _page(ticket: Ticket, form: EditTicketForm, error: DomainError | None, status: int):
    """Render the form with the ticket's choices (an inactive current one marked)."""
    options = tickets.edit_options(ticket)
    form.type_id.choices = _choices(options.types)
    form.contract_id.choices = _choices(options.contracts)
    form.project_id.choices = _choices(options.projects)
    form.contact_id.choices = _choices(options.contacts)
    form.urgency.choices = [(u.value, str(u.label)) for u in Urgency]
    field = error.field if error is not None and error.field in FORM_FIELDS else None
    return render_template("tickets/edit.html", ticket=ticket, form=form, error=error,
                           error_field=field, fields=list(FORM_FIELDS)), status


def _choices(records) -> list[tuple[str, str]]:
    """A select's options: none first, then each record by name, an inactive one marked."""
    return [("", "—")] + [
        (str(r.id), str(r) if r.active else _("%(name)s (inactive)", name=str(r)))
        for r in records]


def _field_names(changed: list[str]) -> str:
    """The changed fields in the form's order, by their label in the user's language."""
    order = list(FORM_FIELDS.values())
    ranked = sorted(changed, key=lambda name: order.index(name) if name in order else len(order))
    return ", ".join(str(FIELD_LABELS.get(name, name)).lower() for name in ranked)
