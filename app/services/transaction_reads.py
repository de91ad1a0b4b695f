"""Reads kept for the rest of a transaction: what each of many changes in one transaction asks
the same of (the active webhook endpoints, the supervisors, the service-level targets) is read
once, when first asked, and kept until the transaction ends.

A transaction that records many things at once (the poller records the messages it has read
ahead in one, mail_ingest.ingest.ingest_together) then reads them once, not once per message.
What is kept is what the first read saw: an endpoint or a target another transaction commits
meanwhile reaches this one's later changes no more than it would have reached them had they
been committed together with the first, which is what they are. Something this session itself
writes of the kinds a read depends on (its `depends_on`) is read again after the flush that
writes it; a rollback, or the end of the outermost transaction, forgets everything. So a change
of this session that is not flushed yet, or that a Core statement made, is not seen: the
services that change those kinds flush. A kept value is shared by every caller of the
transaction: keep it immutable (a tuple, not a list).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import event
from sqlalchemy.orm import Session

T = TypeVar("T")

KEPT = "transaction_reads"  # Session.info key: {name: (value, the model classes it depends on)}


def kept(session: Session, name: str, read: Callable[[], T], depends_on: tuple[type, ...]) -> T:
    """The value `read()` gave when first asked under `name` in this transaction, read now if it
    has not been (or was forgotten since: see the module doc)."""
    reads = session.info.setdefault(KEPT, {})
    if name not in reads:
        reads[name] = (read(), depends_on)
    return reads[name][0]


def watch(session_factory) -> None:
    """Forget the kept reads of sessions made by `session_factory` when they go stale (once)."""
    if not event.contains(session_factory, "after_flush", _written):
        event.listen(session_factory, "after_flush", _written)
        event.listen(session_factory, "after_transaction_end", _ended)
        event.listen(session_factory, "after_soft_rollback", _forget)


def _written(session: Session, _flush_context) -> None:
    """A flush that writes rows of a kind a kept read depends on makes it be read again."""
    reads = session.info.get(KEPT)
    if not reads:
        return
    written = {type(row) for row in (*session.new, *session.dirty, *session.deleted)}
    for name, (_value, depends_on) in list(reads.items()):
        if any(issubclass(kind, depends_on) for kind in written):
            del reads[name]


def _ended(session: Session, transaction) -> None:
    """At the end of the outermost transaction, not of a savepoint."""
    if transaction.parent is None:
        _forget(session)


def _forget(session: Session, _previous_transaction=None) -> None:
    session.info.pop(KEPT, None)
