"""Mailboxes in /admin: every save and delete goes through app.services.mailboxes, so the URL,
password and server rules are the service's; this view only keeps passwords off the page."""
from __future__ import annotations

from flask_admin.actions import action
from flask_admin.babel import lazy_gettext as flask_admin_gettext
from flask_babel import lazy_gettext as _l
from wtforms import PasswordField
from wtforms.utils import unset_value

from app.admin.base import ServiceView
from app.services import mailboxes
from app.services.mailbox_urls import mailbox_name, split_password


class WriteOnlyPasswordField(PasswordField):
    """A password that goes in and never comes out: never filled from the row, so never rendered
    back (the service encrypts what is typed)."""

    def process(self, formdata, data=unset_value, extra_filters=None):
        super().process(formdata, extra_filters=extra_filters)


class MailboxView(ServiceView):
    """Mailboxes the poller reads besides SOPORTE_INBOX_URL; the URL is shown without its
    password, which is kept encrypted (a write-only field) and never listed or rendered."""

    can_delete = True  # records keep the mailbox's name, not a reference to this row
    column_list = ("name", "url", "active", "created_at")
    column_formatters = {"url": lambda view, context, model, name: mailbox_name(model.url)}
    form_excluded_columns = ("created_at", "password_encrypted")
    form_extra_fields = {"password": WriteOnlyPasswordField(_l("Password"))}
    form_args = {"url": {"label": _l("Inbox URL")}}
    column_labels = {"url": _l("Inbox URL"), "name": _l("Name"), "active": _l("Active"),
                     "created_at": _l("Created")}

    def save(self, actor, row, form):
        typed = form.url.data or ""
        hide_password_in_url(form)  # shown again only if refused: without the password
        fields = mailboxes.MailboxFields(form.name.data, typed, form.password.data or "",
                                         bool(form.active.data))
        return mailboxes.save_mailbox(actor, row, fields)

    def validate_form(self, form):
        valid = super().validate_form(form)
        if not valid:
            hide_password_in_url(form)
        return valid

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        form.password.description = _l("Leave empty to keep the current one.")
        return form

    def on_form_prefill(self, form, id):
        hide_password_in_url(form)  # a row stored before encryption may still hold one

    def remove(self, actor, row):
        mailboxes.delete_mailbox(actor, row)

    @action("delete", flask_admin_gettext("Delete"),
            flask_admin_gettext("Are you sure you want to delete selected records?"))
    def action_delete(self, ids):
        # Flask-Admin's bulk delete passes the ids as text, which PostgreSQL does not compare
        # with an integer (a 500): only ids that are row ids go on, as integers.
        return super().action_delete(tuple(int(i) for i in ids if _is_row_id(i)))


def hide_password_in_url(form) -> None:
    """Take a password out of the form's URL so that the page never renders one back."""
    form.url.data = split_password(form.url.data or "")[0]


def _is_row_id(value: str) -> bool:
    """Whether the value can be a row's id (params.bounded_id accepts it)."""
    from app.web.params import bounded_id

    try:
        return bounded_id(value) is not None
    except ValueError:
        return False
