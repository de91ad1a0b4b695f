"""The poll loop: take every waiting message of each mailbox, one transaction each, then mark it.

Order per message: download (BODY.PEEK, by the read-ahead process) → record and
process → commit → mark on the server. A crash before the commit leaves the
message waiting; a crash after it leaves a record, so the next run only marks it.
After the batch the mailbox's high-water mark moves over what is finished, so the next
poll asks only for what is above it (mail_ingest.high_water). SIGTERM or SIGINT ends the
poller after the message in hand (mail_ingest.shutdown).
The mailboxes are SOPORTE_INBOX_URL and those administrators add (`Mailbox`).
"""
from __future__ import annotations

import logging
import time
from contextlib import closing
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import select

from app.encryption import SecretUnreadable
from app.extensions import db
from app.logging_setup import log_context
from app.models.mail import Mailbox
from app.services.attachments import attachment_store
from mail_ingest import high_water
from mail_ingest import ingest as ingest_module
from mail_ingest.locks import MailboxBusy, mailbox_lock
from mail_ingest.read_ahead import ReadAheadStores, read_ahead
from mail_ingest.shutdown import STOP, StopPolling
from mail_ingest.sources import SourceError, mailbox_name, open_source, with_password

log = logging.getLogger(__name__)

MARK_BATCH = 100  # messages marked on the server with one command
RECORD_BATCH = 20  # messages read ahead recorded in one transaction at most
UNRECORDED = "UNRECORDED"  # a message no row could be stored for (see ingest_stored)


@dataclass
class PollReport:
    """What one pass over a mailbox did."""

    mailbox: str
    outcomes: dict[str, int] = field(default_factory=dict)
    busy: bool = False
    error: str | None = None  # the mailbox could not be reached (poll_all goes on)
    reader: dict = field(default_factory=dict)  # what the read-ahead process reported

    @property
    def processed(self) -> int:
        return sum(self.outcomes.values())


def poll_once(url: str | None = None) -> PollReport:
    """Process everything waiting in the mailbox; SourceError when it cannot be reached."""
    url = url or current_app.config["SOPORTE_INBOX_URL"]
    with open_source(url) as source:
        return _drain(source, url)


def _drain(source, url: str) -> PollReport:
    """Under the mailbox's lock: list what is above the high-water mark, flag what an earlier run
    recorded but did not flag, take the rest, then move the mark over what is finished."""
    report = PollReport(source.name)
    try:
        with log_context(mailbox=source.name), mailbox_lock(source.name):
            uidvalidity = source.uidvalidity()
            mark = high_water.mark(source.name, uidvalidity) if source.ordered else 0
            listed = source.listing(mark)
            known = high_water.recorded(source.name, uidvalidity, listed)
            db.session.commit()  # hold no transaction while talking to the server
            unmarked = source.unmarked([uid for uid in listed if known.get(uid)], mark)
            for start in range(0, len(unmarked), MARK_BATCH):  # one command line stays short
                # committed by a run that stopped before marking
                source.mark_done(unmarked[start:start + MARK_BATCH])
            pending = source.pending([uid for uid in listed if uid not in known])
            finished = _ingest_pending(source, url, uidvalidity, pending, report)
            if source.ordered:
                high_water.advance(source.name, uidvalidity, listed, finished | known.keys(),
                                   mark)
    except MailboxBusy:
        log.info("mailbox=%s busy: another poller holds it", source.name)
        report.busy = True
    return report


def _ingest_pending(source, url: str, uidvalidity: int, pending: list,
                    report: PollReport) -> set[str]:
    """Record each waiting message in order (read ahead by a child process), marking each
    batch after its commits; stop before the next message once a stop is asked for. Returns
    the UIDs recorded (marked on the server unless left there as too large).

    Messages already read ahead are recorded together, up to RECORD_BATCH in one transaction
    (ingest.ingest_together): a backlog costs one commit per batch, not per message. What is
    held is committed before anything that would wait (the next message not yet read, a stop,
    the end), so a message is never held uncommitted while the poller waits."""
    max_bytes = current_app.config["SOPORTE_INGEST_MAX_BYTES"]
    wanted = [p.uid for p in pending if p.size <= max_bytes]
    held: list = []  # read ahead, not yet recorded
    done: list[str] = []  # recorded, not yet marked
    finished: set[str] = set()

    def count(uid: str, outcome, downloaded: bool = True) -> None:
        if outcome is None:  # not even quarantined: unmarked, taken next run
            outcome = UNRECORDED
        else:
            if downloaded:  # one too large stays on the server, unmarked
                done.append(uid)  # marked only after the commit, in batches
            finished.add(uid)
            outcome = outcome.outcome
        report.outcomes[outcome] = report.outcomes.get(outcome, 0) + 1
        if len(done) >= MARK_BATCH:
            source.mark_done(done)
            done.clear()

    def record_held() -> None:
        messages = [(item.uid, item.blob, item.parsed) for item in held]
        held.clear()
        for (uid, _blob, _parsed), outcome in zip(messages, ingest_module.ingest_together(
                source.name, uidvalidity, messages, stop=lambda: STOP.requested)):
            count(uid, outcome)  # those after a stop are left, uncounted, for the next run

    stores = ReadAheadStores(ingest_module.raw_store().root, attachment_store().root,
                             current_app.config["SOPORTE_ATTACHMENT_MAX_BYTES"])
    with closing(read_ahead(url, wanted, stores, report.reader)) as fetched:
        try:
            for message in pending:
                if STOP.requested:
                    log.info("mailbox=%s stopping before uid=%s: the rest waits for the next "
                             "run", source.name, message.uid)
                    break
                if held and (message.size > max_bytes or not fetched.ready()):
                    record_held()
                if message.size > max_bytes:
                    count(message.uid, _leave_on_server(source, uidvalidity, message),
                          downloaded=False)
                    continue
                try:
                    item = next(fetched)
                except SourceError:
                    if held:  # read before the reader failed: recorded, as alone they would be
                        record_held()
                    raise
                if item.blob is not None:  # None: expunged since the listing
                    held.append(item)
                if len(held) >= RECORD_BATCH:
                    record_held()
            if held:
                record_held()
        finally:
            if done:
                source.mark_done(done)  # committed ones; a crash before this is mended next run
    return finished


def _leave_on_server(source, uidvalidity: int, message):
    """Record a message too large to download; it stays on the server."""
    log.warning("mailbox=%s uid=%s left on the server: %s bytes", source.name, message.uid,
                message.size)
    return ingest_module.quarantine_unfetched(
        source.name, uidvalidity, message.uid, f"too large: {message.size} bytes")


def inbox_urls(unreadable: list[PollReport] | None = None) -> list[str]:
    """Every mailbox to read: SOPORTE_INBOX_URL (when set) and the active mailboxes that
    administrators added (their passwords decrypted), each once. A mailbox whose password
    cannot be decrypted is logged and added to `unreadable`; the others are read."""
    configured = current_app.config["SOPORTE_INBOX_URL"]
    urls = [configured] if configured else []
    for mailbox in db.session.scalars(select(Mailbox).where(Mailbox.active.is_(True))
                                      .order_by(Mailbox.id)):
        try:
            urls.append(with_password(mailbox.url, mailbox.password()))
        except SecretUnreadable as error:
            message = f"the password of mailbox {mailbox.name!r}: {error}"
            log.error("mailbox=%s %s", mailbox_name(mailbox.url), message)
            if unreadable is not None:
                unreadable.append(PollReport(mailbox_name(mailbox.url), error=message))
    db.session.commit()  # hold no transaction while talking to the servers
    return list(dict.fromkeys(urls))


def poll_all(urls: list[str] | None = None) -> list[PollReport]:
    """Poll each mailbox in turn; one that cannot be reached is reported and the rest go on.
    Once a stop is asked for, the mailboxes not yet begun are left for the next run."""
    reports: list[PollReport] = []
    for url in inbox_urls(reports) if urls is None else urls:
        if STOP.requested:
            break
        try:
            reports.append(poll_once(url))
        except SourceError as error:
            log.error("poll of %s failed: %s", mailbox_name(url), error)
            reports.append(PollReport(mailbox_name(url), error=str(error)))
    return reports


def poll_forever(url: str | None = None, interval: float | None = None) -> None:
    """Poll, then wait and poll again, until a stop is asked for (mail_ingest.shutdown): IMAP
    IDLE where there is one mailbox on a server that has it, else the interval. The mailboxes
    are read again on each round."""
    interval = interval or current_app.config["SOPORTE_POLL_INTERVAL"]
    try:
        while not STOP.requested:
            _poll_round(url, interval)
    except StopPolling:
        pass  # asked to stop while waiting: no message was in hand
    log.info("poller stopped")


def _poll_round(url: str | None, interval: float) -> None:
    """One round of poll_forever: every mailbox, then the wait (the part a stop interrupts)."""
    urls = [url] if url else inbox_urls()
    try:
        if len(urls) == 1:
            with open_source(urls[0]) as source:
                _log_report(_drain(source, urls[0]))
                source.wait(interval, STOP.waiting)
        else:
            for report in poll_all(urls):
                _log_report(report)
            with STOP.waiting():
                time.sleep(interval)
    except Exception:  # a dropped connection must not end the poller; try again later
        db.session.rollback()
        log.exception("poll of %s failed; retrying in %s s",
                      ", ".join(map(mailbox_name, urls)), interval)
        with STOP.waiting():
            time.sleep(interval)
    finally:
        db.session.remove()


def _log_report(report: PollReport) -> None:
    if report.processed:
        log.info("mailbox=%s %s", report.mailbox, report.outcomes)
