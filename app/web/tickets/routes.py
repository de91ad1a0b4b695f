"""The list, the ticket page and attachment downloads (staff only): adapters over the read
services (ticket_list, ticket_view, attachment_downloads), which hold the permission checks.
A refusal (NotPermitted, NotFound) is answered by the app's one DomainError handler."""
from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.received_mail import split_quoted, split_quoted_html
from app.services import presence, worklog
from app.services.attachment_downloads import attachment_for_download
from app.services.billing.basis import describe_basis
from app.services.billing.ticket_billing import ticket_billing
from app.services.sla.ticket_levels import ticket_service_levels
from app.services.ticket_actions import available_actions
from app.services.ticket_view import TimelineEvent, ticket_page_view, timeline_part
from app.web.security import file_download
from app.web.tickets import bp
from app.web.tickets.history_lines import basis_line, describe, who
from app.web.tickets.list_page import render_list


@bp.get("/")
@login_required
def index():
    return redirect(url_for("tickets.list_view"))


@bp.get("/operacion/ticket")
@login_required
def list_view():
    """The ticket list (app.web.tickets.list_page): filters from the URL (dates in the reader's
    zone), counts per status, the sidebar of views with their live counts; a filter value that
    cannot be used is left out and the page says which and why."""
    return render_list(request.args)


@bp.get("/operacion/ticket/<number>")
@login_required
def detail(number: str):
    """The ticket page: the conversation first (its newest part; `before`, a cursor, shows the
    part before it: the "Load earlier messages" link without JavaScript), the fields and
    actions beside it."""
    return ticket_page(number, before=request.args.get("before"))


@bp.get("/operacion/ticket/<number>/anteriores")
@login_required
def earlier(number: str):
    """The part of the conversation before the cursor `before`, as the thread's entries (with
    the link to the part before it): "Load earlier messages" inserts them in place (htmx)."""
    view = timeline_part(current_user, number, request.args.get("before", ""))
    return render_template("tickets/_thread_part.html", ticket=view.ticket,
                           timeline=[_shown(event) for event in view.timeline],
                           earlier=view.earlier, earlier_cursor=view.earlier_cursor)


def ticket_page(number: str, typed: dict | None = None, reply_guard=None,
                before: str | None = None) -> str:
    """The ticket page; `typed` refills the text of an action's form (by action name);
    `reply_guard` is the NewerCustomerMessage that held a reply back (its form warns); `before`
    shows the part of the conversation before that cursor. The reply form's `seen_through` is
    the newest customer message of the ticket as the page was read; the presence box
    refreshes every SOPORTE_PRESENCE_REFRESH_SECONDS (both read by the services, not the
    templates)."""
    view = ticket_page_view(current_user, number, before)
    return render_template("tickets/detail.html", ticket=view.ticket,
                           timeline=[_shown(event) for event in view.timeline],
                           earlier=view.earlier, earlier_cursor=view.earlier_cursor,
                           later=view.later, opening_email=view.opening_email,
                           pinned=_shown(view.opening_event) if view.opening_event else None,
                           loose_images=view.loose_images, loose_documents=view.loose_documents,
                           needs_new_assignee=view.needs_new_assignee,
                           billing_basis=basis_line(describe_basis(view.ticket)),
                           actions=available_actions(current_user, view.ticket),
                           billing=ticket_billing(current_user, view.ticket),
                           service_levels=ticket_service_levels(current_user, view.ticket,
                                                                view.notes),
                           seen_through=view.newest_customer_message_id,
                           presence_refresh_seconds=int(
                               presence.refresh_interval().total_seconds()),
                           typed=typed or {}, reply_guard=reply_guard)


def _shown(event: TimelineEvent) -> dict:
    """A timeline event as the page shows it: a note's text and sanitised HTML split from the
    quoted history (its cid: images pointing at their downloads), its files as image previews
    and download links, a change as one line."""
    shown = {"at": event.at, "kind": event.kind, "note": event.note, "quote": event.quote,
             "entry": event.entry, "change": event.change, "files": event.files,
             "images": event.images, "documents": event.documents}
    if event.kind == "note":
        cids = {a.content_id: url_for("tickets.attachment", attachment_id=a.id, inline=1)
                for a in event.attachments if a.content_id}
        shown["visible"], shown["quoted"] = split_quoted(event.note.body_text)
        shown["html"], shown["html_quoted"] = split_quoted_html(event.note.body_html, cids.get)
    elif event.kind == "change":
        shown["who"], shown["line"] = who(event.change), describe(event.change)
    elif event.kind == "time":
        shown["entry_flags"] = worklog.entry_flags(current_user, event.entry)
    return shown


@bp.get("/operacion/adjunto/<id:attachment_id>")
@login_required
def attachment(attachment_id: int):
    """An attachment, always as a download (an inline image only when it is a known image type)."""
    download = attachment_for_download(current_user, attachment_id)
    return file_download(download, inline=bool(request.args.get("inline")))
