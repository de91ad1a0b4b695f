"""Flask-Admin at /admin for reference data, users and roles, mailboxes: administrators only.

Every save goes through a service (app/admin/reference.py, app/admin/staff.py), except
mailboxes, kept here. Tickets, quotes and time are not edited here; they change only through
the workflow services.
"""
from __future__ import annotations

from flask import Flask
from flask_admin import Admin
from flask_admin.actions import action
from flask_admin.babel import lazy_gettext as flask_admin_gettext
from flask_admin.theme import Bootstrap4Theme
from flask_babel import lazy_gettext as _l
from sqlalchemy import inspect
from wtforms import PasswordField
from wtforms.utils import unset_value
from wtforms.validators import ValidationError

from app.admin.base import IndexView, ReferenceView
from app.admin.reference import ClientView, ContactView, ContractView, ProjectView, TicketTypeView
from app.admin.staff import UserView
from app.extensions import db
from app.models import Client, Contact, Contract, Mailbox, Project, TicketType, User
from app.services.mailbox_urls import (SourceError, mailbox_name, parse_inbox_url, same_server,
                                       split_password)


def _valid_inbox_url(form, field) -> None:
    """The URL must be one the poller can read (the check the poller itself makes)."""
    try:
        parse_inbox_url(field.data or "")
    except SourceError as error:
        raise ValidationError(str(_l("This is not a mailbox URL the poller can read (%(error)s). "
                                     "Write it as imap://user:password@host:143/INBOX, "
                                     "imaps://…:993/INBOX, imap+starttls://… or "
                                     "maildir:///path.", error=error))) from None


class WriteOnlyPasswordField(PasswordField):
    """A password that goes in and never comes out: never filled from the row (so never
    rendered back) and never written to it by populate_obj (the view encrypts it)."""

    def process(self, formdata, data=unset_value, extra_filters=None):
        super().process(formdata, extra_filters=extra_filters)

    def populate_obj(self, obj, name) -> None:
        return None


class MailboxView(ReferenceView):
    """Mailboxes the poller reads besides SOPORTE_INBOX_URL; the URL is stored without its
    password, which is kept encrypted (a write-only field) and never listed or rendered."""

    can_delete = True  # records keep the mailbox's name, not a reference to this row
    column_list = ("name", "url", "active", "created_at")
    column_formatters = {"url": lambda view, context, model, name: mailbox_name(model.url)}
    form_excluded_columns = ("created_at", "password_encrypted")
    form_extra_fields = {"password": WriteOnlyPasswordField(_l("Password"))}
    form_args = {"url": {"label": _l("Inbox URL"), "validators": [_valid_inbox_url]}}
    column_labels = {"url": _l("Inbox URL"), "name": _l("Name"), "active": _l("Active"),
                     "created_at": _l("Created")}

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        form.password.description = _l("Leave empty to keep the current one.")
        return form

    def on_form_prefill(self, form, id):
        form.url.data = split_password(form.url.data or "")[0]  # never render a password back

    @action("delete", flask_admin_gettext("Delete"),
            flask_admin_gettext("Are you sure you want to delete selected records?"))
    def action_delete(self, ids):
        # Flask-Admin's bulk delete passes the ids as text, which PostgreSQL does not compare
        # with an integer (a 500): only ids that are row ids go on, as integers.
        return super().action_delete(tuple(int(i) for i in ids if _is_row_id(i)))

    def on_model_change(self, form, model, is_created):
        # A password written into the URL is taken out of it and kept like the field's.
        earlier = inspect(model).attrs.url.history.deleted
        model.url, in_url = split_password(form.url.data)
        if form.password.data or in_url:
            model.set_password(form.password.data or in_url)
        elif parse_inbox_url(model.url).scheme == "maildir":
            model.set_password(None)  # a folder on this machine has no password
        elif earlier and model.password_encrypted and not same_server(earlier[0], model.url):
            # The stored password goes only to the server it was given for: pointing the URL
            # elsewhere (another host, port, user, or no TLS) would send it there.
            raise ValidationError(str(_l("The server, port, user or security of the inbox "
                                         "changed: type its password again.")))


def _is_row_id(value: str) -> bool:
    """Whether the value can be a row's id (params.bounded_id accepts it)."""
    from app.web.params import bounded_id

    try:
        return bounded_id(value) is not None
    except ValueError:
        return False


def init_admin(app: Flask) -> Admin:
    """Build the admin for this app (one Admin per app: views belong to one app)."""
    # The base template adds app/static/admin.js: Flask-Admin's inline handlers, replaced in
    # templates/admin/, cannot run under the CSP.
    admin = Admin(app, name="Soporte", url="/admin", index_view=IndexView(url="/admin"),
                  theme=Bootstrap4Theme(base_template="admin/soporte_base.html"))
    session = db  # Flask-Admin 2 takes the Flask-SQLAlchemy object
    admin.add_view(ClientView(Client, session, name=_l("Clients")))
    admin.add_view(ContactView(Contact, session, name=_l("Contacts")))
    admin.add_view(ContractView(Contract, session, name=_l("Contracts")))
    admin.add_view(ProjectView(Project, session, name=_l("Projects")))
    admin.add_view(TicketTypeView(TicketType, session, name=_l("Ticket types")))
    admin.add_view(UserView(User, session, name=_l("Users and roles")))
    admin.add_view(MailboxView(Mailbox, session, name=_l("Mailboxes")))
    return admin
