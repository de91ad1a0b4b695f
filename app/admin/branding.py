"""The company's look in customer mail and pages, at /admin/marca/: name, logo and colours
(app.services.branding), administrators only; a plain multipart POST form with the CSRF token
(no script, under the Content-Security-Policy). A refusal shows the form again with what was
typed and the message under its field (422)."""
from __future__ import annotations

from flask import flash, make_response, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_babel import gettext
from flask_login import current_user

from app.admin.base import AdminOnly
from app.extensions import db
from app.services import branding
from app.services.errors import DomainError
from app.web.errors import http_status


class BrandingView(AdminOnly, BaseView):
    """One form: the company's name, the header colour, the button and link colour, the logo."""

    @expose("/")
    def index_view(self):
        """The form with the saved values (empty fields: the defaults, shown as placeholders)."""
        row = branding.settings(current_user)
        values = {"name": (row.name if row else "") or "",
                  "primary_color": (row.primary_color if row else "") or "",
                  "accent_color": (row.accent_color if row else "") or ""}
        return self._page(values)

    @expose("/", methods=("POST",))
    def save_view(self):
        """Save through the service; back to the form, which shows the result."""
        upload = request.files.get("logo")
        data = branding.BrandingInput(
            name=request.form.get("name", ""),
            primary_color=request.form.get("primary_color", ""),
            accent_color=request.form.get("accent_color", ""),
            logo=upload.read(branding.LOGO_MAX_BYTES + 1) if upload and upload.filename else None,
            remove_logo=request.form.get("remove_logo") == "1")
        try:
            branding.save_branding(current_user, data)
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            values = {"name": data.name, "primary_color": data.primary_color,
                      "accent_color": data.accent_color}
            return self._page(values, error=error, status=http_status(error))
        flash(gettext("Saved. Customer mail written from now on and the customer pages show "
                      "the company's new look."), "success")
        return redirect(url_for(".index_view"), 303)

    def _page(self, values: dict, error: DomainError | None = None, status: int = 200):
        row = branding.settings(current_user)
        return make_response(self.render(
            "admin/branding.html", values=values, error=error, row=row,
            brand=branding.current_brand(), defaults={
                "name": branding.default_name(), "primary_color": branding.DEFAULT_PRIMARY,
                "accent_color": branding.DEFAULT_ACCENT},
            max_kb=branding.LOGO_MAX_BYTES // 1024), status)
