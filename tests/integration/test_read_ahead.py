"""The read-ahead process: messages in order, raw and attachments stored, failures reported,
and no process left behind when the poller is killed."""
from __future__ import annotations

import hashlib
import os
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
