"""Reading ahead: a child process downloads, stores and parses the next messages while the
poller records the current one in the database, and writes their attachments to the store.

Recording a message is database work; downloading and parsing the next one needs
only the mailbox and the disk, so a second process (a second core) does it,
a few messages ahead, in the same order. It opens its own connection to the
mailbox and only reads it (BODY.PEEK): marking stays with the poller, after
each commit, so the exactly-once rules do not change. Raw messages are stored
by their hash, so a message read ahead but never recorded (the poller stopped)
is simply read again, and stored once, on the next run (the same holds for its attachments:
a file stored ahead for a message that is then quarantined is an unreferenced blob, reused if
the message is retried).

The child ends when the poller stops reading from it, and on its own when the
poller's process is gone (say, killed with SIGKILL).
"""
from __future__ import annotations

import multiprocessing
import queue
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from app.storage import BlobStore, StoredBlob, TooLarge
from mail_ingest.parse import ParsedEmail, parse_stored
from mail_ingest.sources import SourceError, open_source

AHEAD = 8  # messages read ahead at most: memory stays bounded (raw bodies are on disk)
POLL_PARENT_S = 1.0


@dataclass(frozen=True)
class ReadAheadStores:
    """Where the reader writes: raw messages, attachments (and the attachment size limit)."""

    raw_dir: Path
    attachment_dir: Path
    attachment_max_bytes: int


@dataclass(frozen=True)
class Fetched:
    """One message read ahead: its raw source stored and parsed (both None if it was gone)."""

    uid: str
    blob: StoredBlob | None
    parsed: ParsedEmail | None


@dataclass(frozen=True)
class _Failed:
    error: str


@dataclass(frozen=True)
class _Finished:
    peak_rise_kb: int


def read_ahead(url: str, uids: list[str], stores: ReadAheadStores, stats: dict | None = None
               ) -> Iterator[Fetched]:
    """Yield the messages `uids` of the mailbox at `url` in order, fetched by a child process,
    their raw source and their attachments already stored.

    Raises SourceError when the child cannot read the mailbox (the messages not yet
    yielded stay waiting). `stats`, if given, receives the child's peak memory rise.
    """
    if not uids:
        return
    context = multiprocessing.get_context("fork")  # no re-import: the child starts at once
    channel = context.Queue(maxsize=AHEAD)
    child = context.Process(target=_reader, args=(url, uids, stores, channel),
                            name="soporte-read-ahead", daemon=True)
    child.start()
    try:
        for position, expected in enumerate(uids):
            item = _next(channel, child)
            if isinstance(item, _Failed):
                raise SourceError(item.error)
            if item.uid != expected:  # cannot happen: one child, one queue, in order
                raise SourceError(f"read ahead out of order: {item.uid} for {expected}")
            if position == len(uids) - 1:  # the child's report follows the last message
                finished = _next(channel, child)
                if stats is not None and isinstance(finished, _Finished):
                    stats["reader_peak_rise_kb"] = finished.peak_rise_kb
            yield item
    finally:
        if child.is_alive():
            child.terminate()
        child.join(5)
        channel.close()
        channel.join_thread()


def _next(channel, child):
    while True:
        try:
            return channel.get(timeout=POLL_PARENT_S)
        except queue.Empty:
            if not child.is_alive():
                raise SourceError(f"the read-ahead process ended (exit code {child.exitcode})")


def _reader(url: str, uids: list[str], stores: ReadAheadStores, channel) -> None:
    """The child: fetch, store and parse each message, handing it over in order."""
    parent = multiprocessing.parent_process()
    start_kb = _memory_kb("VmHWM")
    store = BlobStore(stores.raw_dir)
    attachments = BlobStore(stores.attachment_dir)
    try:
        with open_source(url) as source:
            for uid in uids:
                raw = source.fetch(uid)
                if raw is None:
                    item = Fetched(uid, None, None)
                else:
                    blob = store.put_bytes(raw)
                    del raw  # parsed from disk: large bodies are never all in memory
                    parsed = parse_stored(store.path_for(blob.sha256))
                    _store_attachments(parsed, attachments, stores.attachment_max_bytes)
                    item = Fetched(uid, blob, parsed)
                if not _hand_over(channel, item, parent):
                    return
    except Exception as error:  # the connection dropped, the disk is full…: the poller says so
        _hand_over(channel, _Failed(f"reading {url.split('@')[-1]} failed: {error!r}"), parent)
        return
    _hand_over(channel, _Finished(_memory_kb("VmHWM") - start_kb), parent)


def _store_attachments(parsed: ParsedEmail, store: BlobStore, limit: int) -> None:
    """Write each attachment to the attachment store now (decoding, hashing: the second core's
    work); one over the limit is left for the poller to report."""
    for part in parsed.attachments:
        try:
            with closing(part.open()) as stream:
                part.stored = store.put_stream(stream, limit)
        except TooLarge:
            continue
        part.data = None  # the bytes are on disk now: nothing to copy to the poller


def _hand_over(channel, item, parent) -> bool:
    """Put the item on the queue, waiting while it is full; False once the parent is gone."""
    while True:
        try:
            channel.put(item, timeout=POLL_PARENT_S)
            return True
        except queue.Full:
            if parent is not None and not parent.is_alive():
                return False


def _memory_kb(field: str) -> int:
    """VmHWM (peak) or VmRSS of this process, from /proc (0 where there is none)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0
