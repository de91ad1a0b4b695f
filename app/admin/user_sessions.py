"""The administrator's "sign out everywhere" for a user: a row action in the users list, a plain
POST form (CSRF token, no script, so it works under the Content-Security-Policy)."""
from __future__ import annotations

from flask_admin.model.template import BaseListRowAction
from flask_babel import gettext
from flask_wtf import FlaskForm
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from wtforms import HiddenField


class SignOutEverywhereForm(FlaskForm):
    """The user whose sessions end (its id); CSRF-protected."""

    id = HiddenField()


class SignOutEverywhereAction(BaseListRowAction):
    """A button on each user's row that posts to UserView.sign_out_everywhere_view."""

    def render(self, context, row_id, row):
        url = self._resolve_symbol(context, "get_url")(".sign_out_everywhere_view")
        label = gettext("Sign out everywhere")
        return Markup(
            '<form class="icon" method="post" action="{url}">'
            '<input type="hidden" name="csrf_token" value="{token}">'
            '<input type="hidden" name="id" value="{id}">'
            '<button type="submit" title="{title}">{label}</button></form>'
        ).format(url=url, token=generate_csrf(), id=row_id, label=label,
                 title=gettext("End every session of this user, in every browser"))
