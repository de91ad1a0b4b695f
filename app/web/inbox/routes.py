"""Triage: pick (or create) the client of an unknown sender. Quarantine: see the error, retry
(administrators). Each decision is one service call and one commit, and the page says what
really became of the message (a new ticket, a note, still in triage or quarantine, and why).
The pages are read by app.services.mail_queues, with their permission check and flags."""
from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.extensions import db
from app.services import mail_queues, mail_triage
from app.services.errors import DomainError
from app.web.inbox import bp
from app.web.inbox.forms import TriageForm
from app.web.inbox.outcomes import describe
from app.web.inbox.reasons import reason_label
from app.web.params import checked


@bp.get("/triage")
@login_required
def triage():
    """Mail from unknown senders, waiting for staff to pick the client."""
    page = mail_queues.triage_page(current_user)
    return render_template("inbox/triage.html", page=page, reasons=_reasons(page.records))


@bp.get("/cuarentena")
@login_required
def quarantine():
    """Mail that could not be processed, with its error."""
    page = mail_queues.quarantine_page(current_user)
    return render_template("inbox/quarantine.html", page=page, reasons=_reasons(page.records))


@bp.get("/salida")
@login_required
def outbox():
    """Outgoing mail that could not be delivered (permanent failures) or is still retrying."""
    return render_template("inbox/outbox.html", page=mail_queues.undelivered_mail(current_user))


def _reasons(records) -> dict[int, str]:
    """Each message's reason in the reader's language, by id."""
    return {r.id: reason_label(r.reason) for r in records}


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
