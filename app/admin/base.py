"""What every admin view shares: the form base (CSRF, the row it edits), the access check by
permission, bounded ids and pages, and ServiceView, whose saves go through a service."""
from __future__ import annotations

from flask import abort, flash, redirect, request, session, url_for
from flask_admin import AdminIndexView, expose
from flask_admin.contrib.sqla import ModelView
from flask_admin.contrib.sqla.form import AdminModelConverter
from flask_admin.model.form import converts
from flask_admin.contrib.sqla.validators import Unique
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup
from sqlalchemy.exc import IntegrityError
from wtforms import Field

from app.admin.translation import admin_gettext, admin_ngettext
from app.extensions import db
from app.services.errors import DomainError
from app.services.permissions import Permission, can


class AdminForm(FlaskForm):
    """Flask-WTF's form (CSRF) keeping the row it edits, as Flask-Admin's own form does: its
    Unique validator needs it, or saving a row unchanged says its name "already exists"."""

    def __init__(self, *args, obj=None, **kwargs):
        self._obj = obj
        super().__init__(*args, obj=obj, **kwargs)


class AdminOnly:
    """Shown only to signed-in users whose role grants the view's permission; CSRF through
    Flask-WTF."""

    form_base_class = AdminForm
    permission = Permission.MANAGE_REFERENCE

    def is_accessible(self) -> bool:
        return bool(getattr(current_user, "is_authenticated", False)
                    and can(current_user, self.permission))

    def inaccessible_callback(self, name, **kwargs):
        if not getattr(current_user, "is_authenticated", False):
            return redirect(url_for("auth.login", next=request.path))
        abort(403)

    def render(self, template, **kwargs):
        # Flask-Admin's templates in our words (app/admin/translation.py); its render() sets
        # _gettext itself, then applies these per-request template arguments over it.
        self._template_args.update(_gettext=admin_gettext, _ngettext=admin_ngettext)
        translate_pending_flashes()
        return super().render(template, **kwargs)


# Every column and form field of the admin views, labelled through our catalog (Flask-Admin
# would otherwise show the attribute's name in English: "Covers Support").
COLUMN_LABELS = {
    "name": _l("Name"), "active": _l("Active"), "client": _l("Client"), "email": _l("Email"),
    "language": _l("Language"), "role": _l("Role"), "notes": _l("Notes"),
    "domains": _l("Domains"), "domain": _l("Domain"), "covers_support": _l("Covers support"),
    "starts_on": _l("Starts on"), "ends_on": _l("Ends on"), "url": _l("Inbox URL"),
    "created_at": _l("Created"), "time_zone": _l("Time zone"),
    "external_id": _l("External id"),
    "hourly_rate": _l("Hourly rate"), "currency": _l("Currency"),
    "included_hours": _l("Hour bank: hours included"), "bank_period": _l("Hour bank: counted"),
    "overage_rate": _l("Hour bank: rate beyond it"),
}


def enum_label(view, context, model, name):
    """A list cell showing an enum member's label (Administrador), not its code (ADMIN)."""
    value = getattr(model, name)
    return getattr(value, "label", value)


# What each admin section is for, shown on the admin home beside its link (by endpoint).
SECTION_PURPOSES = {
    "client": _l("The companies you support, and the email domains that identify them."),
    "contact": _l("The people of each client who write to support, and their language."),
    "contract": _l("Support contracts: a contract that covers support makes new tickets free."),
    "project": _l("Each client's projects, to file tickets under."),
    "tickettype": _l("The kinds of ticket (incident, question, …) staff choose from."),
    "user": _l("Staff accounts: role, language, time zone, password, sign out everywhere."),
    "apitoken": _l("Every staff user's keys for the API: create one for someone, see when each "
                   "was last used, revoke it."),
    "mailbox": _l("The mailboxes the mail poller reads new tickets and replies from."),
    "webhook": _l("The addresses that receive events (new ticket, status change, …) as "
                  "signed requests, and each one's delivery log."),
    "businesscalendar": _l("Business hours, time zone and holidays that service-level clocks "
                           "count in."),
    "slatarget": _l("Response and resolution targets per urgency, optionally per contract."),
    "branding": _l("The company's name, logo and colours in customer email and pages."),
}


class IndexView(AdminOnly, AdminIndexView):
    """The admin home: what each section is for, with a link to it, and the way back."""

    @expose("/")
    def index(self):
        sections = [(view.name, url_for(f"{view.endpoint}.index_view"),
                     SECTION_PURPOSES.get(view.endpoint, ""))
                    for view in self.admin._views
                    if view is not self and view.is_accessible()]
        return self.render("admin/soporte_index.html", sections=sections)


class ReferenceView(AdminOnly, ModelView):
    """A reference-data table: list, search, create, edit."""

    can_delete = False  # deactivate instead: tickets refer to these rows
    page_size = 50
    column_labels = COLUMN_LABELS
    column_formatters = {"role": enum_label, "language": enum_label, "bank_period": enum_label}

    def _get_list_extra_args(self):
        # ?page= reaches the database as an OFFSET: bounded, like every request parameter; the
        # search as a LIKE pattern: its first SEARCH_MAX characters, as the API's reference reads
        # (SQLite refuses a pattern over 50,000 bytes: a 500)
        from app.services.reference_reads import SEARCH_MAX
        from app.web.params import PAGE_MAX

        args = super()._get_list_extra_args()
        return args.clone(page=min(max(args.page or 0, 0), PAGE_MAX),
                          search=args.search[:SEARCH_MAX] if args.search else args.search)

    def get_one(self, id):
        # ?id= is a bounded record id (app.web.params), or no record (the view says so)
        from app.web.params import bounded_id

        try:
            key = bounded_id(id)
        except ValueError:
            return None
        return db.session.get(self.model, key) if key is not None else None


class ServiceFormConverter(AdminModelConverter):
    """Flask-Admin's form builder without its Unique validator: whether a name or address is
    taken is the service's rule (case-insensitive, with a message saying what to do), not a
    second, case-sensitive copy of it in the form."""

    @converts("sqlalchemy.sql.sqltypes.Enum")
    def convert_enum(self, column, field_args, **extra):
        """Flask-Admin's enum select, its options showing the members' labels."""
        field = super().convert_enum(column, field_args, **extra)
        enum_class = getattr(column.type, "enum_class", None)
        if enum_class is not None and hasattr(enum_class, "label"):
            field.kwargs["choices"] = [(member.name, member.label) for member in enum_class]
        return field

    def convert(self, *args, **kwargs):
        field = super().convert(*args, **kwargs)
        arguments = getattr(field, "kwargs", None)
        if arguments and arguments.get("validators"):
            arguments["validators"] = [v for v in arguments["validators"]
                                       if not isinstance(v, Unique)]
        return field


class ServiceView(ReferenceView):
    """A table whose creates and edits go through a service (`save`), never through the form
    writing the row: the service's rules hold whichever door a change comes through, and a
    DomainError comes back as the form's error, in the user's language (show_domain_error)."""

    model_form_converter = ServiceFormConverter
    # A service's field name → the form's, where they differ.
    error_fields: dict[str, str] = {}

    def __init_subclass__(cls, **kwargs):
        # Each view names its service: `save(self, actor, row, form)` creates (row None) or
        # changes the row from the form's values through it and returns the row. A view
        # without one would fall back to nothing at all, so it is refused when defined.
        super().__init_subclass__(**kwargs)
        if not callable(getattr(cls, "save", None)):
            raise TypeError(f"{cls.__name__} must define save(actor, row, form)")

    def create_model(self, form):
        return self._save(form, None)

    def update_model(self, form, model):
        return bool(self._save(form, model))

    def _save(self, form, row):
        """One transaction: the service call, then commit; a refusal rolls back and is shown."""
        try:
            saved = self.save(current_user, row, form)
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            show_domain_error(form, error, self.error_fields)
            return False
        except IntegrityError:
            # Someone saved the same name or address between the service's check and ours.
            db.session.rollback()
            flash(gettext("Someone else saved the same name or address a moment ago. Reload "
                          "the list and check before saving again."), "error")
            return False
        self.after_model_change(form, saved, row is None)
        return saved

    def delete_model(self, model):
        """One transaction: the view's `remove(actor, row)`, its service's delete, then commit;
        a refusal rolls back and is shown. A view without `remove` deletes nothing (reference
        rows are deactivated instead: can_delete is off)."""
        remove = getattr(self, "remove", None)
        if remove is None:
            return False
        try:
            remove(current_user, model)
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            flash(str(error), "error")
            return False
        self.after_model_delete(model)
        return True


def translate_pending_flashes() -> None:
    """Re-read the messages Flask-Admin flashed through our words: its Spanish catalog lacks some
    ("Failed to save record." stays English), ours has them. Our own (Markup) ones are kept."""
    pending = session.get("_flashes")
    if pending:
        session["_flashes"] = [(category, message if isinstance(message, Markup)
                                else admin_gettext(message)) for category, message in pending]


def show_domain_error(form, error: DomainError, renamed: dict[str, str] | None = None) -> None:
    """Show a refusal under the field it concerns, or as a message above the form."""
    name = (renamed or {}).get(error.field, error.field) if error.field else None
    field = getattr(form, name, None) if name else None
    if isinstance(field, Field):
        field.errors = [*field.errors, str(error)]
    else:
        flash(str(error), "error")
