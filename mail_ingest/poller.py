"""The poll loop: take every waiting message of each mailbox, commit it, then mark it.

Order per message: download (BODY.PEEK, by the read-ahead process) → record and
process (with the messages already read ahead, in one transaction) → commit → mark on the
server. A crash before the commit leaves the
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
    """Record each waiting message in order (read ahead by a child process), marking them in
    batches after their commits; stop before the next message once a stop is asked for.
    Returns the UIDs recorded (marked on the server unless left there as too large).

    The messages the reader has already handed over are recorded together, up to RECORD_BATCH
    in one transaction (ingest.ingest_together). What is held is recorded before the poller
    would wait for the reader, and at the end; at a stop, what was not begun is left."""
    max_bytes = current_app.config["SOPORTE_INGEST_MAX_BYTES"]
    intake = _Intake(source, uidvalidity, report)
    stores = ReadAheadStores(ingest_module.raw_store().root, attachment_store().root,
                             current_app.config["SOPORTE_ATTACHMENT_MAX_BYTES"])
    wanted = [p.uid for p in pending if p.size <= max_bytes]
    with closing(read_ahead(url, wanted, stores, report.reader)) as fetched:
        try:
            for message in pending:
                if intake.held and (message.size > max_bytes or not fetched.ready()):
                    intake.record_held()
                if STOP.requested:
                    log.info("mailbox=%s stopping before uid=%s: the rest waits for the next "
                             "run", source.name, message.uid)
                    break
                if message.size > max_bytes:
                    intake.count(message.uid, _leave_on_server(source, uidvalidity, message),
                                 downloaded=False)
                    continue
                try:
                    item = next(fetched)
                except SourceError:
                    intake.record_held()  # read before the reader failed: recorded
                    raise
                if item.blob is not None:  # None: expunged since the listing
                    intake.held.append(item)
                if len(intake.held) >= RECORD_BATCH:
                    intake.record_held()
            intake.record_held()
        finally:
            intake.mark_done()  # committed ones; a crash before this is mended next run
    return intake.finished


class _Intake:
    """One mailbox's pass: the messages read ahead and not yet recorded (`held`), those recorded
    and not yet marked on the server, those finished, and the report's outcomes."""

    def __init__(self, source, uidvalidity: int, report: PollReport):
        self.source, self.uidvalidity, self.report = source, uidvalidity, report
        self.held: list = []
        self.finished: set[str] = set()
        self._unmarked: list[str] = []

    def record_held(self) -> None:
        """Record what is held (ingest_together), counting each as its commit is made."""
        messages = [(item.uid, item.blob, item.parsed) for item in self.held]
        self.held = []
        if messages:
            for uid, outcome in ingest_module.ingest_together(
                    self.source.name, self.uidvalidity, messages, stop=lambda: STOP.requested):
                self.count(uid, outcome)  # those after a stop are left for the next run

    def count(self, uid: str, outcome, downloaded: bool = True) -> None:
        """One message's outcome: None, not even quarantined, leaves it for the next run; a
        message left on the server as too large is finished but never marked."""
        if outcome is None:
            name = UNRECORDED
        else:
            name = outcome.outcome
            self.finished.add(uid)
            if downloaded:
                self._unmarked.append(uid)  # marked only after the commit, in batches
        self.report.outcomes[name] = self.report.outcomes.get(name, 0) + 1
        if len(self._unmarked) >= MARK_BATCH:
            self.mark_done()

    def mark_done(self) -> None:
        if self._unmarked:
            self.source.mark_done(self._unmarked)
            self._unmarked = []


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
