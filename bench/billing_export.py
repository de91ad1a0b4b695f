"""Benchmark: a billing period of 100,000 time entries exported as CSV and as XLSX.

Fills a database (bulk Core inserts) with N billable time entries in November 2026 on N/10
tickets of 50 clients, two currencies, and an approved fixed-price quote on one ticket in 100;
then runs what `flask billing export --from 2026-11-01 --to 2026-11-30 --format csv|xlsx` runs
(app.services.billing.exports.billing_lines into write_csv / write_xlsx, to a file) and reports
for each format: wall time (a run without tracing), the Python heap's peak (tracemalloc, a
second run: the lines are streamed, so it should stay far below the size of the period), and
the process's resident peak so far (ru_maxrss) against its value before the first export.
Last, what `flask billing close` runs (batches.close_period) bills the whole period: a traced
run rolled back (heap peak), then the timed one, committed.

    .venv/bin/python bench/billing_export.py --entries 100000               # SQLite
    .venv/bin/python bench/billing_export.py --entries 100000 --postgresql  # 127.0.0.1:5432
    .venv/bin/python bench/billing_export.py --database-url postgresql+psycopg://…/empty_db
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import resource
import sys
import tempfile
import time
import tracemalloc
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.ingest import fresh_pg_database  # noqa: E402

PERIOD = (dt.date(2026, 11, 1), dt.date(2026, 11, 30))
CHUNK = 5000


def populate(entries: int, seed: int = 13) -> int:
    """Reference data through the ORM; tickets, quotes and time entries through bulk Core
    inserts, generated a chunk at a time. Returns the number of lines the period holds."""
    from app.extensions import db
    from app.models import (Client, Contact, Contract, Project, Quote, Role, Ticket,
                            TicketCounter, TimeEntry, User)
    from app.models.enums import BillingBasis, PaymentStatus, QuoteStatus, TicketSource, \
        TicketStatus, Urgency

    rng = random.Random(seed)
    clients = [Client(name=f"Cliente {i}", currency="USD" if i % 5 == 0 else None)
               for i in range(50)]
    users = [User(email=f"agente{i}@bench.example", name=f"Agente {i}", role=Role.AGENT,
                  password_hash="x") for i in range(10)]
    db.session.add_all(clients + users)
    db.session.flush()
    contacts = [Contact(client=c, email=f"c{c.id}@cliente{c.id}.example") for c in clients]
    contracts = [Contract(client=c, name=f"Contrato {c.id}") for c in clients]
    projects = [Project(client=c, name=f"Proyecto {c.id}") for c in clients]
    db.session.add_all(contacts + contracts + projects)
    db.session.flush()
    tickets = max(1, entries // 10)
    created = dt.datetime(2026, 10, 1, tzinfo=dt.timezone.utc)
    quoted = set(range(1, tickets + 1, 100))
    rows = []
    for i in range(1, tickets + 1):
        c = (i * 7) % 50
        rows.append({
            "sequence": i, "number": f"TCK-{i:06d}", "client_id": clients[c].id,
            "contact_id": contacts[c].id, "contract_id": contracts[c].id if i % 3 else None,
            "project_id": projects[c].id if i % 2 else None, "subject": f"Ticket {i}",
            "description": "Benchmark", "urgency": Urgency.MEDIUM.name,
            "status": TicketStatus.IN_PROGRESS.name,
            "billing_basis": BillingBasis.QUOTE.name if i in quoted else None,
            "billing_quote_version": 1 if i in quoted else None, "billing_by_time": False,
            "bill_overage": False, "payment_status": PaymentStatus.UNPAID.name,
            "total_minutes": 0, "source": TicketSource.WEB.name, "created_at": created,
            "updated_at": created, "lock_version": 1})
        if len(rows) == CHUNK:
            db.session.execute(Ticket.__table__.insert(), rows)
            rows = []
    if rows:
        db.session.execute(Ticket.__table__.insert(), rows)
    db.session.execute(TicketCounter.__table__.update().values(value=tickets))
    db.session.execute(Quote.__table__.insert(), [{
        "ticket_id": i, "version": 1, "price": Decimal("450.00"),
        "estimated_hours": Decimal("6.00"), "currency": "EUR", "message": "",
        "status": QuoteStatus.APPROVED.name, "created_at": created,
        "decided_at": dt.datetime(2026, 11, 1 + i % 30, 11, tzinfo=dt.timezone.utc)}
        for i in sorted(quoted)])
    rows = []
    for _ in range(entries):
        ticket = rng.randrange(1, tickets + 1)
        minutes = rng.randrange(5, 240)
        rate = Decimal(rng.choice(("45.00", "50.00", "62.50", "80.00")))
        rows.append({
            "ticket_id": ticket, "user_id": rng.choice(users).id, "minutes": minutes,
            "work_date": PERIOD[0] + dt.timedelta(days=rng.randrange(30)),
            "note": "Trabajo", "billable": True, "rate": rate,
            "currency": "USD" if ((ticket * 7) % 50) % 5 == 0 else "EUR",
            "amount": (Decimal(minutes) * rate / 60).quantize(Decimal("0.01"), ROUND_HALF_UP),
            "covered_minutes": 0, "created_at": created})
        if len(rows) == CHUNK:
            db.session.execute(TimeEntry.__table__.insert(), rows)
            rows = []
    if rows:
        db.session.execute(TimeEntry.__table__.insert(), rows)
    db.session.commit()
    return entries + len(quoted)


def maxrss_mb() -> float:
    """The process's resident peak so far (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def export(fmt: str, target: Path) -> dict:
    """One export as the CLI runs it, to a file: the totals written."""
    from app.extensions import db
    from app.services.billing import exports

    write = exports.write_csv if fmt == "csv" else exports.write_xlsx
    with (open(target, "w", encoding="utf-8", newline="") if fmt == "csv"
          else open(target, "wb")) as stream:
        totals = write(exports.billing_lines(*PERIOD), stream)
    db.session.rollback()
    return totals


def close(backend: str, lines: int) -> dict:
    """close_period over the whole period, as a supervisor: its heap peak (a traced run,
    rolled back), then its wall time (committed)."""
    from app.extensions import db
    from app.models import Role, User
    from app.services.billing import batches

    supervisor = User(email="supervisor@bench.example", name="Supervisor",
                      role=Role.SUPERVISOR, password_hash="x")
    db.session.add(supervisor)
    db.session.commit()
    tracemalloc.start()
    batches.close_period(supervisor, *PERIOD)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    db.session.rollback()
    start = time.perf_counter()
    batch = batches.close_period(supervisor, *PERIOD)
    db.session.commit()
    wall = time.perf_counter() - start
    result = {"database": backend, "format": "close", "lines": lines, "wall_s": round(wall, 2),
              "heap_peak_mb": round(peak / 2**20, 1), "maxrss_mb": round(maxrss_mb(), 1),
              "batch": batch.number}
    print(f"{backend:>10} {'close':<6} {lines:>8} {wall:>8.2f} {result['heap_peak_mb']:>13} "
          f"{result['maxrss_mb']:>10} {'-':>8}")
    return result


def run(backend: str, url: str, entries: int, workdir: Path) -> list[dict]:
    from flask_migrate import upgrade

    from assembly import build_app
    from app.extensions import db

    app = build_app("testing", {"SQLALCHEMY_DATABASE_URI": url,
                                "SOPORTE_TIMEZONE": "Europe/Madrid"})
    results = []
    with app.app_context():
        upgrade()
        begin = time.perf_counter()
        lines = populate(entries)
        print(f"{backend}: {entries} time entries ({lines} lines) in "
              f"{time.perf_counter() - begin:.1f} s")
        if backend == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE")
        db.session.remove()
        before = maxrss_mb()
        print(f"{'database':>10} {'format':<6} {'lines':>8} {'wall s':>8} {'heap peak MB':>13} "
              f"{'maxrss MB':>10} {'file MB':>8}")
        for fmt in ("csv", "xlsx"):
            target = workdir / f"{backend}.{fmt}"
            start = time.perf_counter()
            totals = export(fmt, target)
            wall = time.perf_counter() - start
            tracemalloc.start()
            export(fmt, target)
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            result = {"database": backend, "format": fmt, "lines": lines,
                      "wall_s": round(wall, 2), "heap_peak_mb": round(peak / 2**20, 1),
                      "maxrss_mb": round(maxrss_mb(), 1), "maxrss_before_mb": round(before, 1),
                      "file_mb": round(target.stat().st_size / 2**20, 1),
                      "totals": {k: str(v) for k, v in totals.items()}}
            results.append(result)
            print(f"{backend:>10} {fmt:<6} {lines:>8} {wall:>8.2f} {result['heap_peak_mb']:>13} "
                  f"{result['maxrss_mb']:>10} {result['file_mb']:>8}")
        results.append(close(backend, lines))
        print(f"{'':>10} resident peak before the exports: {before:.1f} MB")
        db.session.remove()
        db.engine.dispose()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--postgresql", action="store_true",
                        help="a fresh database soporte_bench_billing on 127.0.0.1:5432 "
                             "(SOPORTE_BENCH_PG_URL) instead of SQLite")
    parser.add_argument("--database-url", default=None,
                        help="an empty database to migrate and fill instead of SQLite")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="soporte-bench-") as tmp:
        if args.database_url:
            url = args.database_url
        elif args.postgresql:
            url = fresh_pg_database("soporte_bench_billing")
        else:
            url = f"sqlite:///{tmp}/billing.db"
        backend = "sqlite" if url.startswith("sqlite") else "postgresql"
        results = run(backend, url, args.entries, Path(tmp))
    print(json.dumps(results))


if __name__ == "__main__":
    main()
