"""GET/POST /login and POST /logout."""
from __future__ import annotations

import math
from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_limiter.errors import RateLimitExceeded
from flask_login import current_user, login_required, login_url, login_user, logout_user

from app.extensions import db, login_manager
from app.services.accounts import end_sessions
from app.services.errors import NotPermitted
from app.services.sign_in import SignInThrottled, authenticate, refuse_throttled
from app.web.auth import SIGN_IN_REQUIRED, bp, throttle
from app.web.auth.forms import LoginForm


def _safe_next(target: str | None) -> str:
    """Only same-site paths are followed after signing in (no open redirect)."""
    if target and target.startswith("/") and not target.startswith("//") \
            and not urlsplit(target).netloc:
        return target
    return url_for("tickets.index")


@login_manager.unauthorized_handler
def sign_in_first():
    """A page that needs a signed-in user: a 302 to the sign-in page, then back (next=). An htmx
    request (HX-Request) would follow that redirect and swap the sign-in page into its box, so
    it gets 401 with HX-Redirect instead: htmx sends the whole browser to sign in, then back to
    the page it showed (HX-Current-URL, only when it is a page of this site)."""
    flash(str(SIGN_IN_REQUIRED), login_manager.login_message_category)
    if request.headers.get("HX-Request") != "true":
        return redirect(login_url(login_manager.login_view, request.url))
    shown = urlsplit(request.headers.get("HX-Current-URL", ""))
    back = None
    if shown.scheme in ("http", "https") and shown.netloc == request.host:
        back = _safe_next(shown.path + (f"?{shown.query}" if shown.query else ""))
    return "", 401, {"HX-Redirect": login_url(login_manager.login_view, back)}


@bp.route("/login", methods=["GET", "POST"])
@throttle.per_account
@throttle.per_address
def login():
    """The sign-in page; a failed attempt says so without telling which part was wrong."""
    if current_user.is_authenticated:
        return redirect(url_for("tickets.index"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = authenticate(form.email.data, form.password.data)
        except NotPermitted as error:
            flash(str(error), "error")
            return render_template("auth/login.html", form=form), 401  # counted by the throttle
        session.clear()  # a fresh session on sign-in (no fixation)
        login_user(user, remember=form.remember.data)
        return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


@bp.errorhandler(RateLimitExceeded)
def throttled(_error: RateLimitExceeded):
    """A throttled attempt: the sign-in page again, saying when to try (429, Retry-After)."""
    wait = throttle.seconds_until_retry()
    try:
        refuse_throttled(request.form.get("password", ""), wait)
    except SignInThrottled as refusal:
        flash(str(refusal), "error")
    page = render_template("auth/login.html", form=LoginForm())
    return page, 429, {"Retry-After": str(math.ceil(wait))}


@bp.post("/logout")
@login_required
def logout():
    """Sign out here and in every other browser (the remember-me cookies too)."""
    end_sessions(current_user._get_current_object())
    db.session.commit()
    logout_user()
    session.clear()
    flash(_("You signed out."), "info")
    return redirect(url_for("auth.login"))
