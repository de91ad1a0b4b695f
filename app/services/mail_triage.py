"""Staff decisions on inbound mail the poller could not place: who may pick the client of an
unknown sender (triage) or retry a quarantined message, and what picking a client does.

The reprocessing itself is the poller's (`mail_ingest.ingest.retry`); these rules come first.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models.client import Client
from app.models.enums import InboundOutcome
from app.models.mail import InboundMessage
from app.services import contacts
from app.services.errors import NotFound, ValidationFailed
from app.services.permissions import Actor, Permission, require


def place_triaged(actor: Actor, record_id: int, client_id: int) -> InboundMessage:
    """Staff pick the client of an unknown sender: the sender becomes its contact; the message
    is then ready to process again. Raises NotPermitted, NotFound, ValidationFailed."""
    require(actor, Permission.CREATE)
    record = db.session.get(InboundMessage, record_id)
    if record is None or record.outcome is not InboundOutcome.TRIAGE:
        raise NotFound(_l("That message is not waiting for triage."))
    client = db.session.get(Client, int(client_id or 0))
    if client is None or not client.active:
        raise ValidationFailed(_l("Select an active client."), field="client_id")
    if contacts.contact_by_address(record.from_address) is None:
        contacts.add_contact(client, record.from_address)
    return record


def quarantined_for_retry(actor: Actor, record_id: int) -> InboundMessage:
    """An administrator retries a quarantined message: the message, ready to process again.
    Raises NotPermitted, NotFound."""
    require(actor, Permission.MANAGE_REFERENCE)
    record = db.session.get(InboundMessage, record_id)
    if record is None or record.outcome is not InboundOutcome.QUARANTINED:
        raise NotFound(_l("That message is not in quarantine."))
    return record
