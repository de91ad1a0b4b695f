"""Triage: pick (or create) the client of an unknown sender. Quarantine: see the error, retry
(administrators). Each decision is one service call and one commit, and the page says what
really became of the message (a new ticket, a note, still in triage or quarantine, and why)."""
from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from app.extensions import db
from app.models.client import Client
from app.models.enums import InboundOutcome
from app.models.enums import OutboxStatus
from app.models.mail import InboundMessage, OutboxMessage
from app.services import mail_triage
from app.services.errors import DomainError
from app.services.permissions import Permission, can, require
from app.web.inbox import bp
from app.web.inbox.forms import TriageForm
from app.web.inbox.outcomes import describe
from app.web.params import checked


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
    records = _records(InboundOutcome.TRIAGE)
    return render_template("inbox/triage.html", records=records, clients=clients,
                           can_resolve={r.id: mail_triage.can_triage(current_user, r)
                                        for r in records},
                           can_create_client=can(current_user, Permission.MANAGE_REFERENCE))


@bp.get("/cuarentena")
@login_required
def quarantine():
    """Mail that could not be processed, with its error."""
    require(current_user, Permission.VIEW)
    records = _records(InboundOutcome.QUARANTINED)
    return render_template("inbox/quarantine.html", records=records,
                           can_retry={r.id: mail_triage.can_retry(current_user, r)
                                      for r in records})


@bp.get("/salida")
@login_required
def outbox():
    """Outgoing mail that could not be delivered (permanent failures) or is still retrying."""
    require(current_user, Permission.VIEW)
    rows = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.status.in_([OutboxStatus.FAILED, OutboxStatus.PENDING]),
        OutboxMessage.attempts > 0).order_by(OutboxMessage.id.desc()).limit(200)).all()
    return render_template("inbox/outbox.html", rows=rows)


def _processing():
    """The mail processing plugged in by the composition root (mail_ingest.init_app), or None."""
    return current_app.extensions.get(mail_triage.PROCESSING_EXTENSION)


def _apply(decide, back: str):
    """Run one decision in one transaction and say what became of the message."""
    try:
        result = decide()
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for(back), 303)
    message, ok = describe(result)
    flash(message, "info" if ok else "error")
    return redirect(url_for(back), 303)


@bp.post("/<id:record_id>/cliente")
@login_required
def assign_client(record_id: int):
    """The chosen client, or a new one named here, gets the sender as a contact, and the mail
    is processed again (mail_triage.resolve_triage)."""
    def resolve():
        new_name = request.form.get("new_client_name", "").strip()
        client_id = None if new_name else checked(TriageForm(request.form)).client_id.data
        return mail_triage.resolve_triage(current_user, record_id, _processing(),
                                          client_id=client_id, new_client_name=new_name)

    return _apply(resolve, "inbox.triage")


@bp.post("/<id:record_id>/reintentar")
@login_required
def retry(record_id: int):
    """Process a quarantined message again from its stored source
    (mail_triage.retry_quarantined)."""
    return _apply(lambda: mail_triage.retry_quarantined(current_user, record_id, _processing()),
                  "inbox.quarantine")
