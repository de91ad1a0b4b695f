"""Triage: pick (or create) the client of an unknown sender. Quarantine: see the error, retry (administrators)."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from app.extensions import db
from app.models.client import Client
from app.models.enums import InboundOutcome
from app.models.enums import OutboxStatus
from app.models.mail import InboundMessage, OutboxMessage
from app.services.clients import create_client
from app.services.errors import DomainError
from app.services.mail_triage import place_triaged, quarantined_for_retry
from app.services.permissions import Permission, can, require
from app.web.inbox import bp
from app.web.inbox.forms import TriageForm
from app.web.params import checked
from mail_ingest.ingest import retry as reprocess


def _records(outcome: InboundOutcome):
    return db.session.scalars(select(InboundMessage).where(InboundMessage.outcome == outcome)
                              .order_by(InboundMessage.received_at.desc()).limit(200)).all()


@bp.get("/triage")
@login_required
def triage():
    """Mail from unknown senders, waiting for staff to pick the client."""
    require(current_user, Permission.VIEW)
    clients = db.session.scalars(select(Client).where(Client.active.is_(True))
                                 .order_by(Client.name)).all()
    return render_template("inbox/triage.html", records=_records(InboundOutcome.TRIAGE),
                           clients=clients, can_resolve=can(current_user, Permission.CREATE),
                           can_create_client=can(current_user, Permission.MANAGE_REFERENCE))


@bp.get("/cuarentena")
@login_required
def quarantine():
    """Mail that could not be processed, with its error."""
    require(current_user, Permission.VIEW)
    return render_template("inbox/quarantine.html", records=_records(InboundOutcome.QUARANTINED),
                           can_retry=can(current_user, Permission.MANAGE_REFERENCE))


@bp.get("/salida")
@login_required
def outbox():
    """Outgoing mail that could not be delivered (permanent failures) or is still retrying."""
    require(current_user, Permission.VIEW)
    rows = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.status.in_([OutboxStatus.FAILED, OutboxStatus.PENDING]),
        OutboxMessage.attempts > 0).order_by(OutboxMessage.id.desc()).limit(200)).all()
    return render_template("inbox/outbox.html", rows=rows)


def _apply(action, success_message: str, back: str):
    try:
        record = action()
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for(back), 303)
    flash(success_message + (f" {record.ticket.number}" if record.ticket else ""), "info")
    return redirect(url_for(back), 303)


@bp.post("/<id:record_id>/cliente")
@login_required
def assign_client(record_id: int):
    """The chosen client, or a new one named here, gets the sender as a contact; the mail
    becomes a ticket or a note."""
    def resolve():
        new_name = request.form.get("new_client_name", "").strip()
        client_id = (create_client(current_user, new_name).id if new_name
                     else checked(TriageForm(request.form)).client_id.data)
        return reprocess(place_triaged(current_user, record_id, client_id))

    return _apply(resolve, _("Processed."), "inbox.triage")


@bp.post("/<id:record_id>/reintentar")
@login_required
def retry(record_id: int):
    """Process a quarantined message again from its stored source."""
    return _apply(lambda: reprocess(quarantined_for_retry(current_user, record_id)),
                  _("Processed again."),
                  "inbox.quarantine")
