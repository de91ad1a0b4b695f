"""The user's saved list views, from the list's sidebar: GET /operacion/vistas/cuentas gives the
views with their counts (the list page asks for them after it is shown), POST /operacion/vistas
saves the filter
being shown under a name, …/<id>/nombre renames one, …/<id>/borrar deletes one (CSRF-protected
like every form). Who may do what, and the rules of a name, are app.services.saved_views'; a
refused name shows the list again (422) with the name as typed and the message under it. The
stored query is always the canonical one (app.web.tickets.filters.canonical_query), whatever was
posted."""
from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.extensions import db
from app.services import clock, saved_views
from app.services.errors import ValidationFailed
from app.web.errors import http_status
from app.web.tickets import bp
from app.web.tickets.filters import canonical_query
from app.web.tickets.list_page import args_of, render_list, render_view_counts


def _posted_query(field: str) -> str:
    """The canonical query string of the filter a form carried in `field`."""
    return _canonical(request.form.get(field, ""))


def _back_to_list(query: str):
    """Redirect (303) to the list showing the filter `query` (canonical, so nothing but the
    list's own arguments)."""
    return redirect(url_for("tickets.list_view") + (f"?{query}" if query else ""), 303)


@bp.get("/operacion/vistas/cuentas")
@login_required
def view_counts():
    """The sidebar's views with their live counts (the list page loads them after itself, so
    a page of the list never waits for ten counts); `actual`, the query the list shows, is
    marked as the current view."""
    return render_view_counts(_canonical(request.args.get("actual", "")))


def _canonical(query: str) -> str:
    return canonical_query(args_of(query), current_user.id, clock.user_zone(current_user))


@bp.post("/operacion/vistas")
@login_required
def save_view():
    """Save the filter being shown under the typed name and show it, selected in the sidebar."""
    query = _posted_query("query")
    name = request.form.get("name", "")
    try:
        view = saved_views.save_view(current_user, name, query)
        db.session.commit()
    except ValidationFailed as error:
        db.session.rollback()
        return render_list(args_of(query), {"name": name}, error, http_status(error))
    flash(_("View saved: %(name)s", name=view.name), "success")
    return _back_to_list(query)


@bp.post("/operacion/vistas/<id:view_id>/nombre")
@login_required
def rename_view(view_id: int):
    """Rename one of the user's views; back to the list they were reading."""
    view = saved_views.get_view(current_user, view_id)
    back = _posted_query("back")
    name = request.form.get("name", "")
    try:
        saved_views.rename_view(current_user, view, name)
        db.session.commit()
    except ValidationFailed as error:
        db.session.rollback()
        return render_list(args_of(back), {"name": name, "view_id": view_id}, error,
                           http_status(error))
    flash(_("View renamed: %(name)s", name=view.name), "success")
    return _back_to_list(back)


@bp.post("/operacion/vistas/<id:view_id>/borrar")
@login_required
def delete_view(view_id: int):
    """Delete one of the user's views; back to the list they were reading."""
    view = saved_views.get_view(current_user, view_id)
    name = view.name
    saved_views.delete_view(current_user, view)
    db.session.commit()
    flash(_("View deleted: %(name)s", name=name), "success")
    return _back_to_list(_posted_query("back"))
