"""Graceful stop of the three workers, each a real `flask …` process: SIGTERM while an item is in
hand lets that item finish and be recorded, starts no other, and the process exits 0."""
from __future__ import annotations

import asyncio
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from app.extensions import db
from app.models import (OutboxMessage, OutboxStatus, TicketStatus, Urgency, WebhookDelivery,
                        WebhookDeliveryStatus)
from tests import factories
from tests.integration.test_webhooks import Receiver, register
from tests.conftest import on_backends

ROOT = Path(__file__).resolve().parents[2]


class Worker:
    """`flask <command>` in a process of its own on the test's database; its log lines (JSON)
    are read as they come."""

    def __init__(self, app, tmp_path, *command, **env):
        db.session.commit()  # SQLite: the test's transaction would hold the worker's lock
        db.session.remove()
        environment = dict(os.environ, FLASK_APP="wsgi.py", SOPORTE_CONFIG="testing",
                           DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
                           SOPORTE_INSTANCE_DIR=app.instance_path,  # its secret keys
                           SOPORTE_ATTACHMENT_DIR=app.config["SOPORTE_ATTACHMENT_DIR"],
                           SOPORTE_SUPPORT_ADDRESS="soporte@soporte.example",
                           SOPORTE_LOG_FORMAT="json", **env)
        self.process = subprocess.Popen([sys.executable, "-m", "flask", *command], cwd=ROOT,
                                        env=environment, stderr=subprocess.PIPE, text=True)
        self.lines: list[str] = []
        self._queue: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stderr:
            self.lines.append(line)
            self._queue.put(line)

    def wait_for_line(self, words: str, timeout: float = 60) -> dict:
        """The first log record (parsed) whose message contains `words`."""
        while True:
            try:
                line = self._queue.get(timeout=timeout)
            except queue.Empty:
                raise AssertionError(f"no log line with {words!r}; got: {self.lines}") from None
            record = json.loads(line)
            if words in record["message"]:
                return record

    def stop_and_wait(self) -> int:
        """SIGTERM, then its exit code once it has seen the signal and ended."""
        self.process.send_signal(signal.SIGTERM)
        self.wait_for_line("SIGTERM received")
        return self.process.wait(timeout=60)

    def records(self) -> list[dict]:
        """Every line it wrote, each parsed as JSON (a line that is not JSON fails the test)."""
        return [json.loads(line) for line in self.lines]

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def workers():
    started = []
    yield started
    for worker in started:
        worker.kill()


def _outbox():
    db.session.expire_all()
    rows = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    db.session.commit()
    return rows


def test_mail_send_finishes_the_message_in_hand_and_starts_no_other(app, world, smtp_server,
                                                                    tmp_path, workers):
    factories.ticket_in(world, TicketStatus.QUOTED)
    factories.ticket_in(world, TicketStatus.QUOTED)
    waiting = _outbox()
    assert len(waiting) >= 2 and all(r.status is OutboxStatus.PENDING for r in waiting)
    arrived, release = threading.Event(), threading.Event()
    accept = smtp_server.handler.handle_DATA

    async def held(*args):  # the worker is mid-send until the test releases it
        arrived.set()
        while not release.is_set():
            await asyncio.sleep(0.05)
        return await accept(*args)

    smtp_server.handler.handle_DATA = held
    worker = Worker(app, tmp_path, "mail", "send", SOPORTE_SMTP_URL=smtp_server.url)
    workers.append(worker)
    assert arrived.wait(timeout=60), worker.lines
    worker.process.send_signal(signal.SIGTERM)
    worker.wait_for_line("SIGTERM received")
    release.set()
    assert worker.process.wait(timeout=60) == 0
    rows = _outbox()
    assert [r.status for r in rows] == [OutboxStatus.SENT] + [OutboxStatus.PENDING] * (len(rows) - 1)
    assert [r.attempts for r in rows[1:]] == [0] * (len(rows) - 1)  # never claimed
    assert [m["Message-ID"] for m in smtp_server.messages] == [rows[0].message_id]
    [sent] = [r for r in worker.records() if r["message"].startswith("sent outbox=")]
    assert sent["outbox_id"] == rows[0].id and sent["logger"] == "app.mail.worker"


def test_webhooks_send_finishes_the_delivery_in_hand_and_starts_no_other(app, world, tmp_path,
                                                                         workers):
    app.config["SOPORTE_WEBHOOKS_ALLOWED_NETWORKS"] = "127.0.0.1/32"
    arrived, release = threading.Event(), threading.Event()

    def held_answer():
        arrived.set()
        release.wait(timeout=60)
        return 200

    with Receiver() as receiver:
        register(world, receiver.url, ["ticket.created"])
        factories.new_ticket(world)
        factories.new_ticket(world)
        receiver.answers.put(held_answer)
        worker = Worker(app, tmp_path, "webhooks", "send",
                        SOPORTE_WEBHOOKS_ALLOWED_NETWORKS="127.0.0.1/32",
                        SOPORTE_WEBHOOKS_TIMEOUT="120")
        workers.append(worker)
        assert arrived.wait(timeout=60), worker.lines
        worker.process.send_signal(signal.SIGTERM)
        worker.wait_for_line("SIGTERM received")
        release.set()
        assert worker.process.wait(timeout=60) == 0
        assert len(receiver.requests) == 1
    db.session.expire_all()
    deliveries = db.session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)).all()
    assert [(d.status, d.attempts) for d in deliveries] == [
        (WebhookDeliveryStatus.DELIVERED, 1), (WebhookDeliveryStatus.PENDING, 0)]
    db.session.commit()


def _hold_the_ticket_table(app):
    """A connection of the test's own holding an exclusive lock on the ticket table, so the
    worker's run waits (in the middle of its transaction) until released."""
    engine = create_engine(make_url(app.config["SQLALCHEMY_DATABASE_URI"]))
    connection = engine.connect()
    connection.execute(text("LOCK TABLE ticket IN ACCESS EXCLUSIVE MODE"))

    def release():
        connection.commit()
        connection.close()
        engine.dispose()
    return release


def _wait_until_waiting_for_the_lock(app) -> None:
    """Until another connection waits for a lock on the ticket table (the worker, mid-run)."""
    engine = create_engine(make_url(app.config["SQLALCHEMY_DATABASE_URI"]))
    try:
        with engine.connect() as connection:
            for _ in range(600):
                waiting = connection.execute(text(
                    "SELECT count(*) FROM pg_locks WHERE NOT granted "
                    "AND relation = 'ticket'::regclass")).scalar()
                connection.rollback()
                if waiting:
                    return
                time.sleep(0.1)
    finally:
        engine.dispose()
    raise AssertionError("the worker never waited for the ticket table")


@on_backends("postgresql")  # holds a run mid-way with a table lock; SQLite's lock wait is one
# C call, in which no signal is seen
def test_sla_tick_finishes_the_run_in_hand_and_starts_no_other(app, backend, world, tmp_path,
                                                               workers):
    factories.new_ticket(world, urgency=Urgency.CRITICAL)  # a digest has something to say
    release = _hold_the_ticket_table(app)
    try:
        worker = Worker(app, tmp_path, "sla", "tick", SOPORTE_SLA_DIGEST_TIME="00:00",
                        SOPORTE_SLA_TICK_SECONDS="1")
        workers.append(worker)
        worker.wait_for_line("sla tick: running")  # the run starts now and waits for the lock
        _wait_until_waiting_for_the_lock(app)  # then it is in the middle of its run
        worker.process.send_signal(signal.SIGTERM)
        worker.wait_for_line("SIGTERM received")
    finally:
        release()
    assert worker.process.wait(timeout=60) == 0
    digests = [r for r in _outbox() if r.kind == "sla_digest"]
    assert len(digests) == 1, "".join(worker.lines)  # the run in hand was committed
    assert not [r for r in worker.records() if r["level"] == "ERROR"]


def test_sla_tick_stops_in_its_pause_between_runs(app, world, tmp_path, workers):
    factories.new_ticket(world, urgency=Urgency.CRITICAL)
    worker = Worker(app, tmp_path, "sla", "tick", SOPORTE_SLA_DIGEST_TIME="00:00",
                    SOPORTE_SLA_TICK_SECONDS="3600")
    workers.append(worker)
    for _ in range(600):  # the first run commits its digest, then the hour's pause begins
        if any(r.kind == "sla_digest" for r in _outbox()):
            break
        time.sleep(0.1)
    assert worker.stop_and_wait() == 0  # not an hour later
    assert [r.kind for r in _outbox()].count("sla_digest") == 1
