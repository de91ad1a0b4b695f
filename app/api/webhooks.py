"""Webhook endpoints and their deliveries (administrators: Permission.MANAGE_WEBHOOKS).

`GET|POST /webhooks`, `GET|PATCH|DELETE /webhooks/{id}`, `POST /webhooks/{id}/rotate-secret`,
`GET /webhooks/{id}/deliveries` (newest first, `before` pages on), and
`POST /webhooks/{id}/deliveries/{delivery_id}/resend`.

The secret ("whsec_…", Standard Webhooks) is in the answer of the creation and of a rotation
only: keep it then, it is never shown again. Each request to the endpoint carries the headers
webhook-id (the event's id, the same on every retry), webhook-timestamp (Unix seconds of the
attempt) and webhook-signature ("v1," + base64 HMAC-SHA256 of "id.timestamp.body" with the
secret's key bytes; during a rotation's overlap one signature per secret, separated by spaces).

Adapters only: each call is one app.services.webhooks.endpoints call and one commit.
"""
from __future__ import annotations

import json

from flask import url_for
from flask.views import MethodView
from marshmallow import Schema, fields, validate

from app.api.auth import acting_user
from app.api.errors import ErrorSchema
from app.api.resources import ResourceBlueprint
from app.api.schemas import query_id
from app.extensions import db
from app.models.enums import WebhookDeliveryStatus
from app.services.webhooks import endpoints as service
from app.services.webhooks.addresses import URL_MAX
from app.services.webhooks.events import EVENT_TYPES

bp = ResourceBlueprint("api-webhooks", __name__, url_prefix="/webhooks",
               description="Webhook endpoints (administrators), their secrets and their "
                           "delivery log. Requests to an endpoint are signed the Standard "
                           "Webhooks way.")

ATTEMPTS_SHOWN = 10



_EVENT_TYPE = fields.String(validate=validate.OneOf(list(EVENT_TYPES)))


class EndpointSchema(Schema):
    """An endpoint as listed (never its secret)."""

    id = fields.Integer()
    url = fields.String()
    description = fields.String()
    event_types = fields.List(fields.String(), attribute="subscribed_types", metadata={
        "description": "the types it receives; empty: every type"})
    active = fields.Boolean()
    disabled_reason = fields.String(allow_none=True, metadata={
        "description": "gone (it answered 410) or administrator; null while active"})
    disabled_at = fields.AwareDateTime(allow_none=True)
    previous_secret_until = fields.AwareDateTime(allow_none=True, metadata={
        "description": "until when the secret before the last rotation also signs"})
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()


class EndpointWithSecretSchema(EndpointSchema):
    """An endpoint just created or given a new secret: the secret, shown this once."""

    secret = fields.String(metadata={"description": "whsec_ + base64 of the key bytes; "
                                                    "not shown again"})


class EndpointValuesSchema(Schema):
    """What an administrator sets on an endpoint (PATCH: only the fields sent change)."""

    url = fields.String(validate=validate.Length(min=1, max=URL_MAX), metadata={
        "description": "http(s); its host must resolve to public addresses only (or a network "
                       "allowed by SOPORTE_WEBHOOKS_ALLOWED_NETWORKS)"})
    description = fields.String(validate=validate.Length(max=service.DESCRIPTION_MAX))
    event_types = fields.List(_EVENT_TYPE, validate=validate.Length(max=len(EVENT_TYPES)),
                              metadata={"description": "empty or absent: every type"})
    active = fields.Boolean()


class EndpointCreateSchema(EndpointValuesSchema):
    """A new endpoint."""

    url = fields.String(required=True, validate=validate.Length(min=1, max=URL_MAX))


class RotateSchema(Schema):
    """A rotation: how long the current secret keeps signing beside the new one."""

    keep_previous_hours = fields.Integer(
        strict=True, validate=validate.Range(min=0, max=service.OVERLAP_MAX_HOURS),
        metadata={"description": "default SOPORTE_WEBHOOKS_SECRET_OVERLAP_HOURS (24); 0: the "
                                 "old secret stops at once"})


class AttemptSchema(Schema):
    """One POST of a delivery."""

    attempted_at = fields.AwareDateTime()
    status_code = fields.Integer(allow_none=True, metadata={"description": "null: no answer"})
    duration_ms = fields.Integer()
    response_excerpt = fields.String(allow_none=True, metadata={
        "description": "the start of the answer's body"})
    error = fields.String(allow_none=True)


class EventSchema(Schema):
    """The event a delivery carries: its webhook-id, type and the body sent."""

    id = fields.String(attribute="event_id", metadata={"description": "the webhook-id"})
    type = fields.String()
    payload = fields.Function(lambda event: json.loads(event.payload))
    created_at = fields.AwareDateTime()


class DeliverySchema(Schema):
    """One event on its way to the endpoint, with its latest attempts."""

    id = fields.Integer()
    status = fields.Enum(WebhookDeliveryStatus)
    attempts = fields.Integer(metadata={"description": "of the current schedule"})
    next_attempt_at = fields.Function(
        lambda d: d.next_attempt_at.isoformat()
        if d.status is WebhookDeliveryStatus.PENDING else None,
        metadata={"description": "when it is tried next (waiting deliveries only)"})
    last_status_code = fields.Integer(allow_none=True)
    last_error = fields.String(allow_none=True)
    delivered_at = fields.AwareDateTime(allow_none=True)
    created_at = fields.AwareDateTime()
    event = fields.Nested(EventSchema)
    latest_attempts = fields.Function(
        lambda d: AttemptSchema(many=True).dump(d.attempt_log[:ATTEMPTS_SHOWN]),
        metadata={"description": f"newest first, at most {ATTEMPTS_SHOWN}"})


class DeliveryQuery(Schema):
    """A page of the delivery log."""

    limit = fields.Integer(load_default=50, validate=validate.Range(
        min=1, max=service.DELIVERIES_PAGE_MAX))
    before = query_id(metadata={"description": "next_before of the previous page"})


class DeliveryPageSchema(Schema):
    """Deliveries, newest first."""

    items = fields.List(fields.Nested(DeliverySchema))
    next_before = fields.Integer(allow_none=True, metadata={
        "description": "send as `before` for older ones; null on the last page"})


@bp.route("")
class Endpoints(MethodView):
    """Every endpoint, and new ones."""

    @bp.response(200, EndpointSchema(many=True))
    @bp.alt_response(401, schema=ErrorSchema)
    @bp.alt_response(403, schema=ErrorSchema)
    def get(self):
        """Every endpoint, oldest first."""
        return service.list_endpoints(acting_user())

    @bp.arguments(EndpointCreateSchema)
    @bp.response(201, EndpointWithSecretSchema)
    @bp.alt_response(401, schema=ErrorSchema)
    @bp.alt_response(403, schema=ErrorSchema)
    @bp.alt_response(422, schema=ErrorSchema)
    def post(self, data: dict):
        """Register an endpoint; the answer holds its secret, shown this once."""
        new = service.create_endpoint(acting_user(), service.EndpointInput(**data))
        db.session.commit()
        return _with_secret(new), {"Location": url_for(".EndpointById",
                                                       endpoint_id=new.endpoint.id),
                                   **NO_STORE}


@bp.route("/<id:endpoint_id>")
class EndpointById(MethodView):
    """One endpoint."""

    @bp.response(200, EndpointSchema)
    @bp.alt_response(401, schema=ErrorSchema)
    @bp.alt_response(403, schema=ErrorSchema)
    @bp.alt_response(404, schema=ErrorSchema)
    def get(self, endpoint_id: int):
        """The endpoint (without its secret)."""
        return service.get_endpoint(acting_user(), endpoint_id)

    @bp.arguments(EndpointValuesSchema)
    @bp.response(200, EndpointSchema)
    @bp.alt_response(401, schema=ErrorSchema)
    @bp.alt_response(403, schema=ErrorSchema)
    @bp.alt_response(404, schema=ErrorSchema)
    @bp.alt_response(422, schema=ErrorSchema)
    def patch(self, data: dict, endpoint_id: int):
        """Change the fields sent; active false cancels its waiting deliveries."""
        user = acting_user()
        endpoint = service.update_endpoint(user, service.get_endpoint(user, endpoint_id),
                                           service.EndpointInput(**data))
        db.session.commit()
        return endpoint

    @bp.response(204)
    @bp.alt_response(401, schema=ErrorSchema)
    @bp.alt_response(403, schema=ErrorSchema)
    @bp.alt_response(404, schema=ErrorSchema)
    def delete(self, endpoint_id: int):
        """Remove the endpoint with its delivery log."""
        user = acting_user()
        service.delete_endpoint(user, service.get_endpoint(user, endpoint_id))
        db.session.commit()


@bp.route("/<id:endpoint_id>/rotate-secret", methods=["POST"])
@bp.arguments(RotateSchema, required=False)
@bp.response(200, EndpointWithSecretSchema)
@bp.alt_response(401, schema=ErrorSchema)
@bp.alt_response(403, schema=ErrorSchema)
@bp.alt_response(404, schema=ErrorSchema)
@bp.alt_response(422, schema=ErrorSchema)
def rotate_secret(data: dict, endpoint_id: int):
    """A new secret, shown this once; the current one keeps signing beside it for
    keep_previous_hours."""
    user = acting_user()
    new = service.rotate_secret(user, service.get_endpoint(user, endpoint_id),
                                (data or {}).get("keep_previous_hours"))
    db.session.commit()
    return _with_secret(new), NO_STORE


@bp.route("/<id:endpoint_id>/deliveries", methods=["GET"])
@bp.arguments(DeliveryQuery, location="query", as_kwargs=True)
@bp.response(200, DeliveryPageSchema)
@bp.alt_response(401, schema=ErrorSchema)
@bp.alt_response(403, schema=ErrorSchema)
@bp.alt_response(404, schema=ErrorSchema)
@bp.alt_response(422, schema=ErrorSchema)
def deliveries(endpoint_id: int, limit: int, before: int | None = None):
    """The endpoint's deliveries, newest first, each with its event and latest attempts."""
    user = acting_user()
    rows = service.list_deliveries(user, service.get_endpoint(user, endpoint_id), limit, before)
    return {"items": rows, "next_before": rows[-1].id if len(rows) == limit else None}


@bp.route("/<id:endpoint_id>/deliveries/<id:delivery_id>/resend", methods=["POST"])
@bp.response(202, DeliverySchema)
@bp.alt_response(401, schema=ErrorSchema)
@bp.alt_response(403, schema=ErrorSchema)
@bp.alt_response(404, schema=ErrorSchema)
@bp.alt_response(409, schema=ErrorSchema)
def resend(endpoint_id: int, delivery_id: int):
    """Send the delivery again (the same event: same webhook-id and body), with a new schedule
    of retries; the worker takes it at once."""
    user = acting_user()
    endpoint = service.get_endpoint(user, endpoint_id)
    delivery = service.resend_delivery(user, service.get_delivery(user, endpoint, delivery_id))
    db.session.commit()
    return delivery


NO_STORE = {"Cache-Control": "no-store"}  # an answer holding a secret: kept in no cache


def _with_secret(new: service.NewSecret) -> dict:
    """The endpoint's values and its new secret, for EndpointWithSecretSchema."""
    values = {field.attribute or name: getattr(new.endpoint, field.attribute or name)
              for name, field in EndpointSchema().fields.items()}
    return {**values, "secret": new.secret}

