"""The read-ahead process: messages in order, raw and attachments stored, failures reported,
and no process left behind when the poller is killed."""
from __future__ import annotations

import hashlib
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.storage import BlobStore
from mail_ingest.read_ahead import ReadAheadStores, read_ahead
from mail_ingest.sources import SourceError
from tests import mail_corpus as corpus

ROOT = Path(__file__).resolve().parents[2]


def _stores(tmp_path, limit=1024 * 1024) -> ReadAheadStores:
    return ReadAheadStores(tmp_path / "raw", tmp_path / "attachments", limit)


def _uids(dovecot, user) -> list[str]:
    with dovecot.box(user) as box:
        return list(box.uids("ALL"))


def test_messages_come_in_order_with_raw_and_attachments_stored(dovecot, imap_user, tmp_path):
    pdf = b"%PDF-1.4 " + os.urandom(200_000)  # a large body: decoded from the raw file
    dovecot.append(imap_user, *[corpus.simple(subject=f"pedido {i}") for i in range(12)],
                   corpus.with_attachment(filename="informe.pdf", data=pdf))
    uids = _uids(dovecot, imap_user)
    stats: dict = {}
    items = list(read_ahead(dovecot.url(imap_user), uids, _stores(tmp_path), stats))
    assert [item.uid for item in items] == uids
    assert [item.parsed.subject for item in items[:12]] == [f"pedido {i}" for i in range(12)]
    for item in items:
        assert BlobStore(tmp_path / "raw").path_for(item.blob.sha256).is_file()
    [part] = items[-1].parsed.attachments
    assert part.stored.sha256 == hashlib.sha256(pdf).hexdigest() and part.stored.size == len(pdf)
    assert BlobStore(tmp_path / "attachments").path_for(part.stored.sha256).read_bytes() == pdf
    assert part.data is None  # the bytes stayed on disk, not copied back to the poller
    assert stats["reader_peak_rise_kb"] >= 0


def test_an_attachment_over_the_limit_is_left_for_the_poller_to_report(dovecot, imap_user,
                                                                       tmp_path):
    dovecot.append(imap_user, corpus.with_attachment(data=b"x" * 5000))
    [item] = read_ahead(dovecot.url(imap_user), _uids(dovecot, imap_user),
                        _stores(tmp_path, limit=1000))
    [part] = item.parsed.attachments
    assert part.stored is None and part.size == 5000
    assert not (tmp_path / "attachments").exists() or not any(
        p.is_file() and not p.name.startswith(".") for p in (tmp_path / "attachments").rglob("*"))


def test_a_message_expunged_meanwhile_comes_back_empty(dovecot, imap_user, tmp_path):
    dovecot.append(imap_user, corpus.simple(subject="uno"))
    [item] = read_ahead(dovecot.url(imap_user), ["999999"], _stores(tmp_path))
    assert item.uid == "999999" and item.blob is None and item.parsed is None


def test_a_mailbox_the_reader_cannot_open_is_a_source_error(dovecot, imap_user, tmp_path):
    dovecot.append(imap_user, corpus.simple())
    url = dovecot.url(imap_user).replace(":secreto@", ":wrong@")
    with pytest.raises(SourceError, match="reading"):
        list(read_ahead(url, _uids(dovecot, imap_user), _stores(tmp_path)))


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except FileNotFoundError:
        return []


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def test_the_reader_ends_when_its_poller_is_killed(world, dovecot, imap_user, app, tmp_path):
    from tests.integration.test_ingest_resilience import _poller_env

    dovecot.append(imap_user, *[corpus.simple(subject=f"pedido {i}") for i in range(300)])
    from app.extensions import db

    db.session.commit()  # release the SQLite write lock for the subprocess
    env = _poller_env(app, dovecot.url(imap_user), tmp_path)
    poller = subprocess.Popen([sys.executable, "-m", "flask", "mail", "poll", "--once"],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not (children := _children(poller.pid)) and time.monotonic() < deadline:
        assert poller.poll() is None, "the poller ended before it read ahead"
        time.sleep(0.05)
    assert children, "no read-ahead process appeared"
    poller.send_signal(signal.SIGKILL)
    poller.wait(timeout=10)
    deadline = time.monotonic() + 15
    while any(_running(c) for c in children) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_running(c) for c in children)


def _descriptor_targets(pid: int) -> list[str]:
    folder = Path(f"/proc/{pid}/fd")
    targets = []
    for fd in folder.iterdir():
        try:
            targets.append(os.readlink(fd))
        except OSError:
            continue  # closed meanwhile
    return targets


def _connections(pid: int) -> set[tuple[int, int]]:
    """(local port, remote port) of each TCP socket process `pid` holds. Both count: Linux
    gives two connections to different servers the same local port when it can, so a local
    port alone could name the child's IMAP connection as well as the lock holder's."""
    inodes = {t[len("socket:["):-1] for t in _descriptor_targets(pid) if t.startswith("socket:[")}
    ports = set()
    for table in ("tcp", "tcp6"):
        for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            if fields[9] in inodes:
                ports.add((int(fields[1].rsplit(":", 1)[1], 16),
                           int(fields[2].rsplit(":", 1)[1], 16)))
    return ports


def _lock_holder_port() -> int:
    """The client port of the database session holding an advisory lock."""
    from sqlalchemy import text

    from app.extensions import db

    with db.engine.connect() as conn:
        return conn.execute(text(
            "SELECT a.client_port FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND a.datname = current_database()")).scalar_one()


def test_the_reader_holds_neither_the_lock_nor_the_pollers_connections(app, dovecot, imap_user,
                                                                       tmp_path):
    import multiprocessing

    from app.extensions import db
    from mail_ingest.locks import mailbox_lock
    from mail_ingest.sources import mailbox_name

    dovecot.append(imap_user, *[corpus.simple(subject=f"pedido {i}") for i in range(20)])
    url = dovecot.url(imap_user)
    with mailbox_lock(mailbox_name(url)):
        fetched = read_ahead(url, _uids(dovecot, imap_user), _stores(tmp_path))
        next(fetched)
        [child] = [c for c in multiprocessing.active_children() if c.name == "soporte-read-ahead"]
        if db.engine.dialect.name == "postgresql":
            server_port = db.engine.url.port or 5432
            assert (_lock_holder_port(), server_port) not in _connections(child.pid)
        else:
            lock_files = [t for t in _descriptor_targets(child.pid) if "/locks/mailbox-" in t]
            assert lock_files == []
        fetched.close()
    assert not child.is_alive()


def test_the_reader_ends_when_its_poller_is_gone_even_with_the_pipe_full(dovecot, imap_user,
                                                                        tmp_path):
    """The poller here is a process forked from the test that stops reading and is killed:
    the reader, blocked writing a message larger than the pipe holds, must end at once."""
    body = "x" * 200_000  # one message fills the pipe
    dovecot.append(imap_user, *[corpus.simple(subject=f"grande {i}", body=body)
                                for i in range(6)])
    uids = _uids(dovecot, imap_user)
    url = dovecot.url(imap_user)
    report_r, report_w = os.pipe()
    poller = os.fork()
    if poller == 0:  # the "poller": take one message, report its reader, then hang
        try:
            os.close(report_r)
            fetched = read_ahead(url, uids, _stores(tmp_path))
            next(fetched)
            [child] = _children(os.getpid())
            os.write(report_w, str(child).encode())
            time.sleep(600)
        finally:
            os._exit(0)
    os.close(report_w)
    try:
        ready, _, _ = select.select([report_r], [], [], 60)
        reader = int(os.read(report_r, 32) or b"0") if ready else 0
        assert reader, "the poller did not start its reader"
        time.sleep(1)  # the reader has written ahead and waits on the full pipe
    finally:
        os.close(report_r)
        os.kill(poller, signal.SIGKILL)
        os.waitpid(poller, 0)
    deadline = time.monotonic() + 10  # a bound for the kernel, not a timing
    while _running(reader) and time.monotonic() < deadline:
        time.sleep(0.1)
    survived = _running(reader)
    if survived:
        os.kill(reader, signal.SIGKILL)  # leave no orphan behind a failing test
    assert not survived
