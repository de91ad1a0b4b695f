"""GET/POST /operacion/ticket/nuevo: the new-ticket form. The client comes first; the form then
offers only that client's contacts, contracts and projects. The client's select is part of the
form that saves, so a save always sends the client shown; "Continue" posts the same form to show
that client's lists (no script), keeping what was typed."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from app.extensions import db
from app.models.client import Client, Contact, Contract, Project, TicketType
from app.models.enums import Urgency
from app.services import tickets
from app.services.errors import DomainError
from app.services.permissions import Permission, require
from app.services.tickets import TicketFields
from app.web.params import checked
from app.web.tickets import bp
from app.web.tickets.forms import NewTicketForm
from app.web.uploads import say_files_not_kept, uploads_from_request


def _choices(client_id: int | None) -> dict:
    of_client = lambda model: db.session.scalars(  # noqa: E731
        select(model).where(model.client_id == client_id, model.active.is_(True))
        .order_by(model.id)).all() if client_id else []
    return {
        "clients": db.session.scalars(select(Client).where(Client.active.is_(True))
                                      .order_by(Client.name)).all(),
        "contacts": of_client(Contact), "contracts": of_client(Contract),
        "projects": of_client(Project),
        "types": db.session.scalars(select(TicketType).where(TicketType.active.is_(True))
                                    .order_by(TicketType.name)).all(),
        "urgencies": list(Urgency),
    }


# A save refused for one of these: a record of another client than the one submitted (the
# client was changed and its lists not shown again with Continue).
_CLIENT_RECORDS = ("contact_id", "contract_id", "project_id")


@bp.route("/operacion/ticket/nuevo", methods=["GET", "POST"])
@login_required
def new():
    """Create a ticket under the client the form submits; a refused form (a field, a record of
    another client, a choice out of range, too many files) comes back filled in, with the
    message. "Continue" (or a GET with ?client_id=) only shows the chosen client's lists."""
    require(current_user, Permission.CREATE)
    values = request.form if request.method == "POST" else request.args
    form = NewTicketForm(values)
    if not form.client_id.validate(form):  # an unusable client: pick it again
        flash(form.client_id.errors[0], "error")
        values = values.copy()
        values.pop("client_id", None)
        return _page(values, form, "client_id", 422 if request.method == "POST" else 400)
    if request.method == "GET":
        return _page(values, form, None, 200)
    if "continue" in values:
        if form.client_id.data is None:
            flash(_("Select the client: it is required."), "error")
            return _page(values, form, "client_id", 422)
        return _page(values, form, None, 200)
    try:
        checked(form)
        fields = TicketFields(
            client_id=form.client_id.data, description=values.get("description", ""),
            contact_id=form.contact_id.data, contract_id=form.contract_id.data,
            project_id=form.project_id.data, type_id=form.type_id.data,
            subject=values.get("subject", ""), urgency=values.get("urgency") or "MEDIUM")
        ticket = tickets.create_ticket(current_user, fields, uploads=uploads_from_request())
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        flash(str(error), "error")
        if error.field in _CLIENT_RECORDS:
            flash(_("After changing the client, press Continue to see its lists: the requester, "
                    "contract and project below are now those of the client chosen; choose them "
                    "again and save."), "error")
        return _page(values, form, error.field, 422)
    flash(_("Ticket %(number)s created.", number=ticket.number), "info")
    return redirect(url_for("tickets.detail", number=ticket.number), 303)


def _page(values, form: NewTicketForm, error_field: str | None, status: int):
    """The form with what was typed, with the lists of the client submitted (the ids as read,
    so one that is not in those lists is simply unselected); files sent are named, not kept."""
    if request.method == "POST":
        say_files_not_kept()
    client_id = form.client_id.data if error_field != "client_id" else None
    choices = _choices(client_id)
    chosen = next((c for c in choices["clients"] if c.id == client_id), None)
    return render_template("tickets/new.html", values=values, form=form, chosen=chosen,
                           error_field=error_field, **choices), status
