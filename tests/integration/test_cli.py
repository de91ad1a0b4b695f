"""The command line: users, demo data and the JSON export."""
import json

from sqlalchemy import select

from app.extensions import db
from app.models import Quote, Role, Ticket, TicketStatus, User


def test_users_create(runner):
    result = runner.invoke(args=["users", "create", "--email", "Nueva@Soporte.example",
                                 "--password", "una clave larga", "--role", "supervisor"])
    assert result.exit_code == 0, result.output
    user = db.session.scalars(select(User)).one()
    assert (user.email, user.role) == ("nueva@soporte.example", Role.SUPERVISOR)
    assert user.check_password("una clave larga") and not user.check_password("otra")
    assert user.password_hash.startswith("scrypt:")


def test_users_create_refuses_bad_input_clearly(runner):
    short = runner.invoke(args=["users", "create", "--email", "a@b.example", "--password", "corta",
                                "--role", "AGENT"])
    assert short.exit_code != 0 and "8" in short.output
    bad_email = runner.invoke(args=["users", "create", "--email", "no-es-correo",
                                    "--password", "suficientemente", "--role", "AGENT"])
    assert bad_email.exit_code != 0 and "correo" in bad_email.output
    bad_role = runner.invoke(args=["users", "create", "--email", "a@b.example",
                                   "--password", "suficientemente", "--role", "JEFE"])
    assert bad_role.exit_code != 0
    runner.invoke(args=["users", "create", "--email", "a@b.example", "--password", "suficientemente",
                        "--role", "AGENT"])
    again = runner.invoke(args=["users", "create", "--email", "A@B.example",
                                "--password", "suficientemente", "--role", "AGENT"])
    assert again.exit_code != 0 and "existe" in again.output
    assert len(db.session.scalars(select(User)).all()) == 1


def test_seed_creates_demo_tickets_in_several_statuses_once(runner):
    first = runner.invoke(args=["seed"])
    assert first.exit_code == 0, first.output
    statuses = {t.status for t in db.session.scalars(select(Ticket))}
    assert {TicketStatus.NEW, TicketStatus.QUOTED, TicketStatus.IN_PROGRESS,
            TicketStatus.RESOLVED, TicketStatus.CLOSED} <= statuses
    count = len(db.session.scalars(select(Ticket)).all())
    second = runner.invoke(args=["seed"])
    assert second.exit_code == 0
    assert len(db.session.scalars(select(Ticket)).all()) == count


def test_export_json_is_a_readable_backup(runner):
    runner.invoke(args=["seed"])
    result = runner.invoke(args=["tickets", "export", "--format", "json"])
    assert result.exit_code == 0, result.output
    records = json.loads(result.output)
    assert len(records) == len(db.session.scalars(select(Ticket)).all())
    by_number = {r["number"]: r for r in records}
    approved = next(r for r in records if r["time_entries"])
    assert approved["time_entries"][0]["minutes"] > 0
    assert approved["quotes"][0]["price"] == str(db.session.scalars(
        select(Quote.price).join(Ticket).where(Ticket.number == approved["number"])).one())
    assert any(h["field"] == "status" and h["note"] for h in approved["history"])
    closed = next(r for r in by_number.values() if r["status"] == "CLOSED")
    assert closed["closed_at"] and closed["notes"]
