"""Canned replies: supervisors manage the team's snippets; agents insert one, filled for the ticket.

/operacion/respuestas lists every reply and creates one; /operacion/respuestas/<id> edits one,
…/desactivar and …/reactivar take it out of the picker and back. The ticket page's picker
(templates/tickets/_canned_picker.html) loads its options from
/operacion/ticket/<number>/respuestas and the chosen reply's filled text, as JSON, from
/operacion/ticket/<number>/respuestas/<id> (app/static/canned_replies.js inserts it). Who may
do what, and the rules of a reply's text, are app.services.canned_replies'.
"""
from __future__ import annotations

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.extensions import db
from app.models.workspace import CannedReply
from app.services import canned_replies
from app.services.errors import DomainError, ValidationFailed, passes
from app.services.ticket_view import ticket_by_number
from app.web.errors import http_status
from app.web.tickets import bp

FIELDS = ("title", "body")


@bp.route("/operacion/respuestas", methods=["GET", "POST"])
@login_required
def canned_replies_page():
    """The list of canned replies with the form for a new one; a refused one comes back (422)
    as typed, with the message under its field."""
    if request.method == "GET":
        return _list_page({}, None, 200)
    typed = _typed()
    try:
        reply = canned_replies.create_reply(current_user, typed["title"], typed["body"])
        db.session.commit()
    except ValidationFailed as error:
        db.session.rollback()
        return _list_page(typed, error, http_status(error))
    flash(_("Canned reply saved: %(title)s", title=reply.title), "success")
    return redirect(url_for("tickets.canned_replies_page"), 303)


@bp.route("/operacion/respuestas/<id:reply_id>", methods=["GET", "POST"])
@login_required
def canned_reply(reply_id: int):
    """One canned reply's form; saved in one transaction, or back as typed (422)."""
    reply = canned_replies.get_reply(current_user, reply_id)
    if request.method == "GET":
        return _edit_page(reply, {"title": reply.title, "body": reply.body}, None, 200)
    typed = _typed()
    try:
        canned_replies.update_reply(current_user, reply, typed["title"], typed["body"])
        db.session.commit()
    except ValidationFailed as error:
        db.session.rollback()
        return _edit_page(reply, typed, error, http_status(error))
    flash(_("Canned reply saved: %(title)s", title=reply.title), "success")
    return redirect(url_for("tickets.canned_replies_page"), 303)


@bp.post("/operacion/respuestas/<id:reply_id>/desactivar")
@login_required
def deactivate_canned_reply(reply_id: int):
    """Take the reply out of the picker (it stays in the list, to reactivate)."""
    reply = canned_replies.deactivate(current_user, canned_replies.get_reply(current_user,
                                                                             reply_id))
    db.session.commit()
    flash(_("Deactivated: %(title)s is no longer offered when replying.", title=reply.title),
          "success")
    return redirect(url_for("tickets.canned_replies_page"), 303)


@bp.post("/operacion/respuestas/<id:reply_id>/reactivar")
@login_required
def reactivate_canned_reply(reply_id: int):
    """Offer the reply in the picker again."""
    reply = canned_replies.reactivate(current_user, canned_replies.get_reply(current_user,
                                                                             reply_id))
    db.session.commit()
    flash(_("Reactivated: %(title)s is offered again when replying.", title=reply.title),
          "success")
    return redirect(url_for("tickets.canned_replies_page"), 303)


@bp.get("/operacion/ticket/<number>/respuestas")
@login_required
def canned_reply_options(number: str):
    """The picker's options for this ticket (an htmx fragment): each active reply with the
    address of its filled text."""
    ticket = ticket_by_number(current_user, number)
    replies = canned_replies.active_replies(current_user)
    return render_template("canned_replies/_options.html", ticket=ticket, replies=replies,
                           can_manage=passes(canned_replies.check_manage,
                                             current_user))


@bp.get("/operacion/ticket/<number>/respuestas/<id:reply_id>")
@login_required
def filled_canned_reply(number: str, reply_id: int):
    """The reply's text filled for the ticket, as JSON {"text"}; a refusal as JSON {"error"}
    with its status (403 without the reply permission, 404 for a deactivated reply)."""
    try:
        ticket = ticket_by_number(current_user, number)
        text = canned_replies.filled_for(current_user, reply_id, ticket)
    except DomainError as error:
        return jsonify(error=str(error)), http_status(error)
    return jsonify(text=text)


def _typed() -> dict:
    """The form's values as sent."""
    return {name: request.form.get(name, "") for name in FIELDS}


def _list_page(typed: dict, error: ValidationFailed | None, status: int):
    """The list with the new-reply form (as typed on a refusal)."""
    replies = canned_replies.all_replies(current_user)
    return render_template("canned_replies/list.html", replies=replies, typed=typed,
                           error=error, error_field=_field(error),
                           placeholders=canned_replies.GUIDE), status


def _edit_page(reply: CannedReply, typed: dict, error: ValidationFailed | None, status: int):
    """One reply's form (as typed on a refusal)."""
    return render_template("canned_replies/edit.html", reply=reply, typed=typed, error=error,
                           error_field=_field(error),
                           placeholders=canned_replies.GUIDE), status


def _field(error: DomainError | None) -> str | None:
    """The form field a refusal concerns, when it is one of the form's."""
    return error.field if error is not None and error.field in FIELDS else None
