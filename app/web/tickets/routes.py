"""The list, the ticket page and attachment downloads (staff only)."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from app.extensions import db
from app.received_mail import split_quoted, split_quoted_html
from app.models.client import Client, Contract, TicketType
from app.models.enums import TicketStatus, Urgency
from app.models.ticket import Attachment
from app.models.user import User
from app.services.attachments import attachment_store
from app.services.permissions import Permission, require
from app.services.ticket_actions import available_actions
from app.services.ticket_queries import list_tickets, ticket_by_number
from app.web.tickets import bp
from app.web.tickets.filters import filters_from_args
from app.web.tickets.history_lines import describe, who


@bp.get("/")
@login_required
def index():
    return redirect(url_for("tickets.list_view"))


@bp.get("/operacion/ticket")
@login_required
def list_view():
    """The ticket list with the seed's columns, filters from the URL, counts per status; a
    filter value that cannot be used is left out and the page says which and why."""
    filters, problems = filters_from_args(request.args, current_user.id)
    for problem in problems:
        flash(str(problem), "error")
    page = list_tickets(current_user, filters)
    choices = {
        "clients": db.session.scalars(select(Client).order_by(Client.name)).all(),
        "types": db.session.scalars(select(TicketType).order_by(TicketType.name)).all(),
        "staff": db.session.scalars(select(User).where(User.active.is_(True))
                                    .order_by(User.name)).all(),
        "contracts": db.session.scalars(select(Contract).order_by(Contract.name)).all(),
    }
    return render_template("tickets/list.html", page=page, filters=filters, counts=page.counts,
                           statuses=list(TicketStatus), urgencies=list(Urgency), **choices)


def _timeline(ticket) -> list[dict]:
    """Everything that happened, oldest first: notes, history, quotes, time."""
    by_note = {}
    for attachment in ticket.attachments:
        by_note.setdefault(attachment.note_id, []).append(attachment)
    events = []
    for note in ticket.notes:
        files = by_note.get(note.id, [])
        cids = {a.content_id: url_for("tickets.attachment", attachment_id=a.id, inline=1)
                for a in files if a.content_id}
        visible, quoted = split_quoted(note.body_text)
        html, html_quoted = split_quoted_html(note.body_html, cids.get)
        events.append({"at": note.created_at, "kind": "note", "note": note, "visible": visible,
                       "quoted": quoted, "html": html, "html_quoted": html_quoted,
                       "files": [a for a in files if not a.inline]})
    for change in ticket.changes:
        if change.note_id is None or change.field != "customer_email":
            events.append({"at": change.created_at, "kind": "change", "change": change,
                           "who": who(change), "line": describe(change)})
    for quote in ticket.quotes:
        events.append({"at": quote.created_at, "kind": "quote", "quote": quote})
    for entry in ticket.time_entries:
        events.append({"at": entry.created_at, "kind": "time", "entry": entry})
    return sorted(events, key=lambda e: e["at"])


@bp.get("/operacion/ticket/<number>")
@login_required
def detail(number: str):
    """The ticket page: every field of the seed and its timeline."""
    return ticket_page(number)


def ticket_page(number: str, typed: dict | None = None) -> str:
    """The ticket page; `typed` refills the text of an action's form (by action name)."""
    ticket = ticket_by_number(current_user, number)
    if ticket is None:
        abort(404)
    return render_template("tickets/detail.html", ticket=ticket, timeline=_timeline(ticket),
                           loose_files=[a for a in ticket.attachments if a.note_id is None],
                           actions=available_actions(current_user, ticket), typed=typed or {})


@bp.get("/operacion/adjunto/<id:attachment_id>")
@login_required
def attachment(attachment_id: int):
    """An attachment, always as a download (an inline image only when it is a known image type)."""
    require(current_user, Permission.VIEW)
    item = db.session.get(Attachment, attachment_id)
    if item is None:
        abort(404)
    inline_image = request.args.get("inline") and (item.sniffed_type or "") in (
        "image/png", "image/jpeg", "image/gif", "image/webp")
    response = send_file(attachment_store().path_for(item.sha256),
                         mimetype=item.sniffed_type if inline_image else "application/octet-stream",
                         as_attachment=not inline_image, download_name=item.filename,
                         max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
