"""The outbox worker: claim waiting mail, send it, record the result; retries with growing delays.

`flask mail send` stops on SIGTERM or Ctrl-C after the row in hand (app.stop_signals).

A row is claimed with a compare-and-set UPDATE (status and lease time must be
what this worker read), so two workers never send the same row. A worker
killed while sending leaves its row claimed until the lease ends; it is then
sent again with the same Message-ID.
"""
from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import select, update

from app.extensions import db
from app.logging_setup import log_context
from app.mail.build import build_message
from app.mail.transports import DeliveryError, open_transport
from app.models.columns import utcnow
from app.models.enums import OutboxStatus
from app.models.mail import OutboxMessage
from app.services.outbox import prune_sent_bodies

log = logging.getLogger(__name__)

LEASE = dt.timedelta(minutes=5)
MAX_ATTEMPTS = 8
BATCH = 50
PRUNE_EVERY = 3600  # seconds between two prunings of old sent bodies


def retry_delay(attempts: int) -> dt.timedelta:
    """1 min, 2, 4, … up to 6 hours: the wait after the n-th failed attempt."""
    return min(dt.timedelta(minutes=2 ** (attempts - 1)), dt.timedelta(hours=6))


@dataclass
class SendReport:
    """What one pass over the outbox did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def due_ids(now: dt.datetime, limit: int = BATCH) -> list[int]:
    """Rows waiting (or whose sender's lease ran out), oldest first."""
    return list(db.session.scalars(
        select(OutboxMessage.id)
        .where(OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING]),
               OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.id).limit(limit)))


def claim(message_id: int, now: dt.datetime) -> OutboxMessage | None:
    """Take one row for this worker, or None when another worker took it first."""
    row = db.session.get(OutboxMessage, message_id, populate_existing=True)
    if row is None or row.status not in (OutboxStatus.PENDING, OutboxStatus.SENDING) \
            or row.next_attempt_at > now:
        db.session.rollback()
        return None
    taken = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == row.id, OutboxMessage.status == row.status,
               OutboxMessage.next_attempt_at == row.next_attempt_at,
               OutboxMessage.attempts == row.attempts)
        .values(status=OutboxStatus.SENDING, next_attempt_at=now + LEASE,
                attempts=OutboxMessage.attempts + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    if taken != 1:
        return None
    return db.session.get(OutboxMessage, message_id, populate_existing=True)


def send_once(transport=None, should_stop: Callable[[], bool] = lambda: False) -> SendReport:
    """Send everything due now, each row in its own transactions; once should_stop() says so,
    no further row is claimed (the one being sent is finished and recorded)."""
    transport = transport or open_transport(current_app.config["SOPORTE_SMTP_URL"])
    sender = current_app.config["SOPORTE_SUPPORT_ADDRESS"]
    report = SendReport()
    now = utcnow()
    ids = due_ids(now)
    db.session.commit()
    for message_id in ids:
        if should_stop():
            break
        with log_context(outbox_id=message_id):
            _send_row(message_id, now, transport, sender, report)
    return report


def _send_row(message_id: int, now: dt.datetime, transport, sender: str,
              report: SendReport) -> None:
    """Claim one row, send it and record the result (nothing when another worker has it)."""
    row = claim(message_id, now)
    if row is None:
        return
    try:
        transport.send(build_message(row), sender, [row.to_address])
    except DeliveryError as error:
        _failed(row, error, report)
    else:
        row.status, row.sent_at, row.last_error = OutboxStatus.SENT, utcnow(), None
        report.sent += 1
        log.info("sent outbox=%s kind=%s to=%s message-id=%s", row.id, row.kind,
                 row.to_address, row.message_id)
    db.session.commit()


def _failed(row: OutboxMessage, error: DeliveryError, report: SendReport) -> None:
    """A temporary failure waits and retries; a permanent one (or too many) is marked failed."""
    row.last_error = str(error)[:2000]
    report.errors.append(f"{row.id}: {error}")
    if error.temporary and row.attempts < MAX_ATTEMPTS:
        row.status = OutboxStatus.PENDING
        row.next_attempt_at = utcnow() + retry_delay(row.attempts)
        report.retried += 1
        log.warning("retry later outbox=%s attempt=%s: %s", row.id, row.attempts, error)
    else:
        row.status = OutboxStatus.FAILED
        report.failed += 1
        log.error("failed outbox=%s to=%s: %s", row.id, row.to_address, error)


def send_forever(interval: float = 5, should_stop: Callable[[], bool] = lambda: False) -> None:
    """Send what is due, then wait `interval` seconds, until should_stop() says so (the CLI sets
    it on SIGTERM or Ctrl-C: the row in hand is sent and recorded first). Every PRUNE_EVERY
    seconds it also empties the bodies of mail sent long ago (prune_sent_bodies)."""
    next_prune = time.monotonic()
    while not should_stop():
        try:
            send_once(should_stop=should_stop)
            if time.monotonic() >= next_prune and not should_stop():
                emptied = 0
                while not should_stop() and (chunk := prune_sent_bodies()):
                    db.session.commit()  # one chunk per transaction
                    emptied += chunk
                if emptied:
                    log.info("emptied the bodies of %s messages sent long ago", emptied)
                next_prune = time.monotonic() + PRUNE_EVERY
        except Exception:  # a broken connection or database must not end the worker
            db.session.rollback()
            log.exception("outbox pass failed; trying again in %s s", interval)
        finally:
            db.session.remove()
        deadline = time.monotonic() + interval
        while not should_stop() and time.monotonic() < deadline:
            time.sleep(min(0.2, interval))
