"""The poll loop: take every waiting message of a mailbox, one transaction each, then mark it.

Order per message: download (BODY.PEEK) → record and process → commit → mark
on the server. A crash before the commit leaves the message waiting; a crash
after it leaves a record, so the next run only marks it.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from flask import current_app

from app.extensions import db
from mail_ingest import ingest as ingest_module
from mail_ingest.locks import MailboxBusy, mailbox_lock
from mail_ingest.sources import open_source

log = logging.getLogger(__name__)

MARK_BATCH = 100  # messages marked on the server with one command


@dataclass
class PollReport:
    """What one pass over a mailbox did."""

    mailbox: str
    outcomes: dict[str, int] = field(default_factory=dict)
    busy: bool = False

    @property
    def processed(self) -> int:
        return sum(self.outcomes.values())


def poll_once(url: str | None = None) -> PollReport:
    """Process everything waiting in the mailbox; SourceError when it cannot be reached."""
    url = url or current_app.config["SOPORTE_INBOX_URL"]
    with open_source(url) as source:
        return _drain(source)


def _drain(source) -> PollReport:
    report = PollReport(source.name)
    try:
        with mailbox_lock(source.name):
            uidvalidity = source.uidvalidity()
            known = ingest_module.known_uids(source.name, uidvalidity)
            db.session.commit()  # hold no transaction while talking to the server
            unmarked = source.unmarked(known)
            if unmarked:
                source.mark_done(unmarked)  # committed by a run that stopped before marking
            max_bytes = current_app.config["SOPORTE_INGEST_MAX_BYTES"]
            done: list[str] = []
            try:
                for pending in source.pending(known):
                    outcome = _take(source, uidvalidity, pending, max_bytes, done)
                    if outcome:
                        report.outcomes[outcome] = report.outcomes.get(outcome, 0) + 1
                    if len(done) >= MARK_BATCH:
                        source.mark_done(done)
                        done = []
            finally:
                if done:
                    source.mark_done(done)  # committed ones; a crash before this is mended next run
    except MailboxBusy:
        log.info("mailbox=%s busy: another poller holds it", source.name)
        report.busy = True
    return report


def _take(source, uidvalidity: int, pending, max_bytes: int, done: list[str]) -> str | None:
    """Download and ingest one message, adding it to `done` to be marked; its outcome's name."""
    if pending.size > max_bytes:
        result = ingest_module.quarantine_unfetched(
            source.name, uidvalidity, pending.uid, f"too large: {pending.size} bytes")
        log.warning("mailbox=%s uid=%s left on the server: %s bytes", source.name, pending.uid,
                    pending.size)
        return result.outcome
    raw = source.fetch(pending.uid)
    if raw is None:
        return None
    blob = ingest_module.store_raw(raw)
    del raw  # from here on the message is read from disk: memory stays bounded
    result = ingest_module.ingest_stored(source.name, uidvalidity, pending.uid, blob)
    done.append(pending.uid)  # marked only after the commit, in batches
    return result.outcome


def poll_forever(url: str | None = None, interval: float | None = None) -> None:
    """Poll, then wait (IMAP IDLE where the server has it) and poll again, until interrupted."""
    url = url or current_app.config["SOPORTE_INBOX_URL"]
    interval = interval or current_app.config["SOPORTE_POLL_INTERVAL"]
    while True:
        try:
            with open_source(url) as source:
                report = _drain(source)
                if report.processed:
                    log.info("mailbox=%s %s", report.mailbox, report.outcomes)
                source.wait(interval)
        except Exception:  # a dropped connection must not end the poller; try again later
            db.session.rollback()
            log.exception("poll of %s failed; retrying in %s s", url, interval)
            time.sleep(interval)
        finally:
            db.session.remove()
