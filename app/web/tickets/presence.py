"""Collision detection: who else has a ticket open or is writing a reply, refreshed by the page.

The ticket page's box (templates/tickets/_presence.html) posts a heartbeat to
POST /operacion/ticket/<number>/presencia every SOPORTE_PRESENCE_REFRESH_SECONDS (config.py,
15 by default), with `composing=1` while the reply text is not empty (app/static/presence.js); the
answer is the box's content: the colleagues on the page. The reply form carries the reply
guard's fields (templates/tickets/_reply_guard.html): `seen_through`, the newest customer
message the page showed (0 for none), and `confirm_newer=1` to send anyway. The rules are
app.services.presence's.
"""
from __future__ import annotations

from flask import render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from app.extensions import db
from app.services import presence
from app.services.errors import ValidationFailed
from app.services.ticket_view import ticket_by_number
from app.web.params import bounded_id
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
    them. No `seen_through` field at all (a caller that shows no conversation) means there is
    nothing to compare. A `seen_through` that is neither 0 (the page showed no customer message)
    nor a note id (app.web.params.bounded_id) is refused with a ValidationFailed (422: the page
    again, the reply's text kept), not treated as absent: this page always sends the field, so
    a damaged one means we cannot tell what its author saw, and skipping the check would send
    a reply over a message they may never have read. Refusing costs one more click."""
    confirmed = form.get("confirm_newer") == "1"
    seen = form.get("seen_through")
    if seen is None:
        return {"seen_through": None, "confirmed": confirmed}
    try:
        seen_through = 0 if seen == "0" else bounded_id(seen)
        if seen_through is None:  # sent empty
            raise ValueError(seen)
    except ValueError:
        raise ValidationFailed(_l("Your reply was not sent: the form did not say which customer "
                                  "messages you had seen. Read the conversation as this page "
                                  "shows it now (reload the page if it does not), then send "
                                  "your reply again."), field="seen_through") from None
    return {"seen_through": seen_through, "confirmed": confirmed}
