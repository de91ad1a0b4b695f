"""Everyone's API tokens in /admin/tokens/: the administrators' list (owner, name, scopes, created,
last used, revoked), revoking any of them, and a new token for any active staff user, its secret
shown once, on the answer to its creation. Rules and reads in app.services.api_tokens; plain POST
forms with the CSRF token (no script, under the Content-Security-Policy)."""
from __future__ import annotations

from flask import flash, make_response, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_admin.model.template import BaseListRowAction
from flask_babel import gettext
from flask_login import current_user
from markupsafe import Markup

from app.admin.base import AdminOnly
from app.extensions import db
from app.services import api_tokens
from app.services.errors import DomainError
from app.services.permissions import Permission
from app.web.errors import http_status
from app.web.params import bounded_id, parse_id, parse_page


class ApiTokenView(AdminOnly, BaseView):
    """Every staff user's API tokens: list (?user_id= narrows it to one user), create, revoke."""

    permission = Permission.MANAGE_USERS

    @expose("/")
    def index_view(self):
        """The list and the form for a new token (its owner preselected when the list is one
        user's)."""
        try:
            owner_id = parse_id(request.args.get("user_id"), "owner", gettext("Staff user"))
            page = parse_page(request.args.get("page"))
        except DomainError as error:
            flash(str(error), "error")
            return self._page(status=http_status(error))
        return self._page(owner_id=owner_id, page=page)

    @expose("/new/", methods=("POST",))
    def create_view(self):
        """Create a token for the chosen user; this answer is the only page that shows its
        secret (no redirect, so the secret is never kept in the session)."""
        try:
            owner_id = parse_id(request.form.get("owner"), "owner", gettext("Staff user"))
            owner = api_tokens.owner_by_id(current_user, owner_id)
            new = api_tokens.create_token(current_user, owner, request.form.get("name", ""),
                                          request.form.get("scopes", ""))
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            flash(str(error), "error")
            return self._page(status=http_status(error), form=request.form)
        return self._page(new=new, status=201)

    @expose("/<id:token_id>/revoke/", methods=("POST",))
    def revoke_view(self, token_id: int):
        """Revoke any user's token; back to the list it was revoked from."""
        try:
            token = api_tokens.revoke_token(current_user,
                                            api_tokens.token_by_id(current_user, token_id))
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            flash(str(error), "error")
            return self._page(status=http_status(error))
        flash(gettext("The token %(name)s of %(email)s is revoked: it no longer opens the API.",
                      name=token.name, email=token.user.email), "success")
        return redirect(self._back_to_list(), 303)

    def _page(self, new: api_tokens.NewToken | None = None, status: int = 200,
              owner_id: int | None = None, page: int = 1, form=None):
        """The page: the list (one user's when owner_id), the form (kept after a refusal,
        emptied after a creation) and a new token's secret."""
        form = form or {}
        owner = None
        if owner_id is not None:
            try:
                owner = api_tokens.owner_by_id(current_user, owner_id)
            except DomainError as error:
                flash(str(error), "error")
                status = http_status(error)
        listed = api_tokens.list_tokens(current_user, owner, page)
        chosen = form.get("owner") or (str(owner.id) if owner else "")
        response = make_response(self.render(
            "admin/api_tokens.html", listing=listed, owner=owner, new=new,
            owners=api_tokens.token_owners(current_user), chosen_owner=chosen,
            name=form.get("name", ""), scopes=form.get("scopes", "")), status)
        if new is not None:
            response.headers["Cache-Control"] = "no-store"  # the secret stays in no cache
        return response

    def _back_to_list(self) -> str:
        """The list the revoke button was on (one user's or everyone's), never another site."""
        try:
            owner_id = bounded_id(request.form.get("user_id"))
        except ValueError:
            owner_id = None
        return url_for(".index_view", user_id=owner_id)


class TokensOfUserAction(BaseListRowAction):
    """A link on each user's row of the users list to that user's API tokens."""

    def render(self, context, row_id, row):
        url = url_for("apitoken.index_view", user_id=row_id)
        return Markup('<a class="icon" href="{url}" title="{title}">{label}</a>').format(
            url=url, label=gettext("API tokens"),
            title=gettext("See, create and revoke this user's API tokens"))
