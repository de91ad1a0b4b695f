"""One poller per mailbox at a time: a PostgreSQL advisory lock, or a file lock beside SQLite.

A lock must end with the process that took it, so a forked child (the read-ahead
process) must not keep it: a file lock lives as long as any process holds its file
descriptor, an advisory lock as long as any process holds its session's socket. Every
fork therefore drops, in the child, the descriptors of the locks its parent holds
(`_drop_inherited`, registered with os.register_at_fork): the descriptor number is
pointed at /dev/null rather than closed, so nothing the child might still run can touch a
reused number, and the parent's lock and session are left as they are.
"""
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


_held: dict[str, int] = {}  # mailbox name -> the descriptor that holds its lock, this process


def _drop_inherited() -> None:
    """In a forked child: let go of every lock descriptor inherited from the parent."""
    if not _held:
        return
    devnull = os.open(os.devnull, os.O_RDWR)
    try:
        for fd in _held.values():
            with contextlib.suppress(OSError):
                os.dup2(devnull, fd)
    finally:
        os.close(devnull)
    _held.clear()


os.register_at_fork(after_in_child=_drop_inherited)


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
            _held[name] = conn.connection.dbapi_connection.fileno()
            try:
                yield
            finally:
                _held.pop(name, None)
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                conn.commit()
        return
    folder = Path(current_app.instance_path) / "locks"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"mailbox-{hashlib.sha256(name.encode()).hexdigest()[:16]}.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise MailboxBusy(name) from None
        _held[name] = fd
        yield
    finally:
        if _held.get(name) == fd:  # not when this was a refused second attempt
            del _held[name]
        os.close(fd)
