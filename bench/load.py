"""Load benchmark: the ticket list and the ticket page served by gunicorn (4 workers) to 1, 8
and 32 concurrent signed-in users: requests per second, p50/p95/p99 latency, zero errors.

A fresh PostgreSQL database gets the schema (`flask db upgrade`) and bench/dashboard.py's data
(100,000 tickets, 500,000 notes by default; the open tickets' due times stored at that
benchmark's fixed clock). gunicorn (`-w 4`, its default sync workers) serves wsgi:app on a free
loopback port. Each simulated user is one session, signed in through the sign-in form with its
CSRF token as a browser would, and requests pages one after another (no think time) for a fixed
time per level: half list pages (unfiltered, filtered by status, page 2), half ticket pages of
random tickets. Latency is measured by the client over loopback, from sending the request to
the end of the body. Any answer but 200, or a failed request, is an error: they are printed and
the benchmark exits with status 1. The figures to compare across days are the ratio of p95 at
32 users to p95 at 1 user, and each p95 measured in one run.

    .venv/bin/python bench/load.py --tickets 100000 --notes 500000

Needs PostgreSQL on 127.0.0.1:5432 (SOPORTE_BENCH_PG_URL). The server runs with the real
clock (SOPORTE_FIXED_NOW is not read from the environment), so the list's "time left" is
computed against today; the load generator runs on the same machine as gunicorn and
PostgreSQL and competes with them for its cores.
"""
from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import http.client
import json
import math
import os
import random
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.ingest import PG_SERVER, fresh_pg_database  # noqa: E402

DATABASE = "soporte_bench_load"
WORKERS = 4
LEVELS = (1, 8, 32)
CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@dataclass
class Sample:
    """One request's outcome: which kind of page, when it ended, how long it took, any error."""

    kind: str
    ended: float
    ms: float
    error: str | None = None


@dataclass
class Browser:
    """One user's session: one HTTP connection to the server (reopened when gunicorn's sync
    worker closes it after a response) and the session cookie."""

    port: int
    cookies: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)

    def request(self, method: str, path: str, body: str | None = None) -> tuple[int, dict, str]:
        """Send one request with the session's cookies; keep the cookies the answer sets."""
        headers = {"Accept-Language": "es", "User-Agent": "soporte-bench-load"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
            text = response.read().decode("utf-8", "replace")
        except (OSError, http.client.HTTPException):
            self.connection.close()  # the next request opens a new connection
            raise
        for line in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = line.partition("=")
            value = rest.split(";", 1)[0]
            if value and "max-age=0" not in line.lower():  # Flask deletes with Max-Age=0
                self.cookies[name.strip()] = value
            else:
                self.cookies.pop(name.strip(), None)
        if response.getheader("Connection", "").lower() == "close":
            self.connection.close()
        return response.status, dict(response.getheaders()), text

    def sign_in(self, email: str, password: str) -> None:
        """The sign-in page, then its form posted with the page's CSRF token."""
        status, _, page = self.request("GET", "/login")
        token = CSRF_FIELD.search(page)
        if status != 200 or not token:
            raise RuntimeError(f"GET /login answered {status} without a CSRF token")
        form = urlencode({"csrf_token": token.group(1), "email": email, "password": password})
        status, headers, _ = self.request("POST", "/login", form)
        if status != 302 or "/login" in headers.get("Location", ""):
            raise RuntimeError(f"signing in {email} answered {status}")


def free_port() -> int:
    """A port nobody listens on now (the kernel's choice)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_environment(url: str, instance: Path, port: int) -> dict:
    """The environment of `flask db upgrade` and gunicorn: the database, a secret key and an
    encryption key of this run, an instance folder of its own (nothing written in the checkout)."""
    from cryptography.fernet import Fernet

    env = dict(os.environ)
    env.update({"SOPORTE_CONFIG": "development", "DATABASE_URL": url,
                "SECRET_KEY": secrets.token_hex(32),
                "SOPORTE_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
                "SOPORTE_INSTANCE_DIR": str(instance), "PORT": str(port),
                "FLASK_APP": "wsgi.py", "PYTHONPATH": str(ROOT)})
    return env


def prepare_database(url: str, env: dict, tickets: int, notes: int) -> None:
    """`flask db upgrade`, then bench/dashboard.py's data and due times, then VACUUM ANALYZE."""
    from bench.dashboard import populate, store_due_times

    upgrade = subprocess.run([sys.executable, "-m", "flask", "db", "upgrade"], env=env, cwd=ROOT,
                             capture_output=True, text=True)
    if upgrade.returncode:
        raise RuntimeError(f"flask db upgrade failed:\n{upgrade.stdout}{upgrade.stderr}")
    from assembly import build_app
    from app.extensions import db

    # bench/dashboard.run's clock: half a day after the newest ticket
    now = dt.datetime(2024, 1, 1, 12, tzinfo=dt.timezone.utc) + dt.timedelta(minutes=7 * tickets)
    app = build_app("testing", {"SQLALCHEMY_DATABASE_URI": url, "SOPORTE_FIXED_NOW": now})
    with app.app_context():
        begin = time.perf_counter()
        populate(tickets, notes)
        store_due_times(now)
        print(f"{tickets} tickets and {notes} notes, due times stored, in "
              f"{time.perf_counter() - begin:.0f} s")
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
        db.session.remove()
        db.engine.dispose()


@contextlib.contextmanager
def gunicorn(env: dict, port: int, log: Path):
    """gunicorn -w 4 on the port until the block ends; SIGTERM then (SIGKILL after 30 s)."""
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-w", str(WORKERS), "-b", f"127.0.0.1:{port}",
             "wsgi:app"], env=env, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT)
    try:
        wait_until_answering(process, port, log)
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_until_answering(process: subprocess.Popen, port: int, log: Path) -> None:
    """Until /healthz answers 200 (60 s at most), or gunicorn has ended: then its log says why."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn ended with {process.returncode}:\n{log.read_text()}")
        with contextlib.suppress(OSError, http.client.HTTPException):
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer within 60 s:\n{log.read_text()}")


def page_mix(tickets: int) -> list[tuple[str, object, int]]:
    """The pages a user asks for and their weights: half lists, half ticket pages."""
    return [
        ("list", "/operacion/ticket", 2),
        ("list", "/operacion/ticket?status=ON_HOLD", 1),
        ("list", "/operacion/ticket?page=2", 1),
        ("ticket", lambda rng: f"/operacion/ticket/TCK-{rng.randint(1, tickets):06d}", 4),
    ]


def browse(browser: Browser, mix: list, rng: random.Random, until: float,
           samples: list) -> None:
    """Request pages of the mix one after another until the moment `until`."""
    weights = [weight for _, _, weight in mix]
    while time.perf_counter() < until:
        kind, path, _ = rng.choices(mix, weights)[0]
        path = path(rng) if callable(path) else path
        start = time.perf_counter()
        error = None
        try:
            status, _, _ = browser.request("GET", path)
            if status != 200:
                error = f"{path}: HTTP {status}"
        except Exception as exc:  # noqa: BLE001 - every failure is an error of the run
            error = f"{path}: {exc!r}"
        end = time.perf_counter()
        samples.append(Sample(kind, end, (end - start) * 1000, error))


def run_level(browsers: list[Browser], mix: list, seconds: float, seed: int) -> tuple[list, float]:
    """Each browser in a thread of its own for `seconds`; the samples and the elapsed time
    (until the last request started in time has ended)."""
    samples: list[Sample] = []
    begin = time.perf_counter()
    threads = [threading.Thread(target=browse, args=(b, mix, random.Random(seed * 1000 + n),
                                                     begin + seconds, samples), daemon=True)
               for n, b in enumerate(browsers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return samples, time.perf_counter() - begin


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def summarise(users: int, samples: list[Sample], elapsed: float) -> dict:
    """Requests per second and latency percentiles, overall and per kind of page."""
    ok = [s.ms for s in samples if s.error is None]
    row = {"users": users, "requests": len(samples), "seconds": round(elapsed, 1),
           "requests_per_s": round(len(samples) / elapsed, 1),
           "p50_ms": round(percentile(ok, 0.50), 1), "p95_ms": round(percentile(ok, 0.95), 1),
           "p99_ms": round(percentile(ok, 0.99), 1),
           "errors": sum(1 for s in samples if s.error)}
    for kind in ("list", "ticket"):
        times = [s.ms for s in samples if s.kind == kind and s.error is None]
        row[f"{kind}_p50_ms"] = round(percentile(times, 0.50), 1)
        row[f"{kind}_p95_ms"] = round(percentile(times, 0.95), 1)
    return row


def print_row(row: dict) -> None:
    print(f"{row['users']:>5} {row['requests']:>8} {row['requests_per_s']:>7.1f} "
          f"{row['p50_ms']:>8.1f} {row['p95_ms']:>8.1f} {row['p99_ms']:>8.1f} "
          f"{row['list_p95_ms']:>9.1f} {row['ticket_p95_ms']:>10.1f} {row['errors']:>6}",
          flush=True)


def measure(port: int, args: argparse.Namespace) -> tuple[list[dict], list[str]]:
    """Sign in the users, warm every worker, then each level in turn."""
    from bench.dashboard import PASSWORD

    begin = time.perf_counter()
    browsers = [Browser(port) for _ in range(max(LEVELS))]
    for n, browser in enumerate(browsers):
        browser.sign_in(f"agente{n % 10}@bench.example", PASSWORD)  # populate's ten supervisors
    print(f"{len(browsers)} sessions signed in in {time.perf_counter() - begin:.0f} s")
    mix = page_mix(args.tickets)
    # unmeasured: every worker imports its modules, compiles its templates, opens its connections
    run_level(browsers[:2 * WORKERS], mix, args.warmup, seed=0)
    print(f"{'users':>5} {'requests':>8} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
          f"{'list p95':>9} {'ticket p95':>10} {'errors':>6}")
    rows, errors = [], []
    print_load("before")
    for users in LEVELS:
        samples, elapsed = run_level(browsers[:users], mix, args.seconds, seed=users)
        rows.append(summarise(users, samples, elapsed))
        errors += [f"{users} users: {s.error}" for s in samples if s.error]
        print_row(rows[-1])
    print_load("after")
    return rows, errors


def print_load(moment: str) -> None:
    """The machine's load average: other work on the machine slows every level, so a run's
    ratio is comparable, its absolute figures only with a quiet machine's."""
    print(f"load average {moment} the levels (1, 5, 15 min): "
          + ", ".join(f"{value:.1f}" for value in os.getloadavg()), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--notes", type=int, default=500_000)
    parser.add_argument("--seconds", type=float, default=30, help="measured time per level")
    parser.add_argument("--warmup", type=float, default=5, help="unmeasured time before")
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores: the load generator, gunicorn's {WORKERS} workers and "
          "PostgreSQL share them; client-side latency over loopback.")
    with tempfile.TemporaryDirectory(prefix="soporte-load-") as tmp:
        port = free_port()
        url = fresh_pg_database(DATABASE)
        try:
            env = server_environment(url, Path(tmp) / "instance", port)
            # this process's app (populate) keeps its generated keys there too (config reads it
            # at import)
            os.environ["SOPORTE_INSTANCE_DIR"] = env["SOPORTE_INSTANCE_DIR"]
            begin = time.perf_counter()
            prepare_database(url, env, args.tickets, args.notes)
            print(f"database ready in {time.perf_counter() - begin:.0f} s", flush=True)
            log = Path(tmp) / "gunicorn.log"
            with gunicorn(env, port, log):
                rows, errors = measure(port, args)
            if errors:  # the server's side of them: its tracebacks
                print("gunicorn's log, last 80 lines:", *log.read_text().splitlines()[-80:],
                      sep="\n")
        finally:
            drop_database()
    ratio = rows[-1]["p95_ms"] / rows[0]["p95_ms"] if rows[0]["p95_ms"] else float("nan")
    print(f"p95 at {LEVELS[-1]} users / p95 at {LEVELS[0]} user: {ratio:.1f}")
    for error in errors[:20]:
        print("ERROR", error)
    print(json.dumps({"levels": rows, "p95_ratio_32_to_1": round(ratio, 1),
                      "tickets": args.tickets, "notes": args.notes, "workers": WORKERS,
                      "cores": os.cpu_count(), "errors": len(errors)}))
    if errors:
        sys.exit(1)


def drop_database() -> None:
    """The benchmark's database, dropped (its connections closed first)."""
    from sqlalchemy import create_engine, text

    server = create_engine(PG_SERVER, isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)'))
    server.dispose()


if __name__ == "__main__":
    main()
