"""GET/POST /login and POST /logout."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from app.extensions import db
from app.services.errors import NotPermitted
from app.services.sign_in import authenticate
from app.web.auth import bp
from app.web.auth.forms import LoginForm


def _safe_next(target: str | None) -> str:
    """Only same-site paths are followed after signing in (no open redirect)."""
    if target and target.startswith("/") and not target.startswith("//") \
            and not urlsplit(target).netloc:
        return target
    return url_for("tickets.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The sign-in page; a failed attempt says so without telling which part was wrong."""
    if current_user.is_authenticated:
        return redirect(url_for("tickets.index"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = authenticate(form.email.data, form.password.data)
        except NotPermitted as error:
            db.session.commit()  # keep the failure count
            flash(str(error), "error")
            return render_template("auth/login.html", form=form), 401
        session.clear()  # a fresh session on sign-in (no fixation)
        login_user(user, remember=form.remember.data)
        db.session.commit()
        return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    """End the session (and the remember-me cookie)."""
    logout_user()
    session.clear()
    flash(_("You signed out."), "info")
    return redirect(url_for("auth.login"))
