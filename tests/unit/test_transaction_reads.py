"""Reads kept for a transaction (app.services.transaction_reads): read once, read again after this
session writes what they depend on, after a rollback and in the next transaction."""
from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import User, WebhookEndpoint
from app.models.enums import Role
from app.services import notifications
from app.services.transaction_reads import kept
from tests import factories


def _counting():
    reads = []

    def read():
        reads.append(1)
        return list(db.session.scalars(select(User.email).order_by(User.id)))

    return reads, lambda: kept(db.session, "test: users", read, (User,))


def test_a_read_is_made_once_per_transaction(world):
    db.session.commit()
    reads, users = _counting()
    first = users()
    assert users() == first and len(reads) == 1
    db.session.commit()
    users()
    assert len(reads) == 2  # a new transaction reads again


def test_a_write_of_what_it_depends_on_makes_it_read_again(world):
    db.session.commit()
    reads, users = _counting()
    users()
    db.session.add(WebhookEndpoint(url="https://hooks.example/a", event_types="",
                                   secret_encrypted="x"))
    db.session.flush()
    users()
    assert len(reads) == 1  # an endpoint is not a user
    factories.make_user(email="nueva@soporte.example", role=Role.SUPERVISOR)
    db.session.flush()
    assert "nueva@soporte.example" in users() and len(reads) == 2


def test_a_rollback_forgets(world):
    db.session.commit()
    reads, users = _counting()
    users()
    db.session.rollback()
    users()
    assert len(reads) == 2


def test_a_supervisor_added_in_the_transaction_is_told_of_a_ticket(world):
    """The kept supervisors (notifications.active_supervisors) follow this session's own edit."""
    db.session.commit()
    before = notifications.active_supervisors()
    new = factories.make_user(email="turno@soporte.example", role=Role.SUPERVISOR)
    db.session.flush()
    assert notifications.active_supervisors() == [*before, new]
