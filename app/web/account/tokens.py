"""GET|POST /cuenta/tokens, POST /cuenta/tokens/<id>/revocar: the signed-in user's own API
tokens (a new one's secret shown once, on the answer to its creation; last use; revoking).
Rules in app.services.api_tokens."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.extensions import db
from app.services import api_tokens
from app.services.errors import DomainError
from app.web.account import bp
from app.web.errors import http_status


@bp.get("/cuenta/tokens")
@login_required
def tokens():
    """The user's tokens and the form for a new one."""
    return _tokens_page()


@bp.post("/cuenta/tokens")
@login_required
def create_token():
    """Create a token; the answer is the only page that shows its secret (no redirect, so the
    secret is never kept in the session)."""
    try:
        new = api_tokens.create_token(current_user, current_user, request.form.get("name", ""),
                                      request.form.get("scopes", ""))
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        flash(str(error), "error")
        return _tokens_page(status=http_status(error))
    return _tokens_page(new=new, status=201)


@bp.post("/cuenta/tokens/<id:token_id>/revocar")
@login_required
def revoke_token(token_id: int):
    """Revoke one of the user's tokens."""
    try:
        token = api_tokens.revoke_token(current_user,
                                        api_tokens.token_by_id(current_user, token_id))
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        flash(str(error), "error")
        return _tokens_page(status=http_status(error))
    flash(_("The token %(name)s is revoked: it no longer opens the API.", name=token.name), "info")
    return redirect(url_for("account.tokens"), 303)


def _tokens_page(new: api_tokens.NewToken | None = None, status: int = 200):
    listed = api_tokens.tokens_of(current_user, current_user)
    return render_template("account/tokens.html", tokens=listed, new=new,
                           name=request.form.get("name", "") if new is None else "",
                           scopes=request.form.get("scopes", "") if new is None else ""), status
