"""The high-water mark: how far each mailbox has been read, per UIDVALIDITY, so that a poll
costs what is new and not all the mail ever received.

The mark of (mailbox, UIDVALIDITY) is a UID such that every message the server listed at or
below it has its record (InboundMessage) and, unless it was left on the server as too large,
carries our flag there. A poll asks the server only for the UIDs above the mark and reads only
their records. The records stay the proof of exactly-once (their unique key decides); the mark
only says where to start looking, so it may lag behind them but never run ahead:

- it moves over a contiguous run of finished UIDs only, in the server's order: a message not
  recorded (a failure, an interrupted batch) holds it until a later poll records it;
- it moves after the records are committed and the flags set, so a crash in between leaves it
  behind, and the next poll finds those records and only flags what was not yet flagged;
- a new UIDVALIDITY has no mark: its first poll lists the folder from the start (as does the
  first poll of a mailbox, and the first after the upgrade that added the marks);
- it is written by the poller holding the mailbox's lock (mail_ingest.locks), and only forward.

IMAP UIDs only ascend, so the mark applies to IMAP folders; a Maildir's names have no order and
each poll lists it whole (`source.ordered`).
"""
from __future__ import annotations

import logging

from sqlalchemy import select

from app.extensions import db
from app.models.mail import InboundHighWater, InboundMessage

log = logging.getLogger(__name__)

CHUNK = 500  # UIDs per IN (…): far below any database's limit on bound parameters
WHOLE_PASS = 4 * CHUNK  # more UIDs than this: read the mailbox's records in one pass instead


def mark(mailbox: str, uidvalidity: int) -> int:
    """The mailbox's mark at this UIDVALIDITY (0 when none yet: read from the start)."""
    return db.session.scalar(select(InboundHighWater.uid).where(
        InboundHighWater.mailbox == mailbox, InboundHighWater.uidvalidity == uidvalidity)) or 0


def recorded(mailbox: str, uidvalidity: int, uids: list[str]) -> dict[str, bool]:
    """Which of these UIDs have a record: UID → whether its raw source was downloaded (False for a
    message left on the server as too large). Reads only the records of these UIDs, a few hundred
    at a time; for many (a mailbox's first poll lists it whole) one pass over the mailbox's
    records costs less than hundreds of lookups."""
    query = select(InboundMessage.uid, InboundMessage.raw_sha256).where(
        InboundMessage.mailbox == mailbox, InboundMessage.uidvalidity == uidvalidity)
    if len(uids) > WHOLE_PASS:
        wanted = set(uids)
        return {uid: sha is not None for uid, sha in db.session.execute(query) if uid in wanted}
    found: dict[str, bool] = {}
    for start in range(0, len(uids), CHUNK):
        rows = db.session.execute(query.where(InboundMessage.uid.in_(uids[start:start + CHUNK])))
        found.update((uid, sha is not None) for uid, sha in rows)
    return found


def contiguous_top(current: int, listed: list[str], finished: set[str]) -> int:
    """How far the mark may move: the last UID of the run of finished UIDs at the start of
    `listed` (the server's UIDs above `current`, ascending); `current` when the first is not."""
    top = current
    for uid in listed:
        if uid not in finished:
            break
        top = int(uid)
    return top


def advance(mailbox: str, uidvalidity: int, listed: list[str], finished: set[str],
            current: int) -> int:
    """Move the mark over the finished run at the start of `listed` and commit (see
    contiguous_top); never backwards. Call it holding the mailbox's lock, after the records are
    committed and their flags set. Returns the mark."""
    top = contiguous_top(current, listed, finished)
    if top <= current:
        return current
    row = db.session.scalars(select(InboundHighWater).where(
        InboundHighWater.mailbox == mailbox, InboundHighWater.uidvalidity == uidvalidity)).first()
    if row is None:
        db.session.add(InboundHighWater(mailbox=mailbox, uidvalidity=uidvalidity, uid=top))
    elif row.uid < top:
        row.uid = top
    db.session.commit()
    log.debug("mailbox=%s uidvalidity=%s high-water mark %s -> %s", mailbox, uidvalidity,
              current, top)
    return top
