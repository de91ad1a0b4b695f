"""One poller per mailbox at a time: a PostgreSQL advisory lock, or a file lock beside SQLite."""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
from pathlib import Path

from flask import current_app
from sqlalchemy import text

from app.extensions import db


class MailboxBusy(Exception):
    """Another poller holds this mailbox's lock."""


def _lock_key(name: str) -> int:
    """A signed 64-bit key derived from the mailbox name."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


@contextlib.contextmanager
def mailbox_lock(name: str):
    """Hold the mailbox's lock for the block; MailboxBusy at once if another poller has it."""
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect() as conn:
            key = _lock_key(name)
            if not conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar():
                raise MailboxBusy(name)
            conn.commit()  # the lock is per session; keep no transaction open
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                conn.commit()
        return
    folder = Path(current_app.instance_path) / "locks"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"mailbox-{hashlib.sha256(name.encode()).hexdigest()[:16]}.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise MailboxBusy(name) from None
        yield
    finally:
        os.close(fd)
