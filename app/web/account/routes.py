"""GET /notificaciones, POST /notificaciones/leidas, POST /preferencias/idioma."""
from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask_babel import refresh
from flask_login import current_user, login_required
from sqlalchemy import func, select, update

from app.extensions import db
from app.models.columns import utcnow
from app.models.enums import Language
from app.models.notification import Notification
from app.web.account import bp


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
