"""The administrators' webhook pages in /admin/webhooks/: the endpoints (URL, description, event
types, active or why not, last delivery), a new one and a rotation answering with the secret
shown once, edit, disable/enable, delete after a confirmation, and each endpoint's delivery log
with "send again" and the attempts of one delivery.

Rules and reads in app.services.webhooks.endpoints (Permission.MANAGE_WEBHOOKS); plain POST
forms with the CSRF token (no script, under the Content-Security-Policy). A refusal is shown on
the form it came from, keeping what was typed.
"""
from __future__ import annotations

import json
import re

from flask import current_app, flash, make_response, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_babel import gettext
from flask_login import current_user

from app.admin.base import AdminOnly
from app.extensions import db
from app.models.webhook import WebhookDelivery, WebhookEndpoint
from app.services.errors import DomainError
from app.services.permissions import Permission
from app.services.webhooks import endpoints as service
from app.services.webhooks.addresses import URL_MAX
from app.services.webhooks.events import EVENT_TYPES
from app.web.errors import http_status
from app.web.params import bounded_id

DELIVERIES_SHOWN = 50
_HOURS = re.compile(r"[0-9]{1,4}")


class WebhookView(AdminOnly, BaseView):
    """Webhook endpoints and their delivery log (administrators)."""

    permission = Permission.MANAGE_WEBHOOKS

    @expose("/")
    def index_view(self):
        """Every endpoint with its last delivery's status."""
        return self._list()

    @expose("/new/", methods=("GET", "POST"))
    def create_view(self):
        """The form for a new endpoint; its creation answers with the secret, this once (no
        redirect, so the secret is never kept in the session)."""
        if request.method == "GET":
            return self._form(None, {"url": "", "description": "", "event_types": [],
                                     "active": True})
        values = _typed_values()
        try:
            new = service.create_endpoint(current_user, service.EndpointInput(**values))
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            return self._form(None, values, error)
        return self._secret(new, created=True, status=201)

    @expose("/<id:endpoint_id>/", methods=("GET", "POST"))
    def edit_view(self, endpoint_id: int):
        """Change an endpoint's URL, description and event types; back to the list."""
        endpoint = self._endpoint(endpoint_id)
        if endpoint is None:
            return self._list(status=404)
        if request.method == "GET":
            return self._form(endpoint, {"url": endpoint.url,
                                         "description": endpoint.description,
                                         "event_types": endpoint.subscribed_types,
                                         "active": endpoint.active})
        values = _typed_values(with_active=False)
        try:
            service.update_endpoint(current_user, endpoint, service.EndpointInput(**values))
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            return self._form(endpoint, {**values, "active": endpoint.active}, error)
        flash(gettext("The endpoint %(url)s is saved.", url=endpoint.url), "success")
        return redirect(url_for(".index_view"), 303)

    @expose("/<id:endpoint_id>/active/", methods=("POST",))
    def active_view(self, endpoint_id: int):
        """Enable or disable an endpoint (disabling cancels its waiting deliveries)."""
        endpoint = self._endpoint(endpoint_id)
        if endpoint is None:
            return self._list(status=404)
        active = request.form.get("active") == "1"
        try:
            service.update_endpoint(current_user, endpoint, service.EndpointInput(active=active))
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            flash(str(error), "error")
            return self._list(status=http_status(error))
        flash(gettext("The endpoint %(url)s is enabled.", url=endpoint.url) if active else
              gettext("The endpoint %(url)s is disabled: its waiting deliveries are cancelled.",
                      url=endpoint.url), "success")
        return redirect(url_for(".index_view"), 303)

    @expose("/<id:endpoint_id>/delete/", methods=("GET", "POST"))
    def delete_view(self, endpoint_id: int):
        """Ask, then remove the endpoint with its delivery log."""
        endpoint = self._endpoint(endpoint_id)
        if endpoint is None:
            return self._list(status=404)
        if request.method == "GET":
            return self.render("admin/webhooks_delete.html", endpoint=endpoint)
        url = endpoint.url
        try:
            service.delete_endpoint(current_user, endpoint)
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            flash(str(error), "error")
            return self._list(status=http_status(error))
        flash(gettext("The endpoint %(url)s and its delivery log are deleted.", url=url),
              "success")
        return redirect(url_for(".index_view"), 303)

    @expose("/<id:endpoint_id>/rotate/", methods=("POST",))
    def rotate_view(self, endpoint_id: int):
        """A new secret, shown on this answer only; the old one signs beside it for a while."""
        endpoint = self._endpoint(endpoint_id)
        if endpoint is None:
            return self._list(status=404)
        hours = request.form.get("keep_previous_hours", "").strip()
        try:
            new = service.rotate_secret(current_user, endpoint, _hours(hours))
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            return self._form(endpoint, {"url": endpoint.url,
                                         "description": endpoint.description,
                                         "event_types": endpoint.subscribed_types,
                                         "active": endpoint.active}, error, hours=hours)
        return self._secret(new, created=False, status=200)

    @expose("/<id:endpoint_id>/deliveries/")
    def deliveries_view(self, endpoint_id: int):
        """The endpoint's latest deliveries, newest first (?before= pages on)."""
        endpoint = self._endpoint(endpoint_id)
        if endpoint is None:
            return self._list(status=404)
        try:
            before = bounded_id(request.args.get("before"))
        except ValueError:
            before = None
        rows = service.list_deliveries(current_user, endpoint, DELIVERIES_SHOWN, before)
        return self.render("admin/webhooks_deliveries.html", endpoint=endpoint,
                           deliveries=rows, refusals=_resend_refusals(rows),
                           event_labels=EVENT_TYPES, before=before,
                           next_before=rows[-1].id if len(rows) == DELIVERIES_SHOWN else None)

    @expose("/<id:endpoint_id>/deliveries/<id:delivery_id>/")
    def delivery_view(self, endpoint_id: int, delivery_id: int):
        """One delivery: its event, the body sent and every attempt with the answer."""
        endpoint = self._endpoint(endpoint_id)
        if endpoint is None:
            return self._list(status=404)
        delivery = self._delivery(endpoint, delivery_id)
        if delivery is None:
            return redirect(url_for(".deliveries_view", endpoint_id=endpoint.id))
        return self.render("admin/webhooks_delivery.html", endpoint=endpoint,
                           delivery=delivery, body=_readable(delivery.event.payload), refusal=_resend_refusals([delivery]).get(
                               delivery.id), event_labels=EVENT_TYPES)

    @expose("/<id:endpoint_id>/deliveries/<id:delivery_id>/resend/", methods=("POST",))
    def resend_view(self, endpoint_id: int, delivery_id: int):
        """"Send again": the same event waits for the worker now; back to the log."""
        endpoint = self._endpoint(endpoint_id)
        if endpoint is None:
            return self._list(status=404)
        delivery = self._delivery(endpoint, delivery_id)
        if delivery is not None:
            try:
                service.resend_delivery(current_user, delivery)
                db.session.commit()
                flash(gettext("The event %(event)s waits to be sent again.",
                              event=delivery.event.event_id), "success")
            except DomainError as error:
                db.session.rollback()
                flash(str(error), "error")
        return redirect(url_for(".deliveries_view", endpoint_id=endpoint.id), 303)

    def _endpoint(self, endpoint_id: int) -> WebhookEndpoint | None:
        """The endpoint, or None with the reason flashed."""
        try:
            return service.get_endpoint(current_user, endpoint_id)
        except DomainError as error:
            flash(str(error), "error")
            return None

    def _delivery(self, endpoint: WebhookEndpoint, delivery_id: int) -> WebhookDelivery | None:
        """The endpoint's delivery, or None with the reason flashed."""
        try:
            return service.get_delivery(current_user, endpoint, delivery_id)
        except DomainError as error:
            flash(str(error), "error")
            return None

    def _list(self, status: int = 200):
        """The list: every endpoint and the status of its last delivery."""
        endpoints = service.list_endpoints(current_user)
        last = service.last_deliveries(current_user, endpoints)
        return make_response(self.render(
            "admin/webhooks.html", endpoints=endpoints, last=last, event_labels=EVENT_TYPES,
            disabled_reasons=service.DISABLED_REASONS), status)

    def _form(self, endpoint: WebhookEndpoint | None, values: dict,
              error: DomainError | None = None, hours: str | None = None):
        """The new or edit form with these values; a refusal shown under its field."""
        errors = {}
        if error is not None:
            if error.field in ("url", "description", "event_types", "keep_previous_hours"):
                errors[error.field] = str(error)
            else:
                flash(str(error), "error")
        return make_response(self.render(
            "admin/webhooks_form.html", endpoint=endpoint, values=values, errors=errors,
            event_labels=EVENT_TYPES, url_max=URL_MAX, description_max=service.DESCRIPTION_MAX,
            disabled_reasons=service.DISABLED_REASONS, overlap_max=service.OVERLAP_MAX_HOURS,
            hours=hours if hours is not None else _default_hours()),
            http_status(error) if error is not None else 200)

    def _secret(self, new: service.NewSecret, created: bool, status: int):
        """The answer that shows a secret, this once, kept in no cache."""
        response = make_response(self.render(
            "admin/webhooks_secret.html", new=new, created=created), status)
        response.headers["Cache-Control"] = "no-store"
        return response


def _typed_values(with_active: bool = True) -> dict:
    """The endpoint form's values as typed (EndpointInput's fields)."""
    values = {"url": request.form.get("url", "").strip(),
              "description": request.form.get("description", ""),
              "event_types": request.form.getlist("event_types")}
    if with_active:
        values["active"] = request.form.get("active") == "1"
    return values


def _hours(text: str) -> int | None:
    """The overlap typed: None (the default) when empty, -1 (refused by the service with its
    message) when not a whole number."""
    if not text:
        return None
    return int(text) if _HOURS.fullmatch(text) else -1


def _default_hours() -> str:
    """The overlap offered on the rotate form: the configured default."""
    return str(current_app.config.get("SOPORTE_WEBHOOKS_SECRET_OVERLAP_HOURS", 24))


def _resend_refusals(rows: list[WebhookDelivery]) -> dict[int, str]:
    """Why each delivery that may not be sent again now may not (check_resend's message)."""
    refusals = {}
    for delivery in rows:
        try:
            service.check_resend(current_user, delivery)
        except DomainError as error:
            refusals[delivery.id] = str(error)
    return refusals


def _readable(payload: str) -> str:
    """The body sent, indented for reading (as stored when it is not JSON)."""
    try:
        return json.dumps(json.loads(payload), indent=2, ensure_ascii=False)
    except ValueError:
        return payload
