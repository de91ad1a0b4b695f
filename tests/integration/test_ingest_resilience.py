"""Exactly once under stress, against the real Dovecot: the nasty corpus, SIGKILL mid-batch,
two pollers at once, a UIDVALIDITY change, and the database going away mid-batch."""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import event, func, select, text

from app.extensions import db
from tests.conftest import on_backends
from app.models import Attachment, InboundMessage, InboundOutcome, Note, OutboxMessage, Ticket
from mail_ingest.locks import MailboxBusy, mailbox_lock
from mail_ingest import poller
from mail_ingest.poller import poll_once
from tests import mail_corpus as corpus

O = InboundOutcome
ROOT = Path(__file__).resolve().parents[2]


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _assert_each_once(expected: int) -> None:
    """Every message recorded once, one ticket each, one acknowledgement each."""
    db.session.expire_all()
    records = db.session.scalars(select(InboundMessage)).all()
    assert len(records) == expected
    assert len({(r.uidvalidity, r.uid) for r in records}) == expected
    assert [r.outcome for r in records] == [O.TICKET] * expected
    assert _count(Ticket) == expected
    assert len({r.ticket_id for r in records}) == expected
    acks = db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.kind == "acknowledgement"))
    assert acks == expected


def test_every_nasty_message_gets_exactly_one_outcome(world, dovecot, imap_user):
    messages = corpus.nasty_corpus()
    dovecot.append(imap_user, *messages.values())
    poll_once(dovecot.url(imap_user))
    db.session.expire_all()
    records = db.session.scalars(select(InboundMessage).order_by(InboundMessage.id)).all()
    assert len(records) == len(messages)
    by_name = dict(zip(messages, records))
    assert all(r.raw_sha256 for r in records)  # every raw source kept
    assert by_name["deep_nesting"].outcome is O.QUARANTINED
    assert by_name["many_parts"].outcome is O.QUARANTINED
    for name in ("gmail", "outlook", "apple", "forwarded", "latin1", "unknown_charset",
                 "eight_bit_headers", "rfc2231", "missing_boundary", "bad_base64", "truncated",
                 "no_message_id", "html_only", "attachment"):
        assert by_name[name].outcome is O.TICKET, name
    assert "camión" in by_name["latin1"].ticket.description
    assert by_name["html_only"].ticket.description.strip() == "Hola & buen día"
    names = set(db.session.scalars(select(Attachment.filename)))
    assert {"presupuesto año 2026.xlsx", "café.txt", "passwd", "image001.png",
            "IMG_0001.png"} <= names
    assert not any("/" in n or "\\" in n for n in names)


def test_quarantined_messages_can_be_retried(world, dovecot, imap_user, app):
    from app.services.mail_triage import retry_quarantined
    from mail_ingest.ingest import reprocess

    app.config["SOPORTE_INGEST_RATE_LIMIT"] = 1
    dovecot.append(imap_user, corpus.simple(subject="uno"), corpus.simple(subject="dos"))
    poll_once(dovecot.url(imap_user))
    held = db.session.scalars(select(InboundMessage).where(
        InboundMessage.outcome == O.QUARANTINED)).one()
    retried = retry_quarantined(world.admin, held.id, reprocess).record
    db.session.commit()
    assert retried.outcome is O.TICKET and retried.ticket.subject == "dos"


def _poller_env(app, inbox_url: str, tmp_path) -> dict:
    env = dict(os.environ)
    env.update({
        "FLASK_APP": "wsgi.py",
        "SOPORTE_CONFIG": "testing",
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "SOPORTE_INBOX_URL": inbox_url,
        "SOPORTE_MAIL_DIR": app.config["SOPORTE_MAIL_DIR"],
        "SOPORTE_ATTACHMENT_DIR": app.config["SOPORTE_ATTACHMENT_DIR"],
        "SOPORTE_SUPPORT_ADDRESS": app.config["SOPORTE_SUPPORT_ADDRESS"],
        "SOPORTE_INSTANCE_DIR": str(tmp_path / "instance"),
        "SOPORTE_INGEST_RATE_LIMIT": "1000",  # one sender sends them all
    })
    return env


def _start_poller(env) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "flask", "mail", "poll", "--once"], cwd=ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def test_a_poller_killed_at_any_moment_loses_and_repeats_nothing(world, dovecot, imap_user, app,
                                                                 tmp_path):
    total = 40
    dovecot.append(imap_user, *[corpus.simple(subject=f"pedido {i}") for i in range(total)])
    db.session.commit()  # release the SQLite write lock for the subprocesses
    env = _poller_env(app, dovecot.url(imap_user), tmp_path)
    rng = random.Random(7)
    kills = 0
    for _ in range(12):
        poller = _start_poller(env)
        time.sleep(rng.uniform(0.8, 2.2))
        if poller.poll() is None:
            poller.send_signal(signal.SIGKILL)
            kills += 1
        poller.wait(timeout=60)
        if poller.returncode == 0:
            break
    final = _start_poller(env)
    output = final.communicate(timeout=120)[0].decode()
    assert final.returncode == 0, output
    assert kills >= 1
    _assert_each_once(total)
    flags = dovecot.flags(imap_user)
    assert all("\\Seen" in f for f in flags.values())


def test_two_pollers_at_once(world, dovecot, imap_user, app, tmp_path):
    total = 30
    dovecot.append(imap_user, *[corpus.simple(subject=f"doble {i}") for i in range(total)])
    db.session.commit()
    env = _poller_env(app, dovecot.url(imap_user), tmp_path)
    pollers = [_start_poller(env) for _ in range(2)]
    outputs = [p.communicate(timeout=120)[0].decode() for p in pollers]
    assert [p.returncode for p in pollers] == [0, 0], outputs
    leftover = _start_poller(env)  # the poller that found the mailbox busy did nothing
    leftover.communicate(timeout=120)
    _assert_each_once(total)


def test_the_mailbox_lock_admits_one_poller(app):
    with mailbox_lock("imap://x@h/INBOX"):
        try:
            with mailbox_lock("imap://x@h/INBOX"):
                raise AssertionError("a second holder got the lock")
        except MailboxBusy:
            pass
    with mailbox_lock("imap://x@h/INBOX"):
        pass  # released after the first block


def test_a_uidvalidity_change_processes_nothing_twice(world, dovecot, imap_user):
    first = [corpus.simple(subject=f"antes {i}") for i in range(3)]
    with dovecot.box(imap_user) as box:
        box.folder.create("Soporte")
    dovecot.append(imap_user, *first, folder="Soporte")
    url = dovecot.url(imap_user, folder="Soporte")
    poll_once(url)
    with dovecot.box(imap_user) as box:
        box.folder.delete("Soporte")
        box.folder.create("Soporte")
    dovecot.append(imap_user, *first, corpus.simple(subject="nuevo"), folder="Soporte")
    poll_once(url)
    db.session.expire_all()
    records = db.session.scalars(select(InboundMessage).order_by(InboundMessage.id)).all()
    assert len({r.uidvalidity for r in records}) == 2
    assert [(r.outcome, r.reason) for r in records[3:]] == [(O.IGNORED, "duplicate")] * 3 + [
        (O.TICKET, None)]
    assert _count(Ticket) == 4


@on_backends("postgresql")
def test_the_database_going_away_mid_batch(dovecot, imap_user, database_urls, backend, tmp_path,
                                          monkeypatch):
    """PostgreSQL only: its server can cut a connection; SQLite is a file in the same process.
    At most two messages to a transaction, so that the cut falls in one of several."""
    from tests.conftest import make_test_app
    from tests.factories import make_world

    monkeypatch.setattr(poller, "RECORD_BATCH", 2)
    app = make_test_app(database_urls[backend], tmp_path)
    total = 6
    with app.app_context():
        try:
            make_world()
            dovecot.append(imap_user, *[corpus.simple(subject=f"corte {i}") for i in range(total)])
            inserts = {"n": 0}

            @event.listens_for(db.engine, "after_cursor_execute")
            def cut(conn, cursor, statement, *args):
                if statement.startswith("INSERT INTO note"):
                    inserts["n"] += 1
                    if inserts["n"] == 2:  # in the middle of the second batch (or message)
                        pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
                        with db.engine.connect().execution_options(
                                isolation_level="AUTOCOMMIT") as admin:
                            admin.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid})

            try:
                poll_once(dovecot.url(imap_user))
                raise AssertionError("the poller did not notice the database going away")
            except Exception as error:
                assert "terminat" in str(error).lower() or "closed" in str(error).lower()
            db.session.rollback()
            event.remove(db.engine, "after_cursor_execute", cut)
            # what was committed before is whole (each record with its ticket and note); the
            # transaction the cut fell in, rolled back, is taken by the next poll
            recorded = _count(InboundMessage)
            assert recorded < total
            assert _count(Ticket) == recorded and _count(Note) == recorded
            poll_once(dovecot.url(imap_user))
            _assert_each_once(total)
        finally:
            db.session.remove()
            from tests.conftest import _empty_tables

            _empty_tables()
            db.engine.dispose()


def test_a_stop_in_the_wait_ends_idle_before_leaving_so_the_logout_is_answered(dovecot,
                                                                              imap_user):
    """The stop may come while IDLE is being started (a SIGTERM right after a message was
    recorded): the wait ends IDLE (DONE, and the server's answer) before StopPolling leaves it,
    so the connection answers the next command and the logout at once. Left in IDLE, the
    server would take nothing but DONE and the logout would wait for ever."""
    from mail_ingest.shutdown import STOP, StopPolling
    from mail_ingest.sources import open_source

    STOP.reset()
    try:
        with open_source(dovecot.url(imap_user)) as source:
            idle = source.box.idle
            start = idle.start

            def start_then_sigterm():  # the signal arrives while IDLE is being started
                answer = start()
                STOP.ask(signal.SIGTERM)
                return answer

            idle.start = start_then_sigterm
            with pytest.raises(StopPolling):
                source.wait(60, STOP.waiting)
            assert source.listing() == []  # a command answered: IDLE was ended
    finally:
        STOP.reset()


def test_the_continuous_poller_wakes_on_imap_idle(world, dovecot, imap_user, app, tmp_path):
    env = _poller_env(app, dovecot.url(imap_user), tmp_path)
    env["SOPORTE_POLL_INTERVAL"] = "120"  # only IDLE can wake it within the test's wait
    db.session.commit()
    poller = subprocess.Popen([sys.executable, "-m", "flask", "mail", "poll"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(3)  # connected and idling
        dovecot.append(imap_user, corpus.simple(subject="llega durante IDLE"))
        found = 0
        for _ in range(150):
            found = _count(Ticket)
            db.session.rollback()  # hold no transaction while waiting: on SQLite it is the lock
            if found:
                break
            time.sleep(0.2)
        assert found == 1
    finally:
        poller.terminate()
        poller.wait(timeout=30)
