"""Ticket numbers under contention: many creators at once get distinct numbers with no gap.

PostgreSQL with 8 processes and SQLite with 8 threads (and 8 processes), 50 tickets each,
all released at the same moment by a barrier.
"""
from __future__ import annotations

import multiprocessing
import threading

import pytest
from sqlalchemy import select

from assembly import build_app
from app.extensions import db
from app.models import Ticket
from app.services import tickets
from app.services.permissions import SYSTEM
from app.services.tickets import TicketFields

WORKERS = 8
PER_WORKER = 50


def _app(database_url: str, attachment_dir: str):
    return build_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url,
                                 "SOPORTE_ATTACHMENT_DIR": attachment_dir})


def _create_many(app, client_id: int, barrier) -> list[str]:
    """Create PER_WORKER tickets, one transaction each, after every worker is ready."""
    numbers = []
    with app.app_context():
        db.session.execute(select(1))  # connect before the start line…
        db.session.commit()  # …but hold no transaction (on SQLite that is the write lock)
        barrier.wait(timeout=60)
        for i in range(PER_WORKER):
            ticket = tickets.create_ticket(SYSTEM, TicketFields(
                client_id=client_id, description=f"carrera {i}"))
            db.session.commit()
            numbers.append(ticket.number)
        db.session.remove()
    return numbers


def _process_main(args):
    database_url, attachment_dir, client_id, barrier = args
    app = _app(database_url, attachment_dir)
    numbers = _create_many(app, client_id, barrier)
    with app.app_context():
        db.engine.dispose()
    return numbers


def _release_database(app, world) -> tuple[str, int]:
    """The URL and client id, with this test's own transaction ended (on SQLite it holds the lock)."""
    client_id = world.client.id
    db.session.commit()
    return app.config["SQLALCHEMY_DATABASE_URI"], client_id


def _assert_gapless(numbers: list[str]) -> None:
    assert len(numbers) == WORKERS * PER_WORKER
    assert len(set(numbers)) == len(numbers)
    expected = {f"TCK-{n:06d}" for n in range(1, WORKERS * PER_WORKER + 1)}
    assert set(numbers) == expected
    stored = db.session.scalars(select(Ticket.number)).all()
    assert sorted(stored) == sorted(expected)


@pytest.mark.slow
def test_processes_race_for_numbers(world, app, tmp_path):
    url, client_id = _release_database(app, world)
    ctx = multiprocessing.get_context("spawn")
    with ctx.Manager() as manager:
        barrier = manager.Barrier(WORKERS)
        with ctx.Pool(WORKERS) as pool:
            results = pool.map(_process_main, [(url, str(tmp_path), client_id, barrier)
                                               for _ in range(WORKERS)])
    _assert_gapless([n for batch in results for n in batch])


@pytest.mark.slow
def test_threads_race_for_numbers(world, app, tmp_path):
    url, client_id = _release_database(app, world)
    barrier = threading.Barrier(WORKERS)
    # One app shared by the threads, as request threads share one in a server (building apps
    # in many threads at once trips a CPython 3.11 bug in compile(), not ours).
    shared = _app(url, str(tmp_path))
    results: list[list[str]] = [[] for _ in range(WORKERS)]
    errors: list[BaseException] = []

    def run(slot: int) -> None:
        try:
            results[slot] = _create_many(shared, client_id, barrier)
        except BaseException as error:  # reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    with shared.app_context():
        db.engine.dispose()
    assert errors == []
    _assert_gapless([n for batch in results for n in batch])
