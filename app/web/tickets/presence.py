"""Collision detection: who else has a ticket open or is writing a reply, refreshed by the page.

The ticket page's box (templates/tickets/_presence.html) posts a heartbeat to
POST /operacion/ticket/<number>/presencia every SOPORTE_PRESENCE_REFRESH_SECONDS (config.py,
15 by default), with `composing=1` while the reply text is not empty (app/static/presence.js); the
answer is the box's content: the colleagues on the page. The reply form carries the reply
guard's fields (templates/tickets/_reply_guard.html): `seen_through`, the newest customer
message the page showed, and `confirm_newer=1` to send anyway. The rules are
app.services.presence's.
"""
from __future__ import annotations

from flask import current_app, render_template, request
from flask_login import current_user, login_required

from app.extensions import db
from app.models.ticket import Ticket
from app.services import presence
from app.services.ticket_view import ticket_by_number
from app.web.tickets import bp


@bp.post("/operacion/ticket/<number>/presencia")
@login_required
def heartbeat(number: str):
    """Record this user on the ticket's page (writing a reply or not) and answer with the
    colleagues there; empty when nobody else is."""
    ticket = ticket_by_number(current_user, number)
    presence.touch(current_user, ticket, composing=request.form.get("composing") == "1")
    colleagues = presence.others(current_user, ticket)
    db.session.commit()
    return render_template("tickets/_presence_others.html", colleagues=colleagues)


def reply_guard_fields(form) -> dict:
    """The reply guard's inputs from the reply form, as app.services.notes.reply_publicly takes
    them: no `seen_through` (or one that is not a note id) means there is nothing to compare."""
    seen = (form.get("seen_through") or "").strip()
    return {"seen_through": int(seen) if seen.isdigit() and len(seen) < 19 else None,
            "confirmed": form.get("confirm_newer") == "1"}


@bp.app_template_global("newest_customer_message_id")
def newest_customer_message_id(ticket: Ticket) -> int:
    """For the reply form: the newest customer message the page shows (0 when none)."""
    return presence.newest_customer_message_id(ticket)


@bp.app_template_global("presence_refresh_seconds")
def presence_refresh_seconds() -> int:
    """How often the presence box refreshes (SOPORTE_PRESENCE_REFRESH_SECONDS, tests shorten it)."""
    return current_app.config["SOPORTE_PRESENCE_REFRESH_SECONDS"]
