"""The webhook worker (`flask webhooks send`): claim a due delivery, sign its event's exact
body, POST it, record the attempt; retry with growing delays over more than a day.

Claiming: one delivery at a time, SELECT … FOR UPDATE SKIP LOCKED on PostgreSQL (several
workers pass each other by) and a compare-and-set UPDATE on both databases; the claim is a
lease (status SENDING until LEASE from now), so a worker killed mid-send leaves its delivery
to be sent again when the lease ends: with the same webhook-id, which receivers use to drop
duplicates. No transaction is held open while the endpoint answers. An attempt has an overall
deadline (SOPORTE_WEBHOOKS_TIMEOUT), well inside the lease; its result is recorded only while
the delivery is still SENDING under the same claim (a compare-and-set on the claim's attempts
count and lease end), so a worker that stalled past its lease cannot overwrite what the worker
that reclaimed the delivery recorded: its late result is logged and dropped.

Answers: 2xx delivered; 410 Gone fails the delivery and disables the endpoint (its waiting
deliveries are cancelled); anything else (another status, a redirect, which is not followed,
a timeout, a refused address) waits RETRY_DELAYS[n] (plus up to 20 % jitter) and tries again,
failing after the last.
"""
from __future__ import annotations

import datetime as dt
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import select, update

from app.encryption import SecretUnreadable
from app.extensions import db
from app.logging_setup import log_context
from app.models.enums import WebhookDeliveryStatus as D
from app.models.webhook import WebhookAttempt, WebhookDelivery
from app.services import clock
from app.services.webhooks import signing
from app.services.webhooks.addresses import AddressRefused, parse_url, vetted_addresses
from app.services.webhooks.endpoints import GONE, disable
from app.services.webhooks.retention import prune_all
from app.services.webhooks.transport import Answer, timed_post

log = logging.getLogger(__name__)

# The wait after the 1st, 2nd … failed attempt: 8 attempts over 27 h 35 min (Standard Webhooks'
# suggested schedule), so an endpoint down for a day still gets every event.
RETRY_DELAYS = (dt.timedelta(seconds=5), dt.timedelta(minutes=5), dt.timedelta(minutes=30),
                dt.timedelta(hours=2), dt.timedelta(hours=5), dt.timedelta(hours=10),
                dt.timedelta(hours=10))
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
JITTER = 0.2
BATCH = 50
PRUNE_EVERY = 3600  # seconds between two prunings of old finished events (retention.py)


@dataclass
class SendReport:
    """What one pass did."""

    delivered: int = 0
    retried: int = 0
    failed: int = 0
    cancelled: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Claim:
    """Which claim of a delivery an attempt belongs to: the attempts count and lease end the
    claim wrote (a later claim changes both)."""

    delivery_id: int
    attempts: int
    lease_until: dt.datetime

    @classmethod
    def of(cls, delivery: WebhookDelivery) -> "Claim":
        """The claim a just-claimed delivery is under."""
        return cls(delivery.id, delivery.attempts, delivery.next_attempt_at)


@dataclass(frozen=True)
class Job:
    """What one attempt needs, read before the POST so no transaction stays open during it."""

    claim: Claim
    url: str
    message_id: str
    body: bytes
    secrets: list[str]


def retry_delay(attempts: int) -> dt.timedelta:
    """The wait after the n-th failed attempt, with up to JITTER more (so retries of many
    deliveries to one endpoint that came back do not all arrive at once)."""
    base = RETRY_DELAYS[min(attempts, len(RETRY_DELAYS)) - 1]
    return base * (1 + random.uniform(0, JITTER))


def attempt_deadline() -> float:
    """The longest one attempt may take, in seconds: SOPORTE_WEBHOOKS_TIMEOUT for the whole
    exchange with the endpoint."""
    return float(current_app.config.get("SOPORTE_WEBHOOKS_TIMEOUT", 10))


def lease() -> dt.timedelta:
    """How long a claim lasts: six times the attempt's deadline plus a minute, so only a worker
    that stalled (not a slow endpoint) outlives its lease."""
    return dt.timedelta(seconds=attempt_deadline() * 6 + 60)


def claim_next(now: dt.datetime) -> WebhookDelivery | None:
    """Take the oldest due delivery (waiting, or whose sender's lease ran out) for this worker
    and commit the claim; None when nothing is due."""
    while True:
        row = db.session.execute(
            select(WebhookDelivery.id, WebhookDelivery.status, WebhookDelivery.attempts,
                   WebhookDelivery.next_attempt_at)
            .where(WebhookDelivery.status.in_([D.PENDING, D.SENDING]),
                   WebhookDelivery.next_attempt_at <= now)
            .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id).limit(1)
            .with_for_update(skip_locked=True)).first()
        if row is None:
            db.session.commit()
            return None
        taken = db.session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id == row.id, WebhookDelivery.status == row.status,
                   WebhookDelivery.attempts == row.attempts,
                   WebhookDelivery.next_attempt_at == row.next_attempt_at)
            .values(status=D.SENDING, attempts=WebhookDelivery.attempts + 1,
                    next_attempt_at=now + lease(), last_attempt_at=now)
            .execution_options(synchronize_session=False)).rowcount
        db.session.commit()
        claimed = db.session.get(WebhookDelivery, row.id, populate_existing=True) \
            if taken == 1 else None
        if claimed is not None:  # (None: taken by another worker, or its endpoint deleted)
            return claimed


def send_once(limit: int = BATCH, should_stop: Callable[[], bool] = lambda: False) -> SendReport:
    """Send what is due now (at most `limit` deliveries), each in its own transactions."""
    report = SendReport()
    for _ in range(limit):
        if should_stop():
            break
        delivery = claim_next(clock.now())
        if delivery is None:
            break
        with log_context(delivery_id=delivery.id):
            job = prepare(delivery, report)
            if job is not None:
                record(job.claim, *_attempt(job), report)
    return report


def send_forever(interval: float | None = None,
                 should_stop: Callable[[], bool] = lambda: False) -> None:
    """Send what is due, then wait `interval` seconds (SOPORTE_WEBHOOKS_POLL_INTERVAL), until
    should_stop() says so (the CLI sets it on SIGTERM or Ctrl-C: the delivery in hand is
    finished and recorded first). Every PRUNE_EVERY seconds it also removes the finished events
    older than SOPORTE_WEBHOOKS_KEEP_DAYS."""
    interval = interval or current_app.config.get("SOPORTE_WEBHOOKS_POLL_INTERVAL", 5)
    next_prune = time.monotonic()
    while not should_stop():
        try:
            report = send_once(should_stop=should_stop)
            if time.monotonic() >= next_prune and not should_stop():
                if removed := prune_all(db.session.commit, should_stop):
                    log.info("removed %s finished webhook events made long ago", removed)
                next_prune = time.monotonic() + PRUNE_EVERY
        except Exception:  # a broken connection or database must not end the worker
            db.session.rollback()
            log.exception("webhook pass failed; trying again in %s s", interval)
            report = None
        finally:
            db.session.remove()
        if report is not None and (report.delivered + report.retried + report.failed
                                   + report.cancelled) >= BATCH:
            continue  # more may be due: no pause
        deadline = time.monotonic() + interval
        while not should_stop() and time.monotonic() < deadline:
            time.sleep(min(0.2, interval))


def prepare(delivery: WebhookDelivery, report: SendReport) -> Job | None:
    """The attempt's inputs, the transaction ended; None when its endpoint was disabled meanwhile
    (the delivery is cancelled) or its secret cannot be read (recorded as a failed attempt)."""
    endpoint, claim = delivery.endpoint, Claim.of(delivery)
    if not endpoint.active:
        delivery.status = D.CANCELLED
        db.session.commit()
        report.cancelled += 1
        return None
    try:
        secrets = endpoint.secrets(clock.now())
    except SecretUnreadable as error:
        db.session.rollback()
        record(claim, None, f"secret unreadable: {error}"[:300], 0, report)
        return None
    job = Job(claim, endpoint.url, delivery.event.event_id,
               delivery.event.payload.encode("utf-8"), secrets)
    db.session.commit()
    return job


def _attempt(job: Job) -> tuple[Answer | None, str | None, int]:
    """Vet the address again (DNS may have changed), sign and POST to the vetted address:
    (answer, error, ms)."""
    try:
        target = parse_url(job.url)
        address = vetted_addresses(target)[0]
    except AddressRefused as refused:
        return None, f"refused: {refused.reason}", 0
    timestamp = int(clock.now().timestamp())
    headers = signing.headers(job.secrets, job.message_id, timestamp, job.body)
    return timed_post(target, address, headers, job.body, attempt_deadline())


def record(claim: Claim, answer: Answer | None, error: str | None, duration_ms: int,
           report: SendReport) -> None:
    """Log the attempt and decide what comes next (delivered, retry later, failed), in one
    transaction, if the delivery is still SENDING under this claim; otherwise (its lease ran
    out and another worker reclaimed it, it was cancelled, or its endpoint was deleted) the
    result is logged and dropped."""
    now = clock.now()
    still_ours = db.session.execute(  # the row stays locked until the commit below
        update(WebhookDelivery)
        .where(WebhookDelivery.id == claim.delivery_id, WebhookDelivery.status == D.SENDING,
               WebhookDelivery.attempts == claim.attempts,
               WebhookDelivery.next_attempt_at == claim.lease_until)
        .values(last_attempt_at=now)
        .execution_options(synchronize_session=False)).rowcount == 1
    if not still_ours:
        db.session.rollback()
        log.warning("webhook delivery=%s attempt=%s: result dropped (%s), the delivery is no "
                    "longer under this claim", claim.delivery_id, claim.attempts,
                    error or (answer and f"HTTP {answer.status}"))
        return
    delivery = db.session.get(WebhookDelivery, claim.delivery_id, populate_existing=True)
    status = answer.status if answer else None
    db.session.add(WebhookAttempt(delivery=delivery, attempted_at=now, status_code=status,
                                  duration_ms=duration_ms, error=error,
                                  response_excerpt=answer.excerpt if answer else None))
    delivery.last_attempt_at, delivery.last_status_code = now, status
    delivery.last_error = error or (None if status and 200 <= status < 300
                                    else f"HTTP {status}")
    endpoint = delivery.endpoint
    if status is not None and 200 <= status < 300:
        delivery.status, delivery.delivered_at = D.DELIVERED, now
        report.delivered += 1
    elif status == 410:
        delivery.status = D.FAILED
        disable(endpoint, GONE)
        report.failed += 1
        log.warning("webhook endpoint %s answered 410 Gone: disabled", endpoint.id)
    elif not endpoint.active:
        delivery.status = D.CANCELLED
        report.cancelled += 1
    elif delivery.attempts < MAX_ATTEMPTS:
        delivery.status, delivery.next_attempt_at = D.PENDING, now + retry_delay(delivery.attempts)
        report.retried += 1
    else:
        delivery.status = D.FAILED
        report.failed += 1
    if delivery.status is not D.DELIVERED:
        report.errors.append(f"delivery {delivery.id} to endpoint {endpoint.id}: "
                             f"{delivery.last_error}")
        log.info("webhook delivery=%s endpoint=%s event=%s attempt=%s: %s → %s", delivery.id,
                 endpoint.id, delivery.event.event_id, delivery.attempts, delivery.last_error,
                 delivery.status.value)
    db.session.commit()
