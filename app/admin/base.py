"""What every admin view shares: the form base (CSRF, the row it edits), the access check by
permission, bounded ids and pages, and ServiceView, whose saves go through a service."""
from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_admin import AdminIndexView, expose
from flask_admin.contrib.sqla import ModelView
from flask_admin.contrib.sqla.form import AdminModelConverter
from flask_admin.contrib.sqla.validators import Unique
from flask_babel import gettext
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.exc import IntegrityError
from wtforms import Field

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


class IndexView(AdminOnly, AdminIndexView):
    """The admin home."""

    @expose("/")
    def index(self):
        return super().index()


class ReferenceView(AdminOnly, ModelView):
    """A reference-data table: list, search, create, edit."""

    can_delete = False  # deactivate instead: tickets refer to these rows
    page_size = 50

    def _get_list_extra_args(self):
        # ?page= reaches the database as an OFFSET: bounded, like every request parameter
        from app.web.params import PAGE_MAX

        args = super()._get_list_extra_args()
        return args.clone(page=min(max(args.page or 0, 0), PAGE_MAX))

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

    def save(self, actor, row, form):
        """Create (row None) or change the row from the form's values through a service;
        return the row. Subclasses implement it."""
        raise NotImplementedError

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


def show_domain_error(form, error: DomainError, renamed: dict[str, str] | None = None) -> None:
    """Show a refusal under the field it concerns, or as a message above the form."""
    name = (renamed or {}).get(error.field, error.field) if error.field else None
    field = getattr(form, name, None) if name else None
    if isinstance(field, Field):
        field.errors = [*field.errors, str(error)]
    else:
        flash(str(error), "error")
