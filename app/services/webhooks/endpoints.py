"""Managing webhook endpoints (administrators, Permission.MANAGE_WEBHOOKS): register, change,
disable, remove; rotate the secret; read the delivery log; send a delivery again.

A secret is returned only by create_endpoint and rotate_secret (NewSecret), to be shown once;
it is stored encrypted and never listed. Disabling an endpoint (by hand, or by its 410 answer)
cancels its waiting deliveries.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models.enums import WebhookDeliveryStatus as D
from app.models.webhook import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent
from app.services import clock
from app.services.errors import InvalidTransition, NotFound, ValidationFailed
from app.services.permissions import Actor, Permission, actor_user_id, require
from app.services.webhooks.addresses import check_url
from app.services.webhooks.events import EVENT_TYPES
from app.services.webhooks.signing import new_secret

DESCRIPTION_MAX = 200
OVERLAP_MAX_HOURS = 168
DELIVERIES_PAGE_MAX = 100
GONE = "gone"  # disabled_reason: the endpoint answered 410 Gone
BY_ADMINISTRATOR = "administrator"
DISABLED_REASONS = {GONE: _l("The endpoint answered 410 Gone"),
                    BY_ADMINISTRATOR: _l("Disabled by an administrator")}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass
class EndpointInput:
    """What an administrator sets on an endpoint; None leaves a value as it is (an update)."""

    url: str | None = None
    description: str | None = None
    event_types: list[str] | None = None  # empty list: every type
    active: bool | None = None


@dataclass(frozen=True)
class NewSecret:
    """An endpoint and its new secret, to be shown once; previous_until: how long the old
    secret keeps signing (None: it stopped at once)."""

    endpoint: WebhookEndpoint
    secret: str
    previous_until: dt.datetime | None = None


def check_manage(actor: Actor) -> None:
    """Raise NotPermitted unless the actor may manage webhooks (administrators)."""
    require(actor, Permission.MANAGE_WEBHOOKS)


def list_endpoints(actor: Actor) -> list[WebhookEndpoint]:
    """Every endpoint, oldest first. Raises NotPermitted."""
    check_manage(actor)
    return list(db.session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.id)))


def get_endpoint(actor: Actor, endpoint_id: int) -> WebhookEndpoint:
    """One endpoint. Raises NotPermitted, NotFound."""
    check_manage(actor)
    endpoint = db.session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None:
        raise NotFound(_l("There is no webhook endpoint %(id)s.", id=endpoint_id), field="id")
    return endpoint


def create_endpoint(actor: Actor, data: EndpointInput) -> NewSecret:
    """Register an endpoint with a fresh secret (returned once). Raises NotPermitted,
    ValidationFailed (url: not http(s), unresolvable, not a public address; description;
    event_types)."""
    check_manage(actor)
    endpoint = WebhookEndpoint(
        url=check_url(data.url or ""), description=_description(data.description),
        event_types=_event_types(data.event_types), created_by_id=actor_user_id(actor),
        active=True if data.active is None else bool(data.active))
    if not endpoint.active:
        endpoint.disabled_reason, endpoint.disabled_at = BY_ADMINISTRATOR, clock.now()
    secret = new_secret()
    endpoint.set_secret(secret)
    db.session.add(endpoint)
    db.session.flush()
    return NewSecret(endpoint, secret)


def update_endpoint(actor: Actor, endpoint: WebhookEndpoint,
                    data: EndpointInput) -> WebhookEndpoint:
    """Change what `data` gives; disabling cancels its waiting deliveries, enabling clears why
    it was disabled. Raises NotPermitted, ValidationFailed (as create_endpoint)."""
    check_manage(actor)
    if data.url is not None:
        endpoint.url = check_url(data.url)
    if data.description is not None:
        endpoint.description = _description(data.description)
    if data.event_types is not None:
        endpoint.event_types = _event_types(data.event_types)
    if data.active is not None and bool(data.active) != endpoint.active:
        if data.active:
            endpoint.active, endpoint.disabled_reason, endpoint.disabled_at = True, None, None
        else:
            disable(endpoint, BY_ADMINISTRATOR)
    db.session.flush()
    return endpoint


def delete_endpoint(actor: Actor, endpoint: WebhookEndpoint) -> None:
    """Remove the endpoint with its deliveries and their log, and the events no delivery is
    left for (an event is kept only to be delivered). Raises NotPermitted."""
    check_manage(actor)
    deliveries = select(WebhookDelivery.id).where(WebhookDelivery.endpoint_id == endpoint.id)
    events = list(db.session.scalars(select(WebhookDelivery.event_id).distinct()
                                     .where(WebhookDelivery.endpoint_id == endpoint.id)))
    db.session.execute(delete(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(deliveries))
                       .execution_options(synchronize_session=False))
    db.session.execute(delete(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)
                       .execution_options(synchronize_session=False))
    for chunk in (events[i:i + 500] for i in range(0, len(events), 500)):
        still_delivered = select(WebhookDelivery.id).where(
            WebhookDelivery.event_id == WebhookEvent.id)
        db.session.execute(delete(WebhookEvent).where(WebhookEvent.id.in_(chunk),
                                                      ~still_delivered.exists())
                           .execution_options(synchronize_session=False))
    db.session.delete(endpoint)
    db.session.flush()


def rotate_secret(actor: Actor, endpoint: WebhookEndpoint,
                  keep_previous_hours: int | None = None) -> NewSecret:
    """A new secret (returned once); the current one keeps signing beside it for
    keep_previous_hours (default SOPORTE_WEBHOOKS_SECRET_OVERLAP_HOURS; 0: stops at once), so
    the receiver can switch without losing a message. A secret older than the current one is
    dropped. Raises NotPermitted, ValidationFailed (keep_previous_hours out of 0–168)."""
    check_manage(actor)
    if keep_previous_hours is None:
        keep_previous_hours = current_app.config.get("SOPORTE_WEBHOOKS_SECRET_OVERLAP_HOURS", 24)
    if not isinstance(keep_previous_hours, int) \
            or not 0 <= keep_previous_hours <= OVERLAP_MAX_HOURS:
        raise ValidationFailed(_l("Keep the previous secret for 0 to %(max)s hours.",
                                  max=OVERLAP_MAX_HOURS), field="keep_previous_hours")
    until = clock.now() + dt.timedelta(hours=keep_previous_hours) if keep_previous_hours else None
    endpoint.previous_secret_encrypted = endpoint.secret_encrypted if until else None
    endpoint.previous_secret_until = until
    secret = new_secret()
    endpoint.set_secret(secret)
    db.session.flush()
    return NewSecret(endpoint, secret, until)


def list_deliveries(actor: Actor, endpoint: WebhookEndpoint, limit: int = 50,
                    before_id: int | None = None) -> list[WebhookDelivery]:
    """The endpoint's deliveries, newest first (`before_id`: older than that one), each with
    its event and its attempts (newest first). Raises NotPermitted."""
    check_manage(actor)
    query = (select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)
             .options(selectinload(WebhookDelivery.event),
                      selectinload(WebhookDelivery.attempt_log))
             .order_by(WebhookDelivery.id.desc()).limit(max(1, min(limit, DELIVERIES_PAGE_MAX))))
    if before_id is not None:
        query = query.where(WebhookDelivery.id < before_id)
    return list(db.session.scalars(query))


def last_deliveries(actor: Actor, endpoints: list[WebhookEndpoint]
                    ) -> dict[int, WebhookDelivery | None]:
    """Each endpoint's newest delivery (None: none yet), by endpoint id, in one query.
    Raises NotPermitted."""
    check_manage(actor)
    newest = (select(func.max(WebhookDelivery.id))
              .where(WebhookDelivery.endpoint_id.in_([e.id for e in endpoints]))
              .group_by(WebhookDelivery.endpoint_id))
    found = {d.endpoint_id: d for d in db.session.scalars(
        select(WebhookDelivery).where(WebhookDelivery.id.in_(newest)))} if endpoints else {}
    return {endpoint.id: found.get(endpoint.id) for endpoint in endpoints}


def get_delivery(actor: Actor, endpoint: WebhookEndpoint, delivery_id: int) -> WebhookDelivery:
    """One delivery of the endpoint. Raises NotPermitted, NotFound."""
    check_manage(actor)
    delivery = db.session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.endpoint_id != endpoint.id:
        raise NotFound(_l("There is no delivery %(id)s of this endpoint.", id=delivery_id),
                       field="delivery_id")
    return delivery


def check_resend(actor: Actor, delivery: WebhookDelivery) -> None:
    """Raise NotPermitted or InvalidTransition (being sent now, or its endpoint disabled)
    unless the delivery may be sent again now."""
    check_manage(actor)
    if not delivery.endpoint.active:
        raise InvalidTransition(_l("This endpoint is disabled: enable it before sending a "
                                   "delivery again."), field="active")
    if delivery.status is D.SENDING:
        raise InvalidTransition(_l("This delivery is being sent right now: wait for its result "
                                   "before sending it again."), field="status")


def resend_delivery(actor: Actor, delivery: WebhookDelivery) -> WebhookDelivery:
    """"Send again": the delivery waits for the worker now, with a new schedule of retries and
    the same event (the same webhook-id and body). Raises NotPermitted, InvalidTransition."""
    check_resend(actor, delivery)
    delivery.status, delivery.attempts, delivery.next_attempt_at = D.PENDING, 0, clock.now()
    delivery.delivered_at = None
    db.session.flush()
    return delivery


def disable(endpoint: WebhookEndpoint, reason: str) -> None:
    """Stop the endpoint (reason GONE or BY_ADMINISTRATOR) and cancel its waiting deliveries
    (flushes; the caller commits)."""
    endpoint.active, endpoint.disabled_reason, endpoint.disabled_at = False, reason, clock.now()
    db.session.execute(update(WebhookDelivery)
                       .where(WebhookDelivery.endpoint_id == endpoint.id,
                              WebhookDelivery.status == D.PENDING)
                       .values(status=D.CANCELLED).execution_options(synchronize_session=False))


def _description(text: str | None) -> str:
    """The description, trimmed; ValidationFailed when too long or with control characters."""
    text = (text or "").strip()
    if len(text) > DESCRIPTION_MAX or _CONTROL.search(text):
        raise ValidationFailed(_l("The description can hold at most %(max)s characters, on one "
                                  "line.", max=DESCRIPTION_MAX), field="description")
    return text


def _event_types(types: list[str] | None) -> str:
    """The subscribed types as stored (space-separated, in the catalogue's order; empty: all);
    ValidationFailed naming an unknown type."""
    chosen = set()
    for name in types or []:
        if name not in EVENT_TYPES:
            raise ValidationFailed(_l("Unknown event type %(type)s. Choose among: %(types)s.",
                                      type=str(name)[:60], types=", ".join(EVENT_TYPES)),
                                   field="event_types")
        chosen.add(name)
    return " ".join(name for name in EVENT_TYPES if name in chosen)
