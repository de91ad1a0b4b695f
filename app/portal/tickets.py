"""The customer's ticket page, opened by the "view the ticket" link of our mail (no account):
read the ticket, reply with files, download its files; and asking for new links by address.

Every page is in the contact's language. The token is a secret in the URL: it is kept out of
the logs (TOKEN_PATH_PREFIXES) and out of Referer headers (no-referrer on every portal page).
"""
from __future__ import annotations

import hashlib

from flask import current_app, redirect, render_template, request
from flask_babel import force_locale

from app.extensions import db, limiter
from app.portal import bp
from app.services import portal, portal_links
from app.services.errors import DomainError, LinkProblem, NotFound, ValidationFailed
from app.web.auth.throttle import client_network
from app.web.security import file_download
from app.web.uploads import uploads_from_request


@bp.after_request
def _no_referrer(response):
    """Pages reached by a secret link never pass it on in a Referer header."""
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _too_many(_limit):
    """A throttled request: a page saying to wait, in the browser's language (429)."""
    page = render_template("portal/ticket_problem.html", kind="throttled", offer_new_link=False)
    return current_app.response_class(page, status=429, headers={"Retry-After": "3600"})


def _typed_address() -> str:
    """The client's network and the (hashed, normalised) address typed in the form."""
    email = (request.form.get("email") or "").strip().lower()
    return f"{client_network()}/{hashlib.sha256(email.encode()).hexdigest()[:32]}"


_reply_limit = limiter.limit(lambda: current_app.config["SOPORTE_PORTAL_REPLY_LIMIT"],
                             key_func=client_network, methods=["POST"], on_breach=_too_many)
_request_limit = limiter.limit(lambda: current_app.config["SOPORTE_PORTAL_LINK_REQUEST_LIMIT"],
                               key_func=client_network, methods=["POST"], on_breach=_too_many)
_request_limit_per_address = limiter.limit(
    lambda: current_app.config["SOPORTE_PORTAL_LINK_REQUEST_LIMIT_PER_ADDRESS"],
    key_func=_typed_address, methods=["POST"], on_breach=_too_many)


def _problem(error: LinkProblem, token: str):
    """The page for a link that cannot be used, offering to send new links: in the contact's
    language when the link is ours, in the browser's when it was tampered with."""
    db.session.rollback()
    contact = portal_links.signed_contact(token) if error.kind != "tampered" else None
    status = 404 if error.kind == "tampered" else 410
    if contact is None:
        return render_template("portal/ticket_problem.html", kind=error.kind, error=error,
                               offer_new_link=True), status
    with force_locale(contact.language.value):
        return render_template("portal/ticket_problem.html", kind=error.kind, error=error,
                               offer_new_link=True), status


def _render_ticket(token: str, sent: str | None = None, error: DomainError | None = None,
                   typed: str = "", status: int = 200):
    """The ticket's page (with the reply form's message when a reply was refused)."""
    try:
        view = portal.ticket_page(token)
    except LinkProblem as problem:
        return _problem(problem, token)
    with force_locale(view.contact.language.value):
        page = render_template("portal/ticket.html", view=view, ticket=view.ticket, token=token,
                               sent=sent, error=error, typed=typed)
    db.session.rollback()  # a read: end the transaction (SQLite holds its lock until then)
    return page, status


@bp.get("/portal/t/<token>")
def ticket_page(token: str):
    """The ticket's page; opening it changes nothing."""
    return _render_ticket(token, sent=request.args.get("enviado"))


@bp.post("/portal/t/<token>/responder")
@_reply_limit
def reply(token: str):
    """The customer's reply with its files: a note from the contact, as their email would be."""
    text = request.form.get("text", "")
    try:
        access = portal.reply(token, text, uploads_from_request())
        db.session.commit()
    except LinkProblem as problem:
        return _problem(problem, token)
    except ValidationFailed as refused:
        db.session.rollback()
        return _render_ticket(token, error=refused, typed=text, status=422)
    # a reply to a closed ticket opened a new one: go to the new ticket's page
    landed = portal_links.make_token(access.contact, access.ticket) if access.created else token
    db.session.rollback()
    return redirect(f"{portal_links.PATH}{landed}?enviado={'nuevo' if access.created else '1'}"
                    "#sent", code=303)


@bp.get("/portal/t/<token>/archivo/<int:attachment_id>")
def download(token: str, attachment_id: int):
    """A file of the page's conversation, served as staff downloads are (never run as a page)."""
    inline = request.args.get("ver") == "1"
    try:
        item = portal.attachment_download(token, attachment_id)
    except LinkProblem as problem:
        return _problem(problem, token)
    except NotFound as missing:
        db.session.rollback()
        return render_template("portal/ticket_problem.html", kind="missing", error=missing,
                               offer_new_link=False), 404
    db.session.rollback()
    return file_download(item, inline=inline)


@bp.route("/portal/enlace", methods=["GET", "POST"])
@_request_limit
@_request_limit_per_address
def request_link():
    """Ask for new links by address: the answer is the same whether the address is known or not;
    the mail goes only to that address."""
    if request.method == "GET":
        return render_template("portal/request_link.html", done=False, error=None, typed="")
    typed = request.form.get("email", "")
    try:
        portal_links.request_links(typed)
        db.session.commit()
    except ValidationFailed as refused:
        db.session.rollback()
        return render_template("portal/request_link.html", done=False, error=refused,
                               typed=typed), 422
    return render_template("portal/request_link.html", done=True, error=None, typed="")
