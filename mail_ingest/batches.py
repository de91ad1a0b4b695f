"""Several messages recorded in one transaction and written by one flush (ingest.ingest_together),
with every outcome what recording them one at a time gives.

The ORM's cost is per flush and per statement, not per row: one flush for a batch writes each
table with one INSERT. So a message's lookups (ingest._route: its duplicate, its sender's
contact, its thread, its ticket token, its Outlook conversation) read the database without
flushing what the batch's earlier messages wrote, unless they look for it: the keys a message
is looked up by (lookup_keys) are compared with those the rows waiting to be written answer to
(pending_keys), and where they meet, the batch is flushed first. A message that writes on a
ticket an earlier one changed has the batch flushed first too (the rules read the ticket as
stored). The sender's hourly rate adds the batch's unflushed messages from the sender to
those written (unflushed_from). The acknowledgements of new tickets wait for the flush that
gives the tickets their ids (their links name them): finish() queues them.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import contextmanager

from app.extensions import db
from app.models.client import Contact
from app.models.enums import InboundOutcome
from app.models.mail import InboundMessage, OutboxMessage
from app.models.ticket import Ticket
from mail_ingest.parse import ParsedEmail
from mail_ingest.thread import ticket_numbers

Keys = set[tuple[str, str]]


class Batch:
    """The batch in hand: what it must still queue after its flush (see the module doc)."""

    def __init__(self):
        self.acknowledgements: list[Callable[[], object]] = []

    @contextmanager
    def looking_up(self, keys: Keys):
        """Run a message's lookups, whose `keys` are lookup_keys', without flushing the batch
        unless they would find one of its unflushed rows."""
        if db.session.new and keys & pending_keys():
            db.session.flush()
        with db.session.no_autoflush:
            yield

    @staticmethod
    def writing_on(ticket: Ticket | None) -> None:
        """Flush first when an earlier message changed the ticket, or wrote rows of it, that are
        not flushed yet."""
        if ticket is not None and (ticket in db.session.dirty or any(
                vars(row).get("ticket") is ticket for row in db.session.new)):
            db.session.flush()

    @staticmethod
    def unflushed_from(sender: str, counted: Iterable[InboundOutcome]) -> int:
        """The batch's unflushed messages from this sender with one of the `counted` outcomes
        (what the rate limit's query counts among those written)."""
        counted = set(counted)
        return sum(1 for row in db.session.new if isinstance(row, InboundMessage)
                   and row.from_address == sender and row.outcome in counted)

    def finish(self) -> None:
        """Flush the batch, then queue the acknowledgements it held."""
        db.session.flush()
        for acknowledge in self.acknowledgements:
            acknowledge()


def lookup_keys(parsed: ParsedEmail, dedupe_key: str, conversation: str | None,
                ticket_prefix: str) -> Keys:
    """What a message is looked up by: its dedupe key, its sender (a contact not yet written),
    the Message-IDs it names (letter case aside), its ticket tokens and its conversation."""
    keys = {("key", dedupe_key), ("from", parsed.from_address.lower()),
            ("conversation", conversation)}
    keys.update(("mid", mid.lower()) for mid in parsed.returned_message_ids + parsed.thread_ids)
    keys.update(("number", number) for number in ticket_numbers(parsed.subject, ticket_prefix))
    return {(kind, value) for kind, value in keys if value}


def pending_keys() -> Keys:
    """What the rows waiting to be written would answer to those lookups."""
    keys = set()
    for row in db.session.new:
        if isinstance(row, InboundMessage):
            keys.update({("key", row.dedupe_key), ("mid", (row.message_id or "").lower()),
                         ("conversation", row.thread_index)})
        elif isinstance(row, OutboxMessage):
            keys.add(("mid", (row.message_id or "").lower()))
        elif isinstance(row, Contact):
            keys.add(("from", (row.email or "").lower()))
        elif isinstance(row, Ticket):
            keys.add(("number", row.number))
    return {(kind, value) for kind, value in keys if value}
