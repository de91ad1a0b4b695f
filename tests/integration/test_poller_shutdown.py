"""`flask mail poll` stops gracefully, as a real process against the real Dovecot: SIGTERM in the
middle of a batch finishes the message in hand (committed, flagged on the server, the mark moved
over it), stops before the next one, exits 0 and leaves no read-ahead process behind; a restart
takes the rest, each message once. SIGINT while it waits between polls ends it at once."""
from __future__ import annotations

import signal
import subprocess
import sys
import time

from sqlalchemy import func, select

from app.extensions import db
from app.models import InboundHighWater, InboundMessage
from mail_ingest.sources import INGESTED_KEYWORD
from tests import mail_corpus as corpus
from tests.integration.test_ingest_resilience import (ROOT, _assert_each_once, _poller_env,
                                                      _start_poller)
from tests.integration.test_read_ahead import _children, _running

LONG_BODY = "".join(f"{n:05} el servicio no responde, reintento en 30 s\n" for n in range(600))


def _start_continuous(env) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "flask", "mail", "poll"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def _recorded_uids() -> list[str]:
    uids = sorted(db.session.scalars(select(InboundMessage.uid)), key=int)
    db.session.rollback()  # hold no transaction while waiting: on SQLite it is the lock
    return uids


def _wait_for_records(poller, at_least: int, readers: list[int]) -> None:
    """Wait until the poller has recorded `at_least` messages, noting its read-ahead processes."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        readers.extend(pid for pid in _children(poller.pid) if pid not in readers)
        assert poller.poll() is None, poller.communicate()[0].decode()
        count = db.session.scalar(select(func.count()).select_from(InboundMessage))
        db.session.rollback()
        if count >= at_least:
            return
        time.sleep(0.05)
    raise AssertionError(f"the poller did not record {at_least} messages")


def test_sigterm_mid_batch_finishes_the_message_in_hand_and_loses_nothing(
        world, dovecot, imap_user, app, tmp_path):
    total = 600  # the poller takes a few a second more than the test sees: it must not finish
    dovecot.append(imap_user, *[corpus.simple(subject=f"parada {i}", body=LONG_BODY)
                                for i in range(total)])
    db.session.commit()  # release the SQLite write lock for the subprocesses
    env = _poller_env(app, dovecot.url(imap_user), tmp_path)
    env["SOPORTE_POLL_INTERVAL"] = "120"
    readers: list[int] = []
    poller = _start_continuous(env)
    try:
        _wait_for_records(poller, 5, readers)
        poller.send_signal(signal.SIGTERM)
        output = poller.communicate(timeout=120)[0].decode()
    finally:
        if poller.poll() is None:
            poller.kill()
            poller.wait()
    assert poller.returncode == 0, output
    assert "stopping before uid=" in output and "poller stopped" in output, output
    assert readers, "the poller never read ahead"
    deadline = time.monotonic() + 10  # a bound for the kernel to reap it, not a timing
    while any(_running(pid) for pid in readers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in readers if _running(pid)], "a read-ahead process outlived it"

    recorded = _recorded_uids()
    assert 5 <= len(recorded) < total  # it stopped in the middle of the batch
    assert recorded == [str(uid) for uid in range(1, len(recorded) + 1)]
    flagged = sorted((uid for uid, flags in dovecot.flags(imap_user).items()
                      if INGESTED_KEYWORD in flags), key=int)
    assert flagged == recorded  # the last one in hand was finished: committed and flagged
    assert db.session.scalar(select(InboundHighWater.uid)) == len(recorded)
    db.session.rollback()

    again = _start_poller(env)  # --once: the rest, nothing twice
    output = again.communicate(timeout=180)[0].decode()
    assert again.returncode == 0, output
    _assert_each_once(total)
    assert all(INGESTED_KEYWORD in flags for flags in dovecot.flags(imap_user).values())


def test_sigint_while_waiting_between_polls_ends_the_poller_at_once(world, dovecot, imap_user,
                                                                      app, tmp_path):
    dovecot.append(imap_user, corpus.simple(subject="antes de esperar"))
    db.session.commit()
    env = _poller_env(app, dovecot.url(imap_user), tmp_path)
    env["SOPORTE_POLL_INTERVAL"] = "600"  # only an interrupted wait ends within the test's bound
    poller = _start_continuous(env)
    try:
        _wait_for_records(poller, 1, [])
        time.sleep(1)  # in IMAP IDLE by now
        poller.send_signal(signal.SIGINT)
        output = poller.communicate(timeout=60)[0].decode()
    finally:
        if poller.poll() is None:
            poller.kill()
            poller.wait()
    assert poller.returncode == 0, output
    assert "poller stopped" in output and "Traceback" not in output, output
    assert _recorded_uids() == ["1"]
