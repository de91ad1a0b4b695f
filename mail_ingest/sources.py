"""Where mail comes from: an IMAP folder (imap-tools) or a local Maildir, named by one URL.

`imap://user:pass@host:143/INBOX` plain, `imap+starttls://…` STARTTLS,
`imaps://…:993/INBOX` TLS (`?cafile=/path.pem` trusts a private CA);
`maildir:///absolute/path`. Messages are read without setting \\Seen and
marked only after their outcome is committed.
"""
from __future__ import annotations

import contextlib
import logging
import os
import re
import ssl
import time
from dataclasses import dataclass
from pathlib import Path

from imap_tools import MailBox, MailBoxStartTls, MailBoxUnencrypted
from imap_tools.errors import MailboxFetchError, MailboxFlagError
from imap_tools.utils import check_command_status

from app.services.mailbox_urls import (  # noqa: F401 - the poller's names for them
    InboxURL, SourceError, mailbox_name, parse_inbox_url, same_server, split_password,
    with_password)

log = logging.getLogger(__name__)

INGESTED_KEYWORD = "SoporteIngested"
_FETCH_SIZE = re.compile(rb"UID (\d+).*RFC822\.SIZE (\d+)|RFC822\.SIZE (\d+).*UID (\d+)")


@dataclass(frozen=True)
class Pending:
    """A message waiting in the source: its id there and its size in bytes."""

    uid: str
    size: int


def open_source(url: str, timeout: float = 60):
    """The source for an inbox URL (not yet connected: use it as a context manager)."""
    config = parse_inbox_url(url)
    if config.scheme == "maildir":
        return MaildirSource(config)
    return ImapSource(config, timeout)


class ImapSource:
    """An IMAP folder through imap-tools."""

    ordered = True  # UIDs only ascend: a poll starts above the high-water mark

    def __init__(self, config: InboxURL, timeout: float = 60):
        self.config = config
        self.name = config.name
        self.timeout = timeout
        self.box = None

    def __enter__(self) -> ImapSource:
        cfg = self.config
        try:
            if cfg.scheme == "imaps":
                self.box = MailBox(cfg.host, cfg.port, timeout=self.timeout,
                                   ssl_context=self._ssl_context())
            elif cfg.scheme == "imap+starttls":
                self.box = MailBoxStartTls(cfg.host, cfg.port, timeout=self.timeout,
                                           ssl_context=self._ssl_context())
            else:
                self.box = MailBoxUnencrypted(cfg.host, cfg.port, timeout=self.timeout)
            self.box.login(cfg.user, cfg.password, initial_folder=cfg.folder)
        except Exception as error:
            raise SourceError(f"cannot open {self.name}: {error}") from error
        return self

    def __exit__(self, *exc) -> None:
        if self.box is not None:
            try:
                self.box.logout()
            except Exception:  # the connection may already be gone; nothing to keep
                log.debug("logout from %s failed", self.name, exc_info=True)
            self.box = None

    def _ssl_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=self.config.cafile)
        return context

    def uidvalidity(self) -> int:
        """The folder's UIDVALIDITY: UIDs are only meaningful together with it."""
        return int(self.box.folder.status(self.config.folder, ["UIDVALIDITY"])["UIDVALIDITY"])

    def listing(self, above: int = 0) -> list[str]:
        """The folder's UIDs above `above` (a high-water mark; 0: all), ascending. The server is
        asked only for those: `UID SEARCH UID n:*` (which always answers the highest UID, even
        one below n: left out)."""
        criteria = f"UID {above + 1}:*" if above else "ALL"
        return sorted((uid for uid in self.box.uids(criteria) if int(uid) > above), key=int)

    def pending(self, uids: list[str]) -> list[Pending]:
        """These messages (not yet recorded, ascending) with their sizes, read before any
        download; one expunged meanwhile has size 0 (its download then finds nothing)."""
        sizes: dict[str, int] = {}
        for start in range(0, len(uids), 500):
            chunk = uids[start:start + 500]
            result = self.box.client.uid("fetch", ",".join(chunk), "(UID RFC822.SIZE)")
            check_command_status(result, MailboxFetchError)
            for item in result[1]:
                line = item[0] if isinstance(item, tuple) else item
                match = _FETCH_SIZE.search(line or b"")
                if match:
                    uid = match.group(1) or match.group(4)
                    size = match.group(2) or match.group(3)
                    sizes[uid.decode()] = int(size)
        return [Pending(uid, sizes.get(uid, 0)) for uid in uids]

    def unmarked(self, recorded: list[str], above: int = 0) -> list[str]:
        """Of these recorded messages (UIDs above `above`), those still without our flag: the
        poller stopped between commit and mark."""
        if not recorded:
            return []
        criteria = f"UID {above + 1}:* UNKEYWORD {INGESTED_KEYWORD}"
        flagless = set(self.box.uids(criteria if above else f"UNKEYWORD {INGESTED_KEYWORD}"))
        return [uid for uid in recorded if uid in flagless]

    def fetch(self, uid: str) -> bytes | None:
        """The raw message (BODY.PEEK: \\Seen is not set); None if it was expunged meanwhile."""
        result = self.box.client.uid("fetch", uid, "(BODY.PEEK[])")
        check_command_status(result, MailboxFetchError)
        for item in result[1]:
            if isinstance(item, tuple) and len(item) == 2:
                return item[1]
        return None

    def mark_done(self, uids: list[str]) -> None:
        """Flag messages read and ours, after their outcome is committed: a plain UID STORE.
        (imap-tools' `flag` sends EXPUNGE after it, which in a mailbox people share would erase
        for good whatever someone's mail client had only marked \\Deleted.)"""
        if not uids:
            return
        result = self.box.client.uid("STORE", ",".join(uids), "+FLAGS.SILENT",
                                     f"(\\Seen {INGESTED_KEYWORD})")
        check_command_status(result, MailboxFlagError)

    def wait(self, seconds: float, interruptible=contextlib.nullcontext) -> None:
        """IMAP IDLE until something arrives or the time passes (a plain sleep without IDLE).
        Only the waiting itself runs inside `interruptible()` (the stop's window,
        mail_ingest.shutdown): IDLE is started before it and always ended after it (DONE and
        the server's answer), so a stop never leaves the connection in IDLE, where the server
        takes nothing but DONE and the logout would wait for an answer that never comes."""
        if b"IDLE" not in {c.encode() if isinstance(c, str) else c
                           for c in self.box.client.capabilities}:
            with interruptible():
                time.sleep(seconds)
            return
        idle = self.box.idle
        idle.start()
        try:
            with interruptible():
                idle.poll(timeout=seconds)
        except BaseException:  # the stop (or a fault): end IDLE, keep what is propagating
            try:
                idle.stop()
            except Exception:
                log.warning("mailbox=%s: IDLE could not be ended", self.name, exc_info=True)
            raise
        idle.stop()


class MaildirSource:
    """A local Maildir (the embedded default): messages in new/ and cur/; done ones go to cur/ with S."""

    ordered = False  # file names: no high-water mark

    def __init__(self, config: InboxURL):
        self.config = config
        self.name = config.name
        self.root = Path(config.path)
        self._paths: dict[str, Path] = {}

    def __enter__(self) -> MaildirSource:
        try:
            for sub in ("tmp", "new", "cur"):
                (self.root / sub).mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise SourceError(f"cannot open {self.name}: {error}") from error
        return self

    def __exit__(self, *exc) -> None:
        return None

    def uidvalidity(self) -> int:
        """A Maildir has no UIDVALIDITY; its unique file names play the role of UIDs."""
        return 0

    def _files(self) -> dict[str, Path]:
        files = {}
        for sub in ("new", "cur"):
            with os.scandir(self.root / sub) as entries:
                for entry in entries:
                    if entry.is_file() and not entry.name.startswith("."):
                        files[entry.name.split(":", 1)[0]] = Path(entry.path)
        return files

    def listing(self, above: int = 0) -> list[str]:
        """Every message's name: names have no order, so no high-water mark applies (`above` is
        ignored) and each poll lists the folder whole."""
        self._paths = self._files()
        return list(self._paths)

    def pending(self, uids: list[str]) -> list[Pending]:
        """These messages (not yet recorded) with their sizes, oldest delivery first."""
        out = []
        for uid in uids:
            try:
                stat = self._paths[uid].stat()
            except (KeyError, FileNotFoundError):
                continue  # removed meanwhile
            out.append((stat.st_mtime, uid, stat.st_size))
        return [Pending(uid, size) for _mtime, uid, size in sorted(out)]

    def unmarked(self, recorded: list[str], above: int = 0) -> list[str]:
        """Of these recorded messages, those still in new/ (the poller stopped between commit and
        mark)."""
        return [uid for uid in recorded
                if uid in self._paths and self._paths[uid].parent.name == "new"]

    def fetch(self, uid: str) -> bytes | None:
        """The raw message, or None if it is gone."""
        if uid not in self._paths:
            self._paths = self._files()  # one listing for a whole batch, not one per message
        for path in (self._paths.get(uid), self._files().get(uid)):
            try:
                if path is not None:
                    return path.read_bytes()
            except FileNotFoundError:
                continue  # moved since the listing; look again
        return None

    def mark_done(self, uids: list[str]) -> None:
        """Move new/<uid> to cur/<uid>:2,S (the Maildir way of saying 'seen')."""
        for uid in uids:
            path = self._paths.get(uid)
            if path is None or not path.exists():
                path = self._files().get(uid)
            if path is not None and path.parent.name == "new":
                os.replace(path, self.root / "cur" / f"{uid}:2,S")

    def wait(self, seconds: float, interruptible=contextlib.nullcontext) -> None:
        """Sleep between polls (inside `interruptible()`, the stop's window)."""
        with interruptible():
            time.sleep(seconds)
