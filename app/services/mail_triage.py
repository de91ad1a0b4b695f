"""Staff decisions on inbound mail the poller could not place: picking (or creating) the client
of an unknown sender (triage), retrying a quarantined message, and the one rule of which
messages can be processed again.

Each decision is one service call in the caller's one transaction: it never commits. The
processing itself belongs to the mail poller; it is passed in as `process` (a function that
processes a stored message again, inside this transaction, and raises when it cannot), so this
package never imports the poller.

When processing fails, the staff's decision is kept and the failure is recorded where failures
go: the client created and the contact added stay, the processing's partial work (a ticket, its
attachments, the acknowledgement) is undone, and the message moves to quarantine with its error
and one more attempt, to be retried once the cause is fixed; the result says so
(`Processing.error`). A message is never left looking processed when it was not.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import DBAPIError

from app.extensions import db
from app.models.client import Client
from app.models.enums import InboundOutcome
from app.models.mail import InboundMessage
from app.services import contacts
from app.services.clients import create_client
from app.services.errors import DomainError, NotFound, ValidationFailed, passes
from app.services.permissions import Actor, Permission, require

Process = Callable[[InboundMessage], object]
"""Processes a stored message again in the caller's transaction (no commit); raises on failure."""

PROCESSING_EXTENSION = "soporte.mail_processing"
"""Where a composition root plugs the processing into the app (app.extensions), for adapters."""
RETRYABLE = (InboundOutcome.QUARANTINED, InboundOutcome.TRIAGE)
ERROR_MAX = 10000


@dataclass(frozen=True)
class Processing:
    """What one decision did: the message (with its new outcome), the client created for it
    (or None), and the error when processing failed (then the message is in quarantine)."""

    record: InboundMessage
    new_client: Client | None = None
    error: str | None = None


def check_retryable(record: InboundMessage) -> None:
    """The rule for processing a message again: it is quarantined or waiting for triage, and its
    raw source was stored. Raises ValidationFailed saying why not."""
    if record.outcome not in RETRYABLE:
        raise ValidationFailed(_l("Only quarantined or triage messages can be retried."))
    if not record.raw_sha256:
        raise ValidationFailed(_l("This message was never downloaded: raise the size limit "
                                  "and poll again."))


def check_triage(actor: Actor, record: InboundMessage | None) -> InboundMessage:
    """Whether the actor may pick the client of this message now (staff who create tickets; a
    message waiting for triage that can be processed). Raises NotPermitted, NotFound,
    ValidationFailed."""
    require(actor, Permission.CREATE)
    if record is None or record.outcome is not InboundOutcome.TRIAGE:
        raise NotFound(_l("That message is not waiting for triage."))
    check_retryable(record)
    return record


def check_retry(actor: Actor, record: InboundMessage | None) -> InboundMessage:
    """Whether the actor may retry this quarantined message now (administrators; its source
    stored). Raises NotPermitted, NotFound, ValidationFailed."""
    require(actor, Permission.MANAGE_REFERENCE)
    if record is None or record.outcome is not InboundOutcome.QUARANTINED:
        raise NotFound(_l("That message is not in quarantine."))
    check_retryable(record)
    return record


def can_triage(actor: Actor, record: InboundMessage) -> bool:
    """The flag of the triage form: check_triage did not raise."""
    return passes(check_triage, actor, record)


def can_retry(actor: Actor, record: InboundMessage) -> bool:
    """The flag of the Retry button: check_retry did not raise."""
    return passes(check_retry, actor, record)


def resolve_triage(actor: Actor, record_id: int, process: Process | None,
                   client_id: int | None = None, new_client_name: str | None = None
                   ) -> Processing:
    """Staff pick the client of an unknown sender (or, administrators, name a new one): the
    sender becomes its contact (contacts.contact_for_triage: an inactive contact of that client
    is reactivated; another client's contact is refused) and the message is processed again
    (see the module doc for a failure). Raises NotPermitted, NotFound, ValidationFailed,
    DomainError (no processing)."""
    record = check_triage(actor, db.session.get(InboundMessage, record_id))
    _require_processing(process)
    new_client = create_client(actor, new_client_name) if new_client_name else None
    client = new_client or db.session.get(Client, int(client_id or 0))
    if client is None or not client.active:
        raise ValidationFailed(_l("Select an active client."), field="client_id")
    contacts.contact_for_triage(client, record.from_address)
    return Processing(record, new_client, process_again(record, process))


def retry_quarantined(actor: Actor, record_id: int, process: Process | None) -> Processing:
    """An administrator processes a quarantined message again from its stored source (a
    failure leaves it quarantined with the new error). Raises NotPermitted, NotFound,
    ValidationFailed, DomainError (no processing)."""
    record = check_retry(actor, db.session.get(InboundMessage, record_id))
    _require_processing(process)
    return Processing(record, None, process_again(record, process))


def process_again(record: InboundMessage, process: Process) -> str | None:
    """Process a retryable message again inside a savepoint of the caller's transaction,
    counting the attempt: None when it was processed (its outcome set), else the error, with
    the partial work undone and the message quarantined with that error. Raises
    ValidationFailed (check_retryable); a lost database connection propagates."""
    check_retryable(record)
    record.attempts += 1
    record.error = None
    try:
        with db.session.begin_nested():
            process(record)
    except DBAPIError as error:
        if error.connection_invalidated:
            raise
        return _quarantine(record, error)
    except Exception as error:  # any failure of processing is recorded, as the poller does
        return _quarantine(record, error)
    return None


def _quarantine(record: InboundMessage, error: Exception) -> str:
    text = f"{type(error).__name__}: {error}"[:ERROR_MAX]
    record.outcome, record.reason, record.error = InboundOutcome.QUARANTINED, "error", text
    record.ticket, record.note = None, None
    db.session.flush()
    return text


def _require_processing(process: Process | None) -> None:
    if process is None:
        raise DomainError(_l("Mail processing is not plugged into this installation, so "
                             "messages cannot be processed here: ask an administrator to start "
                             "the application from wsgi.py."))
