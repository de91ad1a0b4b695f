"""GET /notificaciones, POST /notificaciones/leidas, POST /preferencias/idioma,
GET|POST /preferencias/zona-horaria."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import refresh
from flask_login import current_user, login_required
from sqlalchemy import func, select, update

from app.extensions import db
from app.models.columns import utcnow
from app.models.enums import Language
from app.models.notification import Notification
from app.services import preferences
from app.services.errors import DomainError
from app.web.account import bp
from app.web.errors import http_status
from app.web.local_time import reader_zone_name


def unread_count(user) -> int:
    """Unread notifications of the user (for the bell in the header)."""
    return db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None))) or 0


@bp.get("/notificaciones")
@login_required
def notifications():
    """The user's notifications, newest first."""
    items = db.session.scalars(select(Notification).where(Notification.user_id == current_user.id)
                               .order_by(Notification.id.desc()).limit(100)).all()
    return render_template("account/notifications.html", items=items)


@bp.post("/notificaciones/leidas")
@login_required
def mark_read():
    """Mark every notification of the user as read."""
    db.session.execute(update(Notification).where(
        Notification.user_id == current_user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow()))
    db.session.commit()
    return redirect(url_for("account.notifications"), 303)


@bp.post("/preferencias/idioma")
@login_required
def language():
    """Switch the user's language (Spanish or English); stays for the next sign-in."""
    choice = request.form.get("language")
    if choice in {lang.value for lang in Language}:
        current_user.language = Language(choice)
        db.session.commit()
        refresh()  # forget the locale this context already chose
    target = request.referrer or ""
    return redirect(target if target.startswith(request.host_url) else url_for("tickets.index"), 303)


@bp.get("/preferencias/zona-horaria")
@login_required
def time_zone():
    """The form to choose the zone this user reads times in."""
    return _time_zone_page()


@bp.post("/preferencias/zona-horaria")
@login_required
def set_time_zone():
    """Keep the chosen zone (empty: the company's); a wrong one is refused with a message and the
    form shows the zone kept."""
    choice = request.form.get("time_zone", "")
    try:
        preferences.set_time_zone(current_user, current_user, choice)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        flash(str(error), "error")
        return _time_zone_page(status=http_status(error))
    refresh()  # forget the zone this request already chose
    flash(_("Times are now shown in %(zone)s.", zone=reader_zone_name()), "info")
    return redirect(url_for("account.time_zone"), 303)


def _time_zone_page(status: int = 200):
    """The time zone form with the user's zone selected (kept in the list even when it is not
    one of the listed ones, so saving the page never changes it unasked)."""
    chosen = current_user.time_zone or ""
    return render_template("account/time_zone.html", chosen=chosen,
                           zones=preferences.zone_options(chosen)), status
