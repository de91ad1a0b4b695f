"""Users and roles in /admin: every save goes through app.services.staff (MANAGE_USERS), so the
email and password rules, the last administrator and the tickets left needing a new assignee are
the same as in the CLI."""
from __future__ import annotations

from flask import flash, g, redirect, url_for
from flask_admin import expose
from flask_admin.form.widgets import Select2Widget
from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup
from wtforms import PasswordField, SelectField
from wtforms.validators import Optional

from app.admin import api_tokens, user_sessions
from app.admin.base import ServiceView
from app.extensions import db
from app.services import preferences, staff
from app.services.permissions import Permission


class UserView(ServiceView):
    """Staff users: create, edit, change role, deactivate or reactivate (the Active box), reset
    the password (New password), sign out everywhere (a row button)."""

    permission = Permission.MANAGE_USERS
    column_list = ("name", "email", "role", "language", "active")
    column_searchable_list = ("name", "email")
    column_extra_row_actions = [user_sessions.SignOutEverywhereAction(),
                                api_tokens.TokensOfUserAction()]
    form_columns = ("email", "name", "role", "language", "time_zone", "active", "new_password")
    form_extra_fields = {
        "new_password": PasswordField(_l("New password"), validators=[Optional()]),
        # The account page's list (preferences.zone_options), set per form; the service decides
        # which zones are valid, not a second copy of the rule in the form.
        "time_zone": SelectField(_l("Time zone"), choices=[], validate_choice=False,
                                 coerce=lambda name: name or "", widget=Select2Widget())}
    error_fields = {"password": "new_password"}

    def create_form(self, obj=None):
        return _with_zone_choices(super().create_form(obj), None)

    def edit_form(self, obj=None):
        return _with_zone_choices(super().edit_form(obj), obj)

    def save(self, actor, row, form):
        details = staff.StaffDetails(form.email.data, form.name.data, form.language.data,
                                     form.time_zone.data)
        report = staff.save_staff(actor, row, details, form.role.data, bool(form.active.data),
                                  form.new_password.data or "")
        g.staff_report = report  # this request's (the view object is shared by every request)
        return report.user

    def after_model_change(self, form, model, is_created):
        from app.web.auth.sessions import keep_signed_in_here

        if not is_created and form.new_password.data and model.id == current_user.id:
            keep_signed_in_here(model)  # the administrator's own password: stay signed in here
        flash_needing_assignee(g.pop("staff_report", None))

    @expose("/sign-out-everywhere/", methods=("POST",))
    def sign_out_everywhere_view(self):
        """End every session of one user (an administrator's action, from the users list)."""
        from app.web.auth.sessions import keep_signed_in_here

        form = user_sessions.SignOutEverywhereForm()
        user = self.get_one(form.id.data) if form.validate_on_submit() else None
        if user is None:
            flash(gettext("That user no longer exists. Reload the list and try again."), "error")
            return redirect(url_for(".index_view"))
        staff.sign_out_everywhere(current_user, user)
        db.session.commit()
        if user.id == current_user.id:
            keep_signed_in_here(user)
        flash(gettext("%(email)s is now signed out in every browser.", email=user.email),
              "success")
        return redirect(url_for(".index_view"))


def _with_zone_choices(form, user):
    """The form with the zones to choose from: the account page's, keeping the user's own."""
    form.time_zone.choices = preferences.zone_options(user.time_zone if user else None)
    return form


def flash_needing_assignee(report: staff.StaffReport | None) -> None:
    """Say how many open tickets of the user need a new assignee, linking to that list."""
    if report is None or not report.needing_assignee:
        return
    count = len(report.needing_assignee)
    message = ngettext("%(email)s has %(num)d open ticket that needs a new assignee.",
                       "%(email)s has %(num)d open tickets that need a new assignee.",
                       count, email=report.user.email)
    link = url_for("tickets.list_view", needs_assignee=1)
    flash(Markup('{message} <a href="{link}">{label}</a>').format(
        message=message, link=link, label=gettext("See them and reassign")), "warning")
