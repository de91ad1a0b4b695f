"""A poller killed mid-batch leaves nothing behind: its read-ahead process ends with it, the
mailbox lock is free at once for the next poller, and every message is taken exactly once."""
from __future__ import annotations

import os
import random
import signal
import time

from app.extensions import db
from tests import mail_corpus as corpus
from tests.integration.test_ingest_resilience import _assert_each_once, _poller_env, _start_poller
from tests.integration.test_read_ahead import _children, _running

BUSY = "another poller is working on it"


def _wait_for_reader(poller) -> list[int]:
    """The poller's read-ahead processes, once it has one (it forks only while holding the
    mailbox lock); [] if the poller ended first."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        children = _children(poller.pid)
        if children or poller.poll() is not None:
            return children
        time.sleep(0.02)
    raise AssertionError("the poller neither read ahead nor ended")


def test_a_new_poller_takes_over_at_once_after_a_kill(world, dovecot, imap_user, app, tmp_path):
    total = 120
    log = "".join(f"{n:05} el servicio no responde, reintento en 30 s\n" for n in range(600))
    # real mail is larger than a pipe's buffer holds a few of (the case that hung the reader)
    dovecot.append(imap_user, *[corpus.simple(subject=f"relevo {i}", body=log)
                                for i in range(total)])
    db.session.commit()  # release the SQLite write lock for the subprocesses
    env = _poller_env(app, dovecot.url(imap_user), tmp_path)
    rng = random.Random()
    readers: list[int] = []
    try:
        kills = _kill_and_take_over(env, rng, readers)
        assert kills >= 1
        _assert_each_once(total)
        assert all("\\Seen" in f for f in dovecot.flags(imap_user).values())
        deadline = time.monotonic() + 10  # a bound for the kernel to reap them, not a timing
        while any(_running(pid) for pid in readers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [pid for pid in readers if _running(pid)], \
            "a read-ahead process outlived its poller"
    finally:
        for pid in readers:
            if _running(pid):
                os.kill(pid, signal.SIGKILL)  # leave no orphan behind a failing test


def _kill_and_take_over(env, rng, readers: list[int]) -> int:
    """Kill pollers at random moments of the batch, each followed at once by a new one that
    must find the mailbox free; the last runs to the end. Returns how many were killed."""
    kills = 0
    poller = _start_poller(env)
    try:
        for _ in range(4):
            children = _wait_for_reader(poller)
            if not children:  # it ended by itself: it must have worked, not found the lock held
                break
            readers += children
            time.sleep(rng.uniform(0.0, 1.5))  # a random moment of the batch
            poller.send_signal(signal.SIGKILL)
            poller.wait(timeout=30)
            kills += 1
            poller = _start_poller(env)  # at once: no waiting for anything to time out
        output = poller.communicate(timeout=180)[0].decode()
    finally:
        if poller.poll() is None:
            poller.kill()
            poller.wait()
    assert poller.returncode == 0 and BUSY not in output, output
    return kills
