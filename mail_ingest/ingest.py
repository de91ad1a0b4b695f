"""One email in, exactly one outcome out: ticket, note, ignored, triage or quarantined.

`ingest` stores the raw source, decides the outcome and records it in one
transaction; `ingest_together` records several messages read ahead in one transaction, written
by one flush (mail_ingest.batches), each outcome what it would be alone. Whatever goes wrong while processing, the message is recorded as
quarantined with its error and can be retried: it is never dropped. Recording the
quarantine does not depend on the parsed message: when even that fails, a minimal row
(where the message is, its raw source's hash and size, the error) is recorded instead, and
when that fails too the message is left unmarked on the server for the next run.
`reprocess` processes a stored message again inside its caller's transaction, for staff's
triage and retry (app.services.mail_triage), and never commits.
"""
from __future__ import annotations

import datetime as dt
import html
import logging
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass

import nh3
from flask import current_app
from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import DBAPIError, IntegrityError

from app.extensions import db
from app.logging_setup import log_context
from app.models.columns import utcnow
from app.models.enums import InboundOutcome, NoteKind
from app.models.client import Contact
from app.models.mail import InboundMessage, OutboxMessage
from app.models.ticket import Ticket
from app.services import contacts, customer_mail, notes, quote_decisions
from app.services.customer_mail import CustomerEmail
from app.services.notes import Upload
from app.services.permissions import SYSTEM
from app.storage import BlobStore, StoredBlob, raw_mail_store
from mail_ingest.batches import Batch, lookup_keys
from mail_ingest.classify import BOUNCE, classify, suppresses_auto_reply
from mail_ingest.parse import ParsedEmail, parse_stored
from mail_ingest.thread import conversation_key, spellings, ticket_numbers

log = logging.getLogger(__name__)

O = InboundOutcome
SUBJECT_MAX = 998


def raw_store() -> BlobStore:
    """Where raw messages are kept (app.storage.raw_mail_store: SOPORTE_MAIL_DIR/raw)."""
    return raw_mail_store()


def own_addresses() -> set[str]:
    """Our own addresses: mail from them is a loop."""
    return {current_app.config["SOPORTE_SUPPORT_ADDRESS"].lower()}


@dataclass(frozen=True)
class Outcome:
    """What became of one message, read before the commit (so no reload is needed after it)."""

    outcome: str
    reason: str | None
    ticket_number: str | None


def _outcome_of(record: InboundMessage) -> Outcome:
    return Outcome(record.outcome.value, record.reason,
                   record.ticket.number if record.ticket is not None else None)


def store_raw(raw: bytes) -> StoredBlob:
    """Keep the raw source on disk (the caller can then let go of the bytes)."""
    return raw_store().put_bytes(raw)


def ingest(mailbox: str, uidvalidity: int, uid: str, raw: bytes) -> Outcome | None:
    """Record and process one fetched message given as bytes (see ingest_stored)."""
    return ingest_stored(mailbox, uidvalidity, uid, store_raw(raw))


def ingest_stored(mailbox: str, uidvalidity: int, uid: str, blob: StoredBlob,
                  parsed: ParsedEmail | None = None) -> Outcome | None:
    """Record and process one message already stored (and perhaps parsed), committing its
    outcome (see the module doc); None when not even a quarantine row could be recorded (the
    caller must then leave the message unmarked).

    The unique keys decide races: a UID another poller recorded meanwhile returns its
    outcome; a Message-ID another poller took meanwhile makes this one a duplicate.
    """
    with log_context(uid=uid):
        return _ingest_stored(mailbox, uidvalidity, uid, blob, parsed)


def _ingest_stored(mailbox: str, uidvalidity: int, uid: str, blob: StoredBlob,
                   parsed: ParsedEmail | None) -> Outcome | None:
    if parsed is None:
        try:
            parsed = parse_stored(raw_store().path_for(blob.sha256))
        except Exception as error:  # the parser guards itself; this is the unforeseen
            return _quarantine(mailbox, uidvalidity, uid, None, blob, error)
    for _attempt in range(2):
        try:
            outcome = _record(mailbox, uidvalidity, uid, blob, parsed)
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            existing = _record_for(mailbox, uidvalidity, uid)
            if existing is not None:
                return _outcome_of(existing)  # another poller recorded this UID first
            continue  # its Message-ID was taken meanwhile: once more, as a duplicate
        except DBAPIError as error:
            db.session.rollback()
            if error.connection_invalidated:
                raise  # the database went away: stop the batch; the message stays unmarked
            return _quarantine(mailbox, uidvalidity, uid, parsed, blob, error)
        except Exception as error:  # any failure: keep the message, quarantined, and go on
            db.session.rollback()
            return _quarantine(mailbox, uidvalidity, uid, parsed, blob, error)
        _log_ingested(mailbox, uid, parsed, outcome)
        return outcome
    return _quarantine(mailbox, uidvalidity, uid, parsed, blob, "unique key conflict twice")


def ingest_together(mailbox: str, uidvalidity: int,
                    messages: list[tuple[str, StoredBlob, ParsedEmail | None]],
                    stop: Callable[[], bool] = lambda: False
                    ) -> Iterator[tuple[str, Outcome | None]]:
    """Record several messages (uid, stored source, parsed) in one transaction, in order, and
    yield each (uid, outcome) once committed: each outcome as ingest_stored would give it (a
    later message sees the earlier ones, as it would after their commits), written together
    (mail_ingest.batches). When anything fails, none of them is kept and each is recorded
    alone (ingest_stored): a race or a bad message costs the batch's time, never a message or
    an outcome. `stop` is asked before each message: once it says so, the rest are left
    (neither recorded nor yielded). The database going away is raised, as by ingest_stored:
    what was yielded is committed, the rest waits."""
    if len(messages) > 1 and all(parsed is not None for _uid, _blob, parsed in messages):
        batch = Batch()
        try:
            outcomes = []
            for uid, blob, parsed in messages:
                if stop():
                    break
                with log_context(uid=uid):
                    outcomes.append(_record(mailbox, uidvalidity, uid, blob, parsed, batch))
            batch.finish()
            db.session.commit()
        except Exception as error:  # a unique key taken meanwhile, a bad message, a fault
            db.session.rollback()
            if isinstance(error, DBAPIError) and error.connection_invalidated:
                raise  # the database went away: stop the batch; the messages stay unmarked
            log.warning("mailbox=%s uids %s-%s: recorded one by one after %r", mailbox,
                        messages[0][0], messages[-1][0], error, exc_info=True)
        else:
            for (uid, _blob, parsed), outcome in zip(messages, outcomes):
                _log_ingested(mailbox, uid, parsed, outcome)
                yield uid, outcome
            return
    for uid, blob, parsed in messages:
        if stop():
            return
        yield uid, ingest_stored(mailbox, uidvalidity, uid, blob, parsed)


def _record(mailbox: str, uidvalidity: int, uid: str, blob: StoredBlob,
            parsed: ParsedEmail, batch: Batch | None = None) -> Outcome:
    """Process one message into its record, in the caller's transaction (uncommitted)."""
    record = InboundMessage(
        mailbox=mailbox, uidvalidity=uidvalidity, uid=uid, raw_sha256=blob.sha256,
        raw_size=blob.size, message_id=(parsed.message_id or "")[:998] or None,
        from_address=parsed.from_address[:254], subject=parsed.subject[:SUBJECT_MAX],
        outcome=O.QUARANTINED,
    )
    _process(record, parsed, check_rate=True, batch=batch)
    db.session.add(record)  # added last: one INSERT with its outcome
    return _outcome_of(record)


def _log_ingested(mailbox: str, uid: str, parsed: ParsedEmail, outcome: Outcome) -> None:
    with log_context(uid=uid):
        log.info("ingested mailbox=%s uid=%s message-id=%s outcome=%s reason=%s ticket=%s",
                 mailbox, uid, parsed.message_id, outcome.outcome, outcome.reason,
                 outcome.ticket_number)


def quarantine_unfetched(mailbox: str, uidvalidity: int, uid: str, reason: str) -> Outcome:
    """Record a message left on the server (too large to download) so staff see it."""
    record = InboundMessage(mailbox=mailbox, uidvalidity=uidvalidity, uid=uid,
                            outcome=O.QUARANTINED, reason=reason[:255])
    db.session.add(record)
    outcome = _outcome_of(record)
    db.session.commit()
    return outcome


def reprocess(record: InboundMessage) -> Outcome:
    """Process a stored message again from its raw source, inside the caller's transaction (it
    never commits, so the caller's other changes and this outcome are kept or undone together):
    the record gets its new outcome. Raises whatever processing raises (a missing raw source, a
    storage or database fault); the caller decides what a failure leaves behind
    (app.services.mail_triage.process_again). The rate limit is not applied: staff asked."""
    parsed = parse_stored(raw_store().path_for(record.raw_sha256))
    _process(record, parsed, check_rate=False)
    db.session.flush()
    outcome = _outcome_of(record)
    log.info("reprocessed id=%s mailbox=%s uid=%s message-id=%s outcome=%s reason=%s ticket=%s",
             record.id, record.mailbox, record.uid, parsed.message_id, outcome.outcome,
             outcome.reason, outcome.ticket_number)
    return outcome


def _record_for(mailbox: str, uidvalidity: int, uid: str) -> InboundMessage | None:
    return db.session.execute(select(InboundMessage).where(
        InboundMessage.mailbox == mailbox, InboundMessage.uidvalidity == uidvalidity,
        InboundMessage.uid == uid)).scalar_one_or_none()


def _quarantine(mailbox, uidvalidity, uid, parsed: ParsedEmail | None, blob, error
                ) -> Outcome | None:
    """Record the message as quarantined, with its error, in a fresh transaction: described by
    what was parsed of it, or, when that cannot be stored, by what is known without it (see the
    module doc). None when neither can be recorded: logged, and left for the next run."""
    log.error("quarantined mailbox=%s uid=%s message-id=%s: %r", mailbox, uid,
              parsed.message_id if parsed else None, error,
              exc_info=isinstance(error, BaseException))
    known = dict(mailbox=mailbox, uidvalidity=uidvalidity, uid=uid, raw_sha256=blob.sha256,
                 raw_size=blob.size, outcome=O.QUARANTINED, reason="error",
                 error=repr(error)[:10000])
    rows = [known]
    if parsed is not None:
        rows.insert(0, dict(known, message_id=(parsed.message_id or "")[:998] or None,
                            from_address=parsed.from_address[:254],
                            subject=parsed.subject[:SUBJECT_MAX]))
    for row in rows:
        try:
            record = InboundMessage(**row)
            db.session.add(record)
            outcome = _outcome_of(record)
            db.session.commit()
            return outcome
        except IntegrityError:
            db.session.rollback()
            existing = _record_for(mailbox, uidvalidity, uid)
            if existing is not None:
                return _outcome_of(existing)  # another poller recorded this UID first
        except DBAPIError as failure:
            db.session.rollback()
            if failure.connection_invalidated:
                raise  # the database went away: stop the batch; the message stays unmarked
            log.exception("mailbox=%s uid=%s: the quarantine row failed", mailbox, uid)
        except Exception:
            db.session.rollback()
            log.exception("mailbox=%s uid=%s: the quarantine row failed", mailbox, uid)
    log.error("mailbox=%s uid=%s not recorded; left unmarked, raw source kept as %s",
              mailbox, uid, blob.sha256)
    return None


def _set(record: InboundMessage, outcome: InboundOutcome, reason: str | None = None,
         ticket: Ticket | None = None, note=None) -> None:
    record.outcome, record.reason = outcome, (reason or None) and reason[:255]
    record.ticket, record.note = ticket, note


def _process(record: InboundMessage, parsed: ParsedEmail, check_rate: bool,
             batch: Batch | None = None) -> None:
    """Decide the outcome of one message (inside the caller's transaction); in a batch, see
    mail_ingest.batches."""
    record.thread_index = conversation_key(parsed)  # every message: a reply may name only it
    if parsed.too_complex:
        return _set(record, O.QUARANTINED, f"too complex: {parsed.too_complex}")
    keys = None if batch is None else lookup_keys(
        parsed, _dedupe_key(record, parsed), record.thread_index,
        current_app.config["SOPORTE_TICKET_PREFIX"])
    with batch.looking_up(keys) if batch is not None else nullcontext():
        routed = _route(record, parsed, check_rate, batch)
    if routed is None:
        return None  # decided without a customer's ticket: duplicate, ignored, triage…
    contact, ticket = routed
    if batch is not None:
        batch.writing_on(ticket)
    result = customer_mail.receive(contact, _customer_email(parsed), ticket,
                                   later=batch.acknowledgements if batch is not None else None)
    if not result.created:  # a reply may carry the customer's decision on the ticket's quote
        quote_decisions.decide_by_reply(contact, result.note, parsed.text, parsed.html)
    _set(record, O.TICKET if result.created else O.NOTE, None, result.ticket, result.note)


def _route(record: InboundMessage, parsed: ParsedEmail, check_rate: bool,
           batch: Batch | None) -> tuple[Contact, Ticket | None] | None:
    """The lookups of _process: the sender's contact and the ticket the message continues (None:
    a new one); None when they decide the outcome themselves (recorded on `record`)."""
    recent = None  # the sender's messages of the last hour, when read with the dedupe key
    if record.dedupe_key is None:
        key = _dedupe_key(record, parsed)
        first_id, first_ticket_id, recent = _earlier(key, parsed.from_address, check_rate)
        if first_id is not None and first_id != record.id:
            record.duplicate_of_id = first_id
            ticket = db.session.get(Ticket, first_ticket_id) if first_ticket_id else None
            return _set(record, O.IGNORED, "duplicate", ticket)
        record.dedupe_key = key  # unique: a racing poller's commit fails on it
    verdict = classify(parsed, own_addresses())
    if verdict is not None:
        kind, detail = verdict
        ticket = _threaded_ticket(parsed.returned_message_ids + parsed.thread_ids)
        note = None
        if kind == BOUNCE and ticket:
            if batch is not None:
                batch.writing_on(ticket)
            note = _note_bounce(ticket, parsed)
        return _set(record, O.IGNORED, f"{kind}: {detail}", ticket, note)
    if batch is not None and recent is not None:
        recent += batch.unflushed_from(parsed.from_address, RATE_COUNTED)
    if check_rate and _over_rate_limit(parsed.from_address, recent):
        return _set(record, O.QUARANTINED, "rate-limited sender")
    contact = contacts.identify_sender(parsed.from_address, parsed.from_name)
    if contact is None:
        return _set(record, O.TRIAGE, contacts.unplaced_reason(parsed.from_address))
    return contact, (_threaded_ticket(parsed.thread_ids)
                     or _ticket_by_token(parsed.subject, contact)
                     or _ticket_by_conversation(record.thread_index, contact))


def _dedupe_key(record: InboundMessage, parsed: ParsedEmail) -> str:
    return f"mid:{parsed.message_id}" if parsed.message_id else f"sha:{record.raw_sha256}"


def _threaded_ticket(message_ids: list[str]) -> Ticket | None:
    """The ticket of the first Message-ID we know: our outgoing mail or earlier incoming mail
    (SPEC §4: whoever the sender; the id is in any letter case of its domain)."""
    for mid in message_ids[:50]:
        ticket = db.session.scalars(_TICKET_OF_MESSAGE_ID, {"names": spellings(mid)}).first()
        if ticket is not None:
            return ticket
    return None


def _ticket_by_token(subject: str, contact) -> Ticket | None:
    """The ticket named by a [TCK-000123] token (any case, see thread.ticket_numbers), only when
    the sender is a contact of its client."""
    for number in ticket_numbers(subject, current_app.config["SOPORTE_TICKET_PREFIX"]):
        ticket = db.session.execute(select(Ticket).where(Ticket.number == number)) \
            .scalar_one_or_none()
        if ticket is not None and ticket.client_id == contact.client_id:
            return ticket
    return None


def _ticket_by_conversation(key: str | None, contact) -> Ticket | None:
    """The ticket of the latest earlier email of this Outlook conversation (Thread-Index), only
    when the sender is a contact of that ticket's client (the rule of the subject token)."""
    if not key:
        return None
    ticket_id = db.session.scalar(
        select(InboundMessage.ticket_id).join(Ticket, Ticket.id == InboundMessage.ticket_id)
        .where(InboundMessage.thread_index == key, InboundMessage.outcome.in_([O.TICKET, O.NOTE]),
               Ticket.client_id == contact.client_id)
        .order_by(InboundMessage.id.desc()).limit(1))
    return db.session.get(Ticket, ticket_id) if ticket_id is not None else None


RATE_COUNTED = (O.TICKET, O.NOTE, O.TRIAGE, O.QUARANTINED)  # what a sender's rate counts
# Built once: these run for every message, and building a statement costs more than running it.
_RECENT_FROM_SENDER = select(func.count()).select_from(InboundMessage).where(
    InboundMessage.from_address == bindparam("sender"),
    InboundMessage.received_at >= bindparam("since"),
    InboundMessage.outcome.in_(RATE_COUNTED))
_BY_DEDUPE_KEY = select(InboundMessage.id, InboundMessage.ticket_id).where(
    InboundMessage.dedupe_key == bindparam("key"))
# Both in one round trip: every new message asks them, one after the other.
_EARLIER_AND_RECENT = select(
    *(select(column).where(InboundMessage.dedupe_key == bindparam("key")).scalar_subquery()
      for column in (InboundMessage.id, InboundMessage.ticket_id)),
    _RECENT_FROM_SENDER.scalar_subquery())
# Our outgoing mail first, then earlier incoming mail: the ticket of the first that names it.
_NAMES = bindparam("names", expanding=True)
_TICKET_OF_MESSAGE_ID = select(Ticket).where(Ticket.id == func.coalesce(*(
    select(table.ticket_id).where(table.message_id.in_(_NAMES), table.ticket_id.is_not(None))
    .limit(1).scalar_subquery() for table in (OutboxMessage, InboundMessage))))


def _earlier(key: str, sender: str, check_rate: bool) -> tuple[int | None, ...]:
    """The id and ticket of the message recorded with this dedupe key (None, None: none), and,
    when the rate is checked, how many messages the sender sent in the last hour (else None)."""
    if not check_rate:
        first = db.session.execute(_BY_DEDUPE_KEY, {"key": key}).one_or_none()
        return (first.id, first.ticket_id, None) if first is not None else (None, None, None)
    return tuple(db.session.execute(_EARLIER_AND_RECENT, {
        "key": key, "sender": sender, "since": utcnow() - dt.timedelta(hours=1)}).one())


def _over_rate_limit(sender: str, recent: int | None = None) -> bool:
    """True when the sender sent more than SOPORTE_INGEST_RATE_LIMIT messages in the last hour
    (`recent`, when already counted)."""
    limit = current_app.config["SOPORTE_INGEST_RATE_LIMIT"]
    if recent is None:
        since = utcnow() - dt.timedelta(hours=1)
        recent = db.session.scalar(_RECENT_FROM_SENDER, {"sender": sender, "since": since})
    return recent >= limit  # this message is not counted: it is not in the session yet


def _note_bounce(ticket: Ticket, parsed: ParsedEmail):
    """A delivery failure shown on the ticket of the message it returns (no reopening, no reply)."""
    text = f"Delivery failure from {parsed.from_address}: {parsed.subject}\n\n{parsed.text}"
    return notes.create_note(ticket, NoteKind.SYSTEM, text[:20000], SYSTEM)


def _customer_email(parsed: ParsedEmail) -> CustomerEmail:
    """The parsed email as the service's input (text derived from HTML when there is none)."""
    text = parsed.text
    if not text.strip() and parsed.html:
        text = html.unescape(nh3.clean(parsed.html, tags=set()))
    limit = current_app.config["SOPORTE_ATTACHMENT_MAX_BYTES"]
    uploads, left_out = [], []
    for part in parsed.attachments:
        if part.size > limit:
            left_out.append(f"{part.filename} ({part.size // 1024} KB)")
            continue
        uploads.append(Upload(part.filename, None if part.stored else part.open(),
                              part.content_type, part.content_id, part.inline, part.stored))
    if left_out:
        # the raw message keeps them; staff see what was not attached and why
        text += "\n\n[" + "; ".join(f"attachment over the size limit, kept in the original "
                                      f"message: {name}" for name in left_out) + "]"
    return CustomerEmail(subject=parsed.subject, text=text, html=parsed.html, uploads=uploads,
                         message_id=parsed.message_id, conversation_key=conversation_key(parsed),
                         acknowledge=not suppresses_auto_reply(parsed))
