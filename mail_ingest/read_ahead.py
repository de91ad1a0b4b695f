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

The child ends with the poller, however the poller ends (a SIGKILL included), and holds
nothing the next poller needs: the kernel kills it when its parent dies (PR_SET_PDEATHSIG on
Linux; elsewhere it checks its parent before each message); it writes to a pipe whose reading
end only the poller holds, so a write fails rather than waits once the poller is gone; and it
keeps neither the mailbox lock's descriptor nor the poller's database connections (see
mail_ingest.locks and app.database, which drop them in every forked child). The pipe also
bounds how far it reads ahead: it waits while the poller has not taken what it wrote.
"""
from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from app.storage import BlobStore, StoredBlob, TooLarge
from mail_ingest.parse import ParsedEmail, parse_stored
from mail_ingest.sources import SourceError, open_source

POLL_CHILD_S = 1.0  # how often the poller, waiting for the next message, checks the child
PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


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
               ) -> "ReadAhead":
    """The messages `uids` of the mailbox at `url`, in order, fetched by a child process, their
    raw source and their attachments already stored (see ReadAhead)."""
    return ReadAhead(url, uids, stores, stats)


class ReadAhead:
    """An iterator over the messages read ahead, each a Fetched; close() ends the child.

    Taking the next message raises SourceError when the child cannot read the mailbox (the
    messages not yet taken stay waiting). `stats`, if given, receives the child's peak memory
    rise. ready() says whether the next message is already handed over, so that the poller
    can commit what it holds before it would wait (mail_ingest.poller).
    """

    def __init__(self, url: str, uids: list[str], stores: ReadAheadStores,
                 stats: dict | None = None):
        self._uids, self._stats, self._position = list(uids), stats, 0
        self._receiver = self._child = None
        if not self._uids:
            return
        context = multiprocessing.get_context("fork")  # no re-import: the child starts at once
        self._receiver, sender = context.Pipe(duplex=False)
        self._child = context.Process(
            target=_reader, args=(url, self._uids, stores, self._receiver, sender, os.getpid()),
            name="soporte-read-ahead", daemon=True)
        self._child.start()
        sender.close()  # the child holds the only writing end: its end is our end of file

    def __iter__(self) -> "ReadAhead":
        return self

    def __next__(self) -> Fetched:
        if self._position >= len(self._uids):
            raise StopIteration
        try:
            item = _next(self._receiver, self._child)
            if isinstance(item, _Failed):
                raise SourceError(item.error)
            expected = self._uids[self._position]
            if item.uid != expected:  # cannot happen: one child, one pipe, in order
                raise SourceError(f"read ahead out of order: {item.uid} for {expected}")
        except SourceError:
            self.close()
            raise
        self._position += 1
        if self._position == len(self._uids):  # the child's report follows the last message
            finished = _next(self._receiver, self._child)
            if self._stats is not None and isinstance(finished, _Finished):
                self._stats["reader_peak_rise_kb"] = finished.peak_rise_kb
        return item

    def ready(self) -> bool:
        """True when the next message is already handed over: taking it will not wait."""
        return (self._position < len(self._uids) and not self._receiver.closed
                and self._receiver.poll(0))

    def close(self) -> None:
        """End the child (at once: it only reads, so nothing is lost)."""
        if self._receiver is None or self._receiver.closed:
            return
        self._receiver.close()  # the child's next write fails: it ends
        if self._child.is_alive():
            self._child.kill()  # it ignores SIGTERM (see _reader)
        self._child.join(5)


def _next(receiver, child):
    """The child's next item, waiting while it works; SourceError once it is gone."""
    while not receiver.poll(POLL_CHILD_S):
        if not child.is_alive():
            break
    try:
        return receiver.recv()
    except EOFError:
        child.join(1)
        raise SourceError(f"the read-ahead process ended (exit code {child.exitcode})") from None


def _reader(url: str, uids: list[str], stores: ReadAheadStores, receiver, sender,
            parent_pid: int) -> None:
    """The child: fetch, store and parse each message, handing it over in order. It ignores
    SIGTERM and SIGINT, which a service manager or a terminal sends to the whole group: the
    poller, stopping gracefully, may still be waiting for the message in hand
    (mail_ingest.shutdown), and ends the child itself."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _end_with_parent(parent_pid)
    receiver.close()  # only the poller reads: with its end gone, writing fails at once
    start_kb = _memory_kb("VmHWM")
    store = BlobStore(stores.raw_dir)
    attachments = BlobStore(stores.attachment_dir)
    try:
        with open_source(url) as source:
            for uid in uids:
                if os.getppid() != parent_pid:
                    return
                raw = source.fetch(uid)
                if raw is None:
                    item = Fetched(uid, None, None)
                else:
                    blob = store.put_bytes(raw)
                    del raw  # parsed from disk: large bodies are never all in memory
                    parsed = parse_stored(store.path_for(blob.sha256))
                    _store_attachments(parsed, attachments, stores.attachment_max_bytes)
                    item = Fetched(uid, blob, parsed)
                if not _hand_over(sender, item, parent_pid):
                    return
    except Exception as error:  # the connection dropped, the disk is full…: the poller says so
        _hand_over(sender, _Failed(f"reading {url.split('@')[-1]} failed: {error!r}"),
                   parent_pid)
        return
    _hand_over(sender, _Finished(_memory_kb("VmHWM") - start_kb), parent_pid)


def _end_with_parent(parent_pid: int) -> None:
    """Ask the kernel to kill this process when its parent dies (Linux), and end now if the
    parent is already gone (it may have died before the request was made). The kernel ties the
    signal to the thread that forked, which is the one that reads from the child."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass  # the getppid checks in the loop remain
    if os.getppid() != parent_pid:
        os._exit(0)


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


def _hand_over(sender, item, parent_pid: int) -> bool:
    """Write the item to the poller, waiting while it has not read the previous ones; False
    once the poller is gone (the write fails: nobody else holds the reading end)."""
    if os.getppid() != parent_pid:
        return False
    try:
        sender.send(item)
    except OSError:  # BrokenPipeError: the poller is gone
        return False
    return True


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
