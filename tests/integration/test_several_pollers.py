"""Several pollers against one PostgreSQL, as on several machines (issue 15): each reads every
mailbox the administrators added, the mailbox locks let one poller at a time read a mailbox, and
every message of every mailbox is taken exactly once (real processes, a real Dovecot)."""
from __future__ import annotations

import re
import time

from cryptography.fernet import Fernet
from sqlalchemy import func, select

from app import encryption
from app.extensions import db
from app.models import InboundHighWater, InboundMessage, InboundOutcome, Mailbox, Ticket
from mail_ingest.sources import mailbox_name
from tests import mail_corpus as corpus
from tests.dovecot import PASSWORD
from tests.integration.test_ingest_resilience import _poller_env, _start_poller
from tests.conftest import on_backends

PER_MAILBOX = 80
BUSY = "another poller is working on it"
LONG_BODY = "".join(f"{n:05} la impresora no imprime, reintento en 30 s\n" for n in range(300))


def _wait_until_working_on(name: str, poller) -> None:
    """Wait until the poller has recorded a message of this mailbox (it holds its lock)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert poller.poll() is None, poller.communicate()[0].decode()
        found = db.session.scalar(select(func.count()).select_from(InboundMessage).where(
            InboundMessage.mailbox == name))
        db.session.rollback()
        if found:
            return
        time.sleep(0.02)
    raise AssertionError(f"the first poller did not start on {name}")


def _processed(output: str, name: str) -> int:
    """How many messages of this mailbox the poller's summary says it took."""
    [line] = [line for line in output.splitlines() if line.startswith(f"{name}: ")]
    return sum(int(n) for n in re.findall(r"\b[a-z]+ (\d+)", line.split(": ", 1)[1]))


@on_backends("postgresql")  # several machines share a PostgreSQL (its advisory locks)
def test_two_pollers_on_two_mailboxes_take_each_message_once(world, dovecot, app, tmp_path,
                                                              backend):
    key = Fernet.generate_key().decode()
    app.config["SOPORTE_ENCRYPTION_KEYS"] = key
    encryption.init_app(app)
    users = [dovecot.new_user(), dovecot.new_user()]
    names = []
    for number, user in enumerate(users):
        dovecot.append(user, *[corpus.simple(subject=f"buzón {number}, pedido {i}",
                                             body=LONG_BODY) for i in range(PER_MAILBOX)])
        mailbox = Mailbox(name=f"Buzón {number}", url=dovecot.url(user).replace(
            f":{PASSWORD}@", "@"))
        mailbox.set_password(PASSWORD)
        db.session.add(mailbox)
        names.append(mailbox_name(dovecot.url(user)))
    db.session.commit()

    pollers = []
    for machine in ("a", "b"):  # each its own instance folder, as on its own machine
        env = _poller_env(app, "", tmp_path / machine)
        env.update(SOPORTE_INBOX_URL="", SOPORTE_ENCRYPTION_KEYS=key)
        pollers.append(env)
    first, second = _start_poller(pollers[0]), None
    try:
        _wait_until_working_on(names[0], first)  # it holds the first mailbox now
        second = _start_poller(pollers[1])
        outputs = [first.communicate(timeout=300)[0].decode(),
                   second.communicate(timeout=300)[0].decode()]
    finally:
        for poller in (first, second):
            if poller is not None and poller.poll() is None:
                poller.kill()
                poller.wait()
    assert [first.returncode, second.returncode] == [0, 0], outputs

    # The second found the first mailbox busy (or, on a slow start, already read: how fast a
    # process starts is not the test's to decide); each mailbox was read whole by one poller.
    first_mailbox = next(line for line in outputs[1].splitlines() if line.startswith(names[0]))
    assert BUSY in first_mailbox or _processed(outputs[1], names[0]) == 0, outputs
    for name in names:
        counts = [_processed(output, name) for output in outputs]
        assert sorted(counts) == [0, PER_MAILBOX], (name, outputs)  # one poller read it all
    assert _processed(outputs[0], names[0]) == PER_MAILBOX

    db.session.expire_all()
    for name in names:
        records = db.session.scalars(select(InboundMessage).where(
            InboundMessage.mailbox == name)).all()
        assert sorted(int(r.uid) for r in records) == list(range(1, PER_MAILBOX + 1))
        assert {r.outcome for r in records} == {InboundOutcome.TICKET}
        assert db.session.scalar(select(InboundHighWater.uid).where(
            InboundHighWater.mailbox == name)) == PER_MAILBOX
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == 2 * PER_MAILBOX
