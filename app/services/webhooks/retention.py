"""How long webhook events stay: an event whose deliveries have all ended (delivered, failed or
cancelled) is removed with its deliveries and their attempts SOPORTE_WEBHOOKS_KEEP_DAYS after it
was made (0: kept for ever). An event still waiting or being sent to any endpoint stays, however
old. The webhook worker prunes every hour; `flask webhooks prune` does it at once."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from flask import current_app
from sqlalchemy import delete, select

from app.extensions import db
from app.models.enums import WebhookDeliveryStatus as D
from app.models.webhook import WebhookAttempt, WebhookDelivery, WebhookEvent
from app.services import clock

PRUNE_CHUNK = 500  # events removed per call (and per transaction: the caller commits)
UNFINISHED = (D.PENDING, D.SENDING)


def prune_finished_events(now: dt.datetime | None = None) -> int:
    """Remove up to PRUNE_CHUNK finished events made before the cutoff, with their deliveries
    and attempts; returns how many. The caller commits and calls again until none is left."""
    days = current_app.config.get("SOPORTE_WEBHOOKS_KEEP_DAYS", 0)
    if days <= 0:
        return 0
    cutoff = (now or clock.now()) - dt.timedelta(days=days)
    unfinished = select(WebhookDelivery.id).where(WebhookDelivery.event_id == WebhookEvent.id,
                                                  WebhookDelivery.status.in_(UNFINISHED))
    # Events are made in id order, so the oldest come first and the scan stops at the chunk.
    ids = list(db.session.scalars(select(WebhookEvent.id).where(
        WebhookEvent.created_at < cutoff, ~unfinished.exists())
        .order_by(WebhookEvent.id).limit(PRUNE_CHUNK)))
    if not ids:
        return 0
    # Each statement checks again that the delivery has ended: one sent again ("send again") since
    # the SELECT above stays with its attempts, and so does its event.
    ended = WebhookDelivery.status.not_in(UNFINISHED)
    deliveries = select(WebhookDelivery.id).where(WebhookDelivery.event_id.in_(ids), ended)
    options = {"synchronize_session": False}
    db.session.execute(delete(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(deliveries))
                       .execution_options(**options))
    db.session.execute(delete(WebhookDelivery).where(WebhookDelivery.event_id.in_(ids), ended)
                       .execution_options(**options))
    left = select(WebhookDelivery.id).where(WebhookDelivery.event_id == WebhookEvent.id)
    db.session.execute(delete(WebhookEvent).where(WebhookEvent.id.in_(ids), ~left.exists())
                       .execution_options(**options))
    return len(ids)


def prune_all(commit: Callable[[], None], should_stop: Callable[[], bool] = lambda: False,
              now: dt.datetime | None = None) -> int:
    """Prune chunk after chunk, each in its own transaction (`commit`, the adapter's transaction
    boundary, after each), until none is left or should_stop() says so; returns how many events
    were removed."""
    removed = 0
    while not should_stop() and (chunk := prune_finished_events(now)):
        commit()
        removed += chunk
    return removed
