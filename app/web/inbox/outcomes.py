"""What the page says after triage or a retry: what really became of the message, read from
the service's result (mail_triage.Processing), in the reader's language."""
from __future__ import annotations

from flask_babel import gettext as _

from app.models.enums import InboundOutcome
from app.services.mail_triage import Processing
from app.web.inbox.reasons import reason_label

O = InboundOutcome


def describe(result: Processing) -> tuple[str, bool]:
    """The sentence for the flash, and whether the message was placed (a ticket or a note)."""
    record = result.record
    prefix = (_("Client %(name)s created.", name=result.new_client.name) + " "
              if result.new_client is not None else "")
    if result.error is not None:
        return prefix + _("The message could not be processed: %(error)s. It is in quarantine "
                          "with this error, where an administrator can retry it.",
                          error=result.error), False
    number = record.ticket.number if record.ticket is not None else None
    if record.outcome is O.TICKET:
        return prefix + _("New ticket %(number)s.", number=number), True
    if record.outcome is O.NOTE:
        return prefix + _("Added as a note on %(number)s.", number=number), True
    if record.outcome is O.IGNORED:
        return prefix + _("Ignored: %(reason)s.", reason=reason_label(record.reason)), False
    if record.outcome is O.TRIAGE:
        return prefix + _("Still in triage: %(reason)s.", reason=reason_label(record.reason)), False
    return prefix + _("Still in quarantine: %(reason)s.", reason=reason_label(record.reason)), False
