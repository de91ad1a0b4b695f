"""Benchmark: a run of `flask sla tick` with N open tickets, nothing due, against a sweep of every
open ticket (issue 15), on SQLite and PostgreSQL, in one run.

Before issue 15 every run computed every open ticket's clocks (and stored their due times); now
a run reads only the tickets whose check time (Ticket.sla_check_at) has come, and sweeps every
open ticket only after an edit of targets or calendars, once a day, or for a digest. The sweep
is timed by making the tick forget what it remembers (the old per-minute cost: every clock
computed, the due checks run, every due and check time stored); the run with nothing due is
timed as it happens each minute. Reports the median of each, the tickets each read, and the
ratio.

The tickets (a client's email, a third answered, a fifth in progress; urgencies of every kind)
are opened over the sixteen hours before the benchmark's moment (Wednesday 11:00 in Madrid, two
business hours): most clocks run, a few critical ones are past due (their alerts are given by the
first run), and nothing falls due in the minutes the runs take, since the clock is fixed.

    .venv/bin/python bench/sla_tick.py --tickets 20000 [--databases sqlite,postgresql]

Needs PostgreSQL on 127.0.0.1:5432 for the PostgreSQL half.
"""
from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.dashboard import reference_data  # noqa: E402
from bench.ingest import fresh_pg_database  # noqa: E402

NOW = dt.datetime(2026, 11, 18, 11, tzinfo=ZoneInfo("Europe/Madrid"))  # a Wednesday
CHUNK = 5000


def populate(tickets: int, seed: int = 5) -> None:
    """N open tickets with their history, through bulk Core inserts (no session hook: the first
    tick stores their due and check times, as after an upgrade)."""
    from app.extensions import db
    from app.models import Note, Ticket, TicketChange

    rng = random.Random(seed)
    users = reference_data()["users"]
    clients = db.session.execute(db.text("SELECT id FROM client ORDER BY id")).scalars().all()
    urgencies = ["LOW"] * 6 + ["MEDIUM"] * 3 + ["HIGH"]
    opened_over = dt.timedelta(hours=16)  # Tuesday 19:00 to Wednesday 11:00: 2 business hours
    tickets_rows, notes_rows, changes_rows = [], [], []

    def flush():
        for table, rows in ((Ticket.__table__, tickets_rows), (Note.__table__, notes_rows),
                            (TicketChange.__table__, changes_rows)):
            if rows:
                db.session.execute(table.insert(), rows)
                rows.clear()

    for i in range(1, tickets + 1):
        created = (NOW - opened_over * (i / tickets)).astimezone(dt.timezone.utc)
        status = "IN_PROGRESS" if i % 5 == 0 else "NEW"
        tickets_rows.append({
            "sequence": i, "number": f"TCK-{i:07d}", "client_id": rng.choice(clients),
            "subject": f"Incidencia {i}", "description": "No arranca el servidor",
            "urgency": "CRITICAL" if i % 100 == 0 else rng.choice(urgencies), "status": status,
            "assignee_id": users[i % len(users)].id, "payment_status": "UNPAID",
            "total_minutes": 0, "source": "EMAIL", "created_at": created,
            "updated_at": created, "lock_version": 1})
        notes_rows.append({"ticket_id": i, "kind": "CUSTOMER_EMAIL", "body_text": "Hola",
                           "created_at": created})
        if i % 3 == 0:
            notes_rows.append({"ticket_id": i, "kind": "PUBLIC_REPLY", "body_text": "Lo miramos",
                               "created_at": created + dt.timedelta(minutes=20)})
        if status == "IN_PROGRESS":
            changes_rows.append({"ticket_id": i, "field": "status", "old_value": "NEW",
                                 "new_value": "IN_PROGRESS", "actor_label": "system",
                                 "created_at": created + dt.timedelta(minutes=30)})
        if len(tickets_rows) == CHUNK:
            flush()
    flush()
    db.session.commit()


def timed(runs: int, before=None) -> tuple[float, object]:
    """The median seconds of `runs` ticks (each after `before()`), and the last report."""
    from app.extensions import db
    from app.services.sla.ticks import tick

    times, report = [], None
    for _ in range(runs):
        if before is not None:
            before()
        db.session.remove()
        begin = time.perf_counter()
        report = tick(db.session.commit)
        times.append(time.perf_counter() - begin)
    db.session.remove()
    return statistics.median(times), report


def forget() -> None:
    """Make the next tick sweep every open ticket, as every run did before issue 15."""
    from app.extensions import db

    db.session.execute(db.text("DELETE FROM sla_tick_state"))
    db.session.commit()


def run(backend: str, url: str, tickets: int, runs: int) -> dict:
    from flask_migrate import upgrade

    from assembly import build_app
    from app.extensions import db

    app = build_app("testing", {"SQLALCHEMY_DATABASE_URI": url, "SOPORTE_FIXED_NOW": NOW,
                                "SOPORTE_TIMEZONE": "Europe/Madrid",
                                "SOPORTE_SLA_DIGEST_TIME": "23:59"})
    with app.app_context():
        upgrade()
        begin = time.perf_counter()
        populate(tickets)
        if backend == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE")
        print(f"{backend}: {tickets} open tickets in {time.perf_counter() - begin:.0f} s",
              flush=True)
        first, report = timed(1)
        print(f"{backend}: first run (fills the check times, gives {report.alerts} alerts) "
              f"{first:.2f} s", flush=True)
        sweep, swept = timed(max(1, runs // 2), before=forget)
        timed(2)  # warm: the due query's first compilations, the default calendar's tables
        idle, quiet = timed(runs)
        db.engine.dispose()
    result = {"database": backend, "tickets": tickets, "sweep_s": sweep, "idle_s": idle,
              "sweep_read": swept.tickets, "idle_read": quiet.tickets,
              "ratio": sweep / idle}
    print(f"{backend}: sweep of every open ticket {sweep:.2f} s ({swept.tickets} read); "
          f"a run with nothing due {idle * 1000:.1f} ms ({quiet.tickets} read); "
          f"ratio {sweep / idle:.0f}", flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=20000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--databases", default="sqlite,postgresql")
    args = parser.parse_args()
    results = []
    for backend in args.databases.split(","):
        if backend == "sqlite":
            folder = tempfile.mkdtemp(prefix="soporte-bench-tick-")
            url = f"sqlite:///{folder}/tick.db"
        else:
            url = fresh_pg_database("soporte_bench_sla_tick")
        results.append(run(backend, url, args.tickets, args.runs))
    print(f"{'database':>10} {'tickets':>8} {'sweep s':>8} {'idle ms':>8} {'ratio':>7}")
    for r in results:
        print(f"{r['database']:>10} {r['tickets']:>8} {r['sweep_s']:>8.2f} "
              f"{r['idle_s'] * 1000:>8.1f} {r['ratio']:>7.0f}")


if __name__ == "__main__":
    main()
