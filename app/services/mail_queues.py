"""The mail that needs a person, read the same by every adapter (dashboard, the coming API):
messages waiting for triage, messages in quarantine, and outgoing mail that failed, each with
the flags of what the reader may do to it (each flag is its action's check that did not raise).

Every read requires Permission.VIEW (NotPermitted otherwise).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select

from app import mail_preview
from app.extensions import db
from app.models.client import Client
from app.models.enums import InboundOutcome, OutboxStatus
from app.models.mail import InboundMessage, OutboxMessage
from app.services import clients, mail_triage
from app.services.errors import passes
from app.services.permissions import Actor, Permission, require

LIMIT = 200  # rows per page, newest first


@dataclass(frozen=True)
class TriagePage:
    """Messages of unknown senders, each with what it says (by id: app.mail_preview); the active
    clients to pick from; whether the reader may place each message (by id) and name a new
    client."""

    records: list[InboundMessage]
    clients: list[Client]
    can_resolve: dict[int, bool]
    can_create_client: bool
    previews: dict[int, mail_preview.MessagePreview]


@dataclass(frozen=True)
class QuarantinePage:
    """Messages that could not be processed, and whether the reader may retry each (by id)."""

    records: list[InboundMessage]
    can_retry: dict[int, bool]


def triage_page(actor: Actor) -> TriagePage:
    """The triage page for this reader. Raises NotPermitted."""
    require(actor, Permission.VIEW)
    records = _inbound(InboundOutcome.TRIAGE)
    active = db.session.scalars(select(Client).where(Client.active.is_(True))
                                .order_by(Client.name)).all()
    return TriagePage(list(records), list(active),
                      {r.id: mail_triage.can_triage(actor, r) for r in records},
                      passes(clients.check_create_client, actor),
                      {r.id: message_preview(r) for r in records})


def message_preview(record: InboundMessage) -> mail_preview.MessagePreview:
    """What a stored message says, read from the raw source the poller kept (never raises)."""
    try:
        path = mail_preview.raw_path(record.raw_sha256)
    except ValueError as error:  # not a digest: nothing to read
        return mail_preview.MessagePreview(error=str(error))
    return mail_preview.preview(path)


def quarantine_page(actor: Actor) -> QuarantinePage:
    """The quarantine page for this reader. Raises NotPermitted."""
    require(actor, Permission.VIEW)
    records = _inbound(InboundOutcome.QUARANTINED)
    return QuarantinePage(list(records), {r.id: mail_triage.can_retry(actor, r) for r in records})


@dataclass(frozen=True)
class UndeliveredPage:
    """Outgoing mail that failed for good or is being retried (newest first), and how much mail
    waits for its first attempt (a great deal, or for long, means the sender is not running)."""

    rows: list[OutboxMessage]
    waiting: int
    oldest_waiting: dt.datetime | None


def undelivered_mail(actor: Actor) -> UndeliveredPage:
    """What the undelivered-mail page shows. Raises NotPermitted."""
    require(actor, Permission.VIEW)
    rows = list(db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.status.in_([OutboxStatus.FAILED, OutboxStatus.PENDING]),
        OutboxMessage.attempts > 0).order_by(OutboxMessage.id.desc()).limit(LIMIT)))
    waiting, oldest = db.session.execute(
        select(func.count(), func.min(OutboxMessage.created_at)).where(
            OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.attempts == 0)).one()
    return UndeliveredPage(rows, waiting, oldest)


def _inbound(outcome: InboundOutcome) -> list[InboundMessage]:
    return list(db.session.scalars(select(InboundMessage).where(InboundMessage.outcome == outcome)
                                   .order_by(InboundMessage.received_at.desc()).limit(LIMIT)))
