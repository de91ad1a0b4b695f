"""Benchmark: the poller's messages per second against a baseline measured in the same run.

Baseline: imap-tools fetching and parsing the same messages, with no database,
measured just before and just after the poller (their mean is the baseline).
Poller: `mail_ingest.poller.poll_once` (fetch, store raw, parse, ticket or note,
attachments, acknowledgement, commit, mark) on SQLite and on PostgreSQL. The poller
is two processes (it reads ahead in a child, on the second core); the CPU time per
message of both is reported beside the baseline's, and the SQL statements per message the
poller's process ran (its round trips to the database, BEGIN and COMMIT not counted).

    .venv/bin/python bench/ingest.py --messages 500

Starts its own Dovecot (like the tests) and needs PostgreSQL on 127.0.0.1:5432.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import sys
import tempfile
import time
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from imap_tools import MailBoxUnencrypted  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from tests.dovecot import PASSWORD, Dovecot  # noqa: E402

PG_SERVER = os.environ.get("SOPORTE_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
WORDS = ("servidor impresora correo red contraseña respaldo equipo licencia usuario acceso error "
         "lento pantalla teclado factura sistema cliente reinicio conexión archivo").split()


def make_messages(count: int, seed: int = 1) -> list[bytes]:
    """Realistic support mail: a quarter with an attachment of 20 KB to 2 MB, some replies."""
    rng = random.Random(seed)
    messages, ids = [], []
    for i in range(count):
        msg = EmailMessage()
        sender = f"usuario{rng.randrange(40)}@cliente.example"
        msg["From"] = f"Usuario {i} <{sender}>"
        msg["To"] = "soporte@soporte.example"
        mid = make_msgid(idstring=str(i), domain="cliente.example")
        msg["Message-ID"] = mid
        if ids and rng.random() < 0.2:
            parent = rng.choice(ids)
            msg["Subject"] = "Re: pedido"
            msg["In-Reply-To"] = parent
            msg["References"] = parent
        else:
            msg["Subject"] = " ".join(rng.choices(WORDS, k=5)).capitalize()
        body = " ".join(rng.choices(WORDS, k=rng.randrange(30, 300)))
        msg.set_content(f"Hola,\n\n{body}\n\nSaludos")
        if rng.random() < 0.5:
            msg.add_alternative(f"<p>Hola,</p><p>{body}</p><p>Saludos</p>", subtype="html")
        if i % 4 == 0:
            size = rng.randrange(20 * 1024, 2 * 1024 * 1024)
            msg.add_attachment(rng.randbytes(size), maintype="application", subtype="octet-stream",
                               filename=f"adjunto-{i}.bin")
        ids.append(mid)
        messages.append(msg.as_bytes())
    return messages


def cpu_seconds() -> float:
    """CPU time of this process and of its children that have ended (the read-ahead process)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(
        resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def baseline(dovecot: Dovecot, user: str) -> tuple[float, float]:
    """imap-tools fetching and parsing every message (no database, no marking): messages per
    second and CPU milliseconds per message."""
    start, cpu = time.perf_counter(), cpu_seconds()
    count = 0
    with MailBoxUnencrypted("127.0.0.1", dovecot.port).login(user, PASSWORD) as box:
        for msg in box.fetch(mark_seen=False, bulk=False):
            _ = (msg.subject, msg.from_, msg.text, msg.html,
                 [len(a.payload) for a in msg.attachments])
            count += 1
    return count / (time.perf_counter() - start), (cpu_seconds() - cpu) * 1000 / count


def poller(database_url: str, inbox_url: str, warm_url: str, workdir: Path
           ) -> tuple[float, float, dict, float]:
    """The real poller on a fresh schema, warmed up first on another mailbox (a running poller
    has its modules imported and its templates compiled); also the SQL statements it ran per
    message (its round trips, BEGIN and COMMIT not counted)."""
    from flask_migrate import upgrade
    from sqlalchemy import event

    from assembly import build_app
    from app.extensions import db
    from app.models import Client, ClientDomain
    from mail_ingest.poller import poll_once

    app = build_app("testing", {
        "SQLALCHEMY_DATABASE_URI": database_url, "SOPORTE_MAIL_DIR": str(workdir / "mail"),
        "SOPORTE_ATTACHMENT_DIR": str(workdir / "attachments"), "SOPORTE_INGEST_RATE_LIMIT": 10**9,
        "SOPORTE_SUPPORT_ADDRESS": "soporte@soporte.example"})
    with app.app_context():
        upgrade()
        db.session.add(Client(name="Cliente", domains=[ClientDomain(domain="cliente.example")]))
        db.session.commit()
        poll_once(warm_url)
        statements = []
        count = lambda *_args: statements.append(1)  # noqa: E731 - as cheap as can be
        event.listen(db.engine, "before_cursor_execute", count)
        start, cpu = time.perf_counter(), cpu_seconds()
        report = poll_once(inbox_url)
        elapsed, cpu = time.perf_counter() - start, cpu_seconds() - cpu
        event.remove(db.engine, "before_cursor_execute", count)
        db.session.remove()
        db.engine.dispose()
    return (report.processed / elapsed, cpu * 1000 / report.processed, report.outcomes,
            len(statements) / report.processed)


def fresh_pg_database(name: str) -> str:
    server = create_engine(PG_SERVER, isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    server.dispose()
    return str(make_url(PG_SERVER).set(database=name))


def start_dovecot() -> tuple[Path, Dovecot]:
    """A benchmark's own Dovecot, in a new folder (returned too, for the caller to remove)."""
    root = Path(tempfile.mkdtemp(prefix="soporte-bench-"))
    root.chmod(0o755)  # the dovecot user must reach its folder
    dovecot = Dovecot(root / "dovecot")
    (root / "dovecot").mkdir()
    dovecot.start()
    return root, dovecot


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument("--databases", default="sqlite,postgresql")
    args = parser.parse_args()

    root, dovecot = start_dovecot()
    results = []
    try:
        messages = make_messages(args.messages)
        megabytes = sum(map(len, messages)) / 1e6
        print(f"{len(messages)} messages, {megabytes:.1f} MB")
        for backend in args.databases.split(","):
            user = dovecot.new_user()
            dovecot.append(user, *messages)
            before, base_cpu = baseline(dovecot, user)
            workdir = root / backend
            url = (f"sqlite:///{workdir / 'bench.db'}" if backend == "sqlite"
                   else fresh_pg_database("soporte_bench"))
            workdir.mkdir()
            warm = dovecot.new_user()
            dovecot.append(warm, *make_messages(5, seed=99))
            rate, cpu, outcomes, per_message = poller(url, dovecot.url(user), dovecot.url(warm),
                                                      workdir)
            after, _ = baseline(dovecot, user)  # the same messages again: the machine's drift
            base = (before + after) / 2
            results.append({"database": backend, "baseline_per_s": round(base, 1),
                            "baseline_runs": [round(before, 1), round(after, 1)],
                            "poller_per_s": round(rate, 1), "ratio": round(rate / base, 2),
                            "baseline_cpu_ms_per_msg": round(base_cpu, 1),
                            "poller_cpu_ms_per_msg": round(cpu, 1),
                            "statements_per_msg": round(per_message, 1), "outcomes": outcomes})
            print(f"{backend:>10}: baseline {base:6.1f} msg/s, poller {rate:6.1f} msg/s, "
                  f"ratio {rate / base:.2f}; CPU per message (poller and its read-ahead "
                  f"process; database server not counted) {cpu:.1f} ms, "
                  f"baseline {base_cpu:.1f} ms; {per_message:.1f} statements per message  "
                  f"{outcomes}")
    finally:
        dovecot.stop()
        shutil.rmtree(root, ignore_errors=True)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
