"""Benchmark: the cost of a poll that finds nothing new, against the size of the history (issue 15).

Two mailboxes on a real Dovecot, each holding its whole history on the server (the poller flags
messages, it never deletes them): one of 100 messages, one of 100,000 (sizes by --small and
--large), every message recorded in the database (rows inserted directly) and flagged, the
high-water mark at the top. A poll of each (`mail_ingest.poller.poll_once`: connect, lock,
UIDVALIDITY, the mark, `UID SEARCH UID mark+1:*`, nothing to take) is timed --rounds times, on
SQLite and on PostgreSQL; the report gives each p50 and p95 and the ratio of the two p95s, measured
in one run (the two mailboxes polled in turns, so that the machine's drift falls on both alike;
the small one is also measured first alone, the database holding only its 100 records). The
claim holds when the ratio is about 1.

For scale, the large mailbox is also polled without its mark (--unmarked-rounds times, the mark
deleted before each): the full listing every poll made before the marks (and the first poll of a
mailbox after the upgrade still makes once).

    .venv/bin/python bench/poll_cost.py [--large 100000] [--rounds 40]

Starts its own Dovecot (like the tests) and needs PostgreSQL on 127.0.0.1:5432.
"""
from __future__ import annotations

import argparse
import json
import os
import pwd
import shutil
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import delete, insert, text  # noqa: E402

from bench.ingest import fresh_pg_database, start_dovecot  # noqa: E402
from tests.dovecot import Dovecot  # noqa: E402

MESSAGE = ("From: Carla <carla@acme.example>\r\nTo: soporte@soporte.example\r\n"
           "Subject: pedido {n}\r\nMessage-ID: <historia-{n}@acme.example>\r\n\r\n"
           "No arranca el servidor.\r\n")


def fill_mailbox(dovecot: Dovecot, user: str, count: int) -> None:
    """`count` messages delivered straight into the user's Maildir (APPEND of 100,000 messages
    takes long), then flagged as the poller flags what it took, with one command."""
    from mail_ingest.sources import INGESTED_KEYWORD

    with dovecot.box(user) as box:  # Dovecot makes the Maildir on the first login
        box.folder.set("INBOX")
    new = dovecot.root / "mail" / user / "new"
    owner = pwd.getpwnam("dovecot")
    for n in range(1, count + 1):
        path = new / f"{1_700_000_000 + n}.M{n}P1.bench"
        path.write_text(MESSAGE.format(n=n))
        os.chown(path, owner.pw_uid, owner.pw_gid)
    with dovecot.box(user) as box:
        box.folder.set("INBOX")
        box.client.uid("STORE", "1:*", "+FLAGS", f"(\\Seen {INGESTED_KEYWORD})")
        assert len(box.uids("ALL")) == count


def record_history(url: str, count: int) -> None:
    """Every message of the mailbox recorded (rows inserted directly) and the mark at the top."""
    from app.extensions import db
    from app.models import InboundHighWater, InboundMessage, InboundOutcome
    from mail_ingest.sources import mailbox_name, open_source

    with open_source(url) as source:
        uidvalidity = source.uidvalidity()
        top = int(source.listing()[-1])
    name = mailbox_name(url)
    rows = [dict(mailbox=name, uidvalidity=uidvalidity, uid=str(uid), raw_sha256="0" * 64,
                 raw_size=200, from_address="carla@acme.example", subject=f"pedido {uid}",
                 outcome=InboundOutcome.IGNORED, reason="history")
            for uid in range(1, top + 1)]
    for start in range(0, len(rows), 5000):
        db.session.execute(insert(InboundMessage), rows[start:start + 5000])
    db.session.add(InboundHighWater(mailbox=name, uidvalidity=uidvalidity, uid=top))
    db.session.commit()
    if db.engine.dialect.name == "postgresql":  # as autovacuum does for a table that grew
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE inbound_message"))


def time_polls(url: str, rounds: int, drop_mark: bool = False) -> list[float]:
    """Seconds per poll; each must find nothing new."""
    from app.extensions import db
    from app.models import InboundHighWater
    from mail_ingest.poller import poll_once
    from mail_ingest.sources import mailbox_name

    times = []
    for _ in range(rounds):
        if drop_mark:
            db.session.execute(delete(InboundHighWater).where(
                InboundHighWater.mailbox == mailbox_name(url)))
            db.session.commit()
        start = time.perf_counter()
        report = poll_once(url)
        times.append(time.perf_counter() - start)
        assert report.processed == 0 and not report.busy, report
    return times


def p95(times: list[float]) -> float:
    return statistics.quantiles(times, n=20, method="inclusive")[18]


def summary(times: list[float]) -> dict:
    return {"p50_ms": round(statistics.median(times) * 1000, 1),
            "p95_ms": round(p95(times) * 1000, 1), "runs": len(times)}


def measure(database_url: str, workdir: Path, small_url: str, large_url: str,
            args: argparse.Namespace) -> dict:
    """The small mailbox measured alone (the database holding only its history), then both in
    turns, then the large one without its mark."""
    from flask_migrate import upgrade

    from app.extensions import db
    from assembly import build_app

    app = build_app("testing", {
        "SQLALCHEMY_DATABASE_URI": database_url, "SOPORTE_MAIL_DIR": str(workdir / "mail"),
        "SOPORTE_ATTACHMENT_DIR": str(workdir / "attachments"),
        "SOPORTE_SUPPORT_ADDRESS": "soporte@soporte.example"})
    app.instance_path = str(workdir / "instance")
    with app.app_context():
        upgrade()
        record_history(small_url, args.small)
        time_polls(small_url, 3)  # warm: modules imported, connections made
        alone = time_polls(small_url, args.rounds)
        record_history(large_url, args.large)
        time_polls(large_url, 3)
        small, large = [], []
        for _ in range(args.rounds):  # in turns: the machine's drift falls on both alike
            small += time_polls(small_url, 1)
            large += time_polls(large_url, 1)
        unmarked = time_polls(large_url, args.unmarked_rounds, drop_mark=True)
        db.session.remove()
        db.engine.dispose()
    return {"small": summary(small), "large": summary(large),
            "ratio_p95": round(p95(large) / p95(small), 2),
            "small_alone": summary(alone), "large_without_mark": summary(unmarked)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=100)
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--unmarked-rounds", type=int, default=5)
    parser.add_argument("--databases", default="sqlite,postgresql")
    args = parser.parse_args()

    root, dovecot = start_dovecot()
    results = []
    try:
        small_user, large_user = dovecot.new_user(), dovecot.new_user()
        started = time.perf_counter()
        fill_mailbox(dovecot, small_user, args.small)
        fill_mailbox(dovecot, large_user, args.large)
        print(f"mailboxes of {args.small} and {args.large} messages made in "
              f"{time.perf_counter() - started:.0f} s")
        for backend in args.databases.split(","):
            workdir = root / backend
            workdir.mkdir()
            url = (f"sqlite:///{workdir / 'bench.db'}" if backend == "sqlite"
                   else fresh_pg_database("soporte_bench"))
            result = measure(url, workdir, dovecot.url(small_user), dovecot.url(large_user), args)
            result["database"] = backend
            results.append(result)
            print(f"{backend:>10}: nothing new, {args.small} recorded: p50 "
                  f"{result['small']['p50_ms']} ms, p95 {result['small']['p95_ms']} ms; "
                  f"{args.large} recorded: p50 {result['large']['p50_ms']} ms, p95 "
                  f"{result['large']['p95_ms']} ms; ratio of p95s {result['ratio_p95']} "
                  f"({args.small} alone: p95 {result['small_alone']['p95_ms']} ms); "
                  f"{args.large} without the mark (the full listing): p50 "
                  f"{result['large_without_mark']['p50_ms']} ms")
    finally:
        dovecot.stop()
        shutil.rmtree(root, ignore_errors=True)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
