"""`flask mail poll --once`, `flask mail log --format json`, `flask mail retry` on a Maildir and IMAP."""
import json
import mailbox

from sqlalchemy import select

from app.extensions import db
from app.models import InboundMessage, InboundOutcome
from tests import mail_corpus as corpus


def _deliver(app, *messages):
    inbox = mailbox.Maildir(app.config["SOPORTE_INBOX_URL"].removeprefix("maildir://"), create=True)
    for raw in messages:
        inbox.add(raw)
    return inbox


def test_poll_once_on_the_embedded_maildir(world, runner, app):
    inbox = _deliver(app, corpus.simple(), corpus.simple(sender="x@desconocido.example"))
    result = runner.invoke(args=["mail", "poll", "--once"])
    assert result.exit_code == 0, result.output
    assert "ticket 1" in result.output and "triage 1" in result.output
    # processed messages move to cur/ flagged seen; nothing stays in new/
    assert all("S" in inbox.get_message(key).get_flags() for key in inbox.keys())
    assert runner.invoke(args=["mail", "poll", "--once"]).output.strip().endswith("nothing")


def test_log_json_lists_every_message_with_its_outcome(world, runner, app):
    _deliver(app, corpus.simple(subject="uno"), corpus.simple(headers={"Precedence": "bulk"}))
    runner.invoke(args=["mail", "poll", "--once"])
    result = runner.invoke(args=["mail", "log", "--format", "json"])
    assert result.exit_code == 0
    entries = json.loads(result.output)
    assert [(e["outcome"], bool(e["ticket"])) for e in entries] == [("TICKET", True), ("IGNORED", False)]
    assert entries[0]["ticket"] == "TCK-000001" and entries[1]["reason"].startswith("auto-reply")
    assert entries[0]["raw_sha256"]


def test_retry_processes_the_quarantined(world, runner, app):
    app.config["SOPORTE_INGEST_RATE_LIMIT"] = 1
    _deliver(app, corpus.simple(subject="a"), corpus.simple(subject="b"))
    runner.invoke(args=["mail", "poll", "--once"])
    result = runner.invoke(args=["mail", "retry"])
    assert result.exit_code == 0 and "TICKET" in result.output
    outcomes = db.session.scalars(select(InboundMessage.outcome)).all()
    assert outcomes == [InboundOutcome.TICKET, InboundOutcome.TICKET]


def test_retry_of_a_message_that_fails_again_says_so_and_exits_non_zero(world, runner, app):
    from mail_ingest.ingest import raw_store

    app.config["SOPORTE_INGEST_RATE_LIMIT"] = 0
    _deliver(app, corpus.simple(subject="a"))
    runner.invoke(args=["mail", "poll", "--once"])
    record = db.session.scalars(select(InboundMessage)).one()
    raw_store().path_for(record.raw_sha256).unlink()
    result = runner.invoke(args=["mail", "retry", "--id", str(record.id)])
    assert result.exit_code == 1 and "QUARANTINED error FileNotFoundError" in result.output
    db.session.expire_all()
    record = db.session.get(InboundMessage, record.id)
    assert record.outcome is InboundOutcome.QUARANTINED and record.attempts == 2
    assert "FileNotFoundError" in record.error


def test_retry_refuses_a_message_that_cannot_be_retried(world, runner, app):
    _deliver(app, corpus.simple(subject="a"))
    runner.invoke(args=["mail", "poll", "--once"])
    record = db.session.scalars(select(InboundMessage)).one()
    assert record.outcome is InboundOutcome.TICKET
    result = runner.invoke(args=["mail", "retry", "--id", str(record.id)])
    assert result.exit_code == 1 and "Solo se pueden reintentar" in result.output
    missing = runner.invoke(args=["mail", "retry", "--id", "999"])
    assert missing.exit_code == 1 and "no message with id 999" in missing.output


def test_the_mail_commands_are_offered_by_wsgi(app):
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    env = dict(os.environ, FLASK_APP="wsgi.py", SOPORTE_CONFIG="testing",
               DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"])
    result = subprocess.run([sys.executable, "-m", "flask", "mail", "--help"], cwd=root, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    commands = {line.split()[0] for line in result.stdout.split("Commands:")[1].splitlines()
                if line.strip()}
    assert {"poll", "send", "log", "retry", "rotate-keys"} <= commands


def test_unreachable_or_misconfigured_mailbox_exits_non_zero(runner, app):
    down = runner.invoke(args=["mail", "poll", "--once", "--url", "imap://u:p@127.0.0.1:1/INBOX"])
    assert down.exit_code != 0 and "cannot open" in down.output
    bad = runner.invoke(args=["mail", "poll", "--once", "--url", "pop3://host/INBOX"])
    assert bad.exit_code != 0 and "scheme" in bad.output


def test_poll_reads_the_mailboxes_added_in_admin_and_goes_on_past_a_broken_one(
        world, runner, app, dovecot):
    from app.models import Mailbox, Ticket

    env_box, added, inactive = dovecot.new_user(), dovecot.new_user(), dovecot.new_user()
    dovecot.append(env_box, corpus.simple(subject="uno"))
    dovecot.append(added, corpus.simple(subject="dos"))
    dovecot.append(inactive, corpus.simple(subject="tres"))
    app.config["SOPORTE_INBOX_URL"] = dovecot.url(env_box)
    db.session.add_all([
        Mailbox(name="Caído", url="imap://u:clave-caida@127.0.0.1:1/INBOX"),
        Mailbox(name="Ventas", url=dovecot.url(added)),
        Mailbox(name="Viejo", url=dovecot.url(inactive), active=False)])
    db.session.commit()
    result = runner.invoke(args=["mail", "poll", "--once"])
    assert result.exit_code == 1, result.output  # one could not be read…
    assert sorted(db.session.scalars(select(Ticket.subject))) == ["dos", "uno"]  # …the rest were
    assert "could not be read" in result.output and "127.0.0.1:1" in result.output
    assert "clave-caida" not in result.output and "secreto" not in result.output


def test_poll_without_any_mailbox_says_where_to_add_one(runner, app):
    app.config["SOPORTE_INBOX_URL"] = ""
    result = runner.invoke(args=["mail", "poll", "--once"])
    assert result.exit_code != 0 and "/admin" in result.output
