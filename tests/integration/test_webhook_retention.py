"""Growth (issue 15): a webhook event whose deliveries have all ended goes, with its deliveries
and their attempts, SOPORTE_WEBHOOKS_KEEP_DAYS after it was made; one still waiting stays."""
from __future__ import annotations

import datetime as dt
import time

from sqlalchemy import func, select

from app.extensions import db
from app.models import WebhookAttempt, WebhookDelivery, WebhookEvent
from app.models.enums import WebhookDeliveryStatus as D
from app.webhooks import worker
from app.services.webhooks import retention
from tests import factories
from tests.integration.test_webhooks import T0, at, register, world  # noqa: F401 (fixtures)
from tests.integration.test_webhooks import receiver  # noqa: F401


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_finished_events_go_after_the_kept_days_and_waiting_ones_stay(
        app, world, receiver, runner):
    app.config["SOPORTE_WEBHOOKS_KEEP_DAYS"] = 30
    register(world, receiver.url)
    register(world, receiver.url)  # two endpoints: two deliveries per event
    factories.new_ticket(world)  # delivered to both
    assert worker.send_once().delivered == 2
    factories.new_ticket(world)
    receiver.answers.put(500)  # the second event fails once at one endpoint, then stays waiting
    assert worker.send_once().retried == 1
    assert count(WebhookEvent) == 2 and count(WebhookDelivery) == 4
    assert count(WebhookAttempt) == 4
    waiting = db.session.scalar(select(WebhookDelivery).where(WebhookDelivery.status == D.PENDING))
    assert waiting is not None

    at(app, T0 + dt.timedelta(days=29, hours=23))
    assert retention.prune_all(db.session.commit) == 0  # not old enough
    at(app, T0 + dt.timedelta(days=31))
    assert retention.prune_all(db.session.commit) == 1  # the first; the second still waits on one endpoint
    db.session.expire_all()
    [kept] = db.session.scalars(select(WebhookEvent))
    assert kept.id == waiting.event_id
    assert count(WebhookDelivery) == 2 and count(WebhookAttempt) == 2

    waiting = db.session.get(WebhookDelivery, waiting.id)
    waiting.status = D.FAILED  # its retries ran out
    db.session.commit()
    result = runner.invoke(args=["webhooks", "prune"])
    assert result.exit_code == 0 and "removed 1" in result.output, result.output
    assert count(WebhookEvent) == count(WebhookDelivery) == count(WebhookAttempt) == 0


def test_zero_keeps_every_event_and_chunks_are_separate_transactions(app, world, receiver):
    register(world, receiver.url)
    for _ in range(3):
        factories.new_ticket(world)
    worker.send_once()
    at(app, T0 + dt.timedelta(days=400))
    app.config["SOPORTE_WEBHOOKS_KEEP_DAYS"] = 0
    assert retention.prune_all(db.session.commit) == 0 and count(WebhookEvent) == 3

    app.config["SOPORTE_WEBHOOKS_KEEP_DAYS"] = 90
    retention.PRUNE_CHUNK, chunk = 2, retention.PRUNE_CHUNK
    try:
        assert retention.prune_finished_events() == 2
        db.session.rollback()  # the caller had not committed: nothing was removed
        assert count(WebhookEvent) == 3
        assert retention.prune_all(db.session.commit, should_stop=iter([False, True]).__next__) == 2
        assert count(WebhookEvent) == 1
        assert retention.prune_all(db.session.commit) == 1 and count(WebhookEvent) == 0
    finally:
        retention.PRUNE_CHUNK = chunk


def test_the_webhook_sender_prunes_as_it_runs(app, world, receiver):
    register(world, receiver.url)
    factories.new_ticket(world)
    worker.send_once()
    app.config["SOPORTE_WEBHOOKS_KEEP_DAYS"] = 7
    at(app, T0 + dt.timedelta(days=8))
    deadline = time.monotonic() + 60

    def should_stop() -> bool:
        return time.monotonic() > deadline or count(WebhookEvent) == 0

    worker.send_forever(interval=0.05, should_stop=should_stop)
    assert count(WebhookEvent) == count(WebhookDelivery) == count(WebhookAttempt) == 0
