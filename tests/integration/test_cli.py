"""The command line: users, demo data and the JSON export."""
import json

from sqlalchemy import select

from app.extensions import db
from app.models import Quote, Role, Ticket, TicketStatus, User


def test_users_create_asks_for_the_password_twice_without_echo(runner):
    mismatch = runner.invoke(args=["users", "create", "--email", "nueva@soporte.example",
                                   "--role", "AGENT"], input="una clave larga\notra clave\n")
    assert mismatch.exit_code != 0 and not db.session.scalars(select(User)).all()
    result = runner.invoke(args=["users", "create", "--email", "Nueva@Soporte.example",
                                 "--role", "supervisor"],
                           input="una clave larga\nuna clave larga\n")
    assert result.exit_code == 0, result.output
    assert "una clave larga" not in result.output  # typed without echo
    user = db.session.scalars(select(User)).one()
    assert (user.email, user.role) == ("nueva@soporte.example", Role.SUPERVISOR)
    assert user.check_password("una clave larga") and not user.check_password("otra")
    assert user.password_hash.startswith("scrypt:")


def test_users_create_reads_the_password_from_stdin_and_never_from_an_argument(runner):
    argument = runner.invoke(args=["users", "create", "--email", "a@b.example", "--role", "AGENT",
                                   "--password", "una clave larga"])
    assert argument.exit_code != 0 and "--password" in argument.output
    assert not db.session.scalars(select(User)).all()
    piped = runner.invoke(args=["users", "create", "--email", "a@b.example", "--role", "AGENT",
                                "--password-stdin"], input="una clave larga\r\nlo que sigue\n")
    assert piped.exit_code == 0, piped.output
    assert db.session.scalars(select(User)).one().check_password("una clave larga")


def _create(runner, email: str, password: str, role: str = "AGENT"):
    """`flask users create` with the password piped in, as a script does."""
    return runner.invoke(args=["users", "create", "--email", email, "--role", role,
                               "--password-stdin"], input=f"{password}\n")


def test_users_create_refuses_bad_input_clearly(runner):
    short = _create(runner, "a@b.example", "corta")
    assert short.exit_code != 0 and "8" in short.output
    bad_email = _create(runner, "no-es-correo", "suficientemente")
    assert bad_email.exit_code != 0 and "correo" in bad_email.output
    bad_role = _create(runner, "a@b.example", "suficientemente", "JEFE")
    assert bad_role.exit_code != 0
    empty = runner.invoke(args=["users", "create", "--email", "a@b.example", "--role", "AGENT",
                                "--password-stdin"], input="")
    assert empty.exit_code != 0 and "8" in empty.output
    _create(runner, "a@b.example", "suficientemente")
    again = _create(runner, "A@B.example", "suficientemente")
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


def _user(email: str) -> User:
    """The user as the database holds it now."""
    db.session.expire_all()
    return db.session.scalars(select(User).where(User.email == email)).one()


def test_users_list_shows_each_user_with_role_and_state(runner, world):
    result = runner.invoke(args=["users", "list"])
    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: line.split()[1:3] for line in result.output.splitlines()}
    assert lines["agent@soporte.example"] == ["AGENT", "active"]
    assert lines["gone@soporte.example"] == ["AGENT", "inactive"]


def test_users_set_role_deactivate_and_reactivate_report_tickets_needing_an_assignee(runner,
                                                                                     world):
    from tests.factories import ticket_in

    ticket = ticket_in(world, TicketStatus.IN_PROGRESS, free=True)
    ticket.assignee_id = world.agent.id
    db.session.commit()
    viewer = runner.invoke(args=["users", "set-role", "--email", "AGENT@soporte.example",
                                 "--role", "viewer"])
    assert viewer.exit_code == 0, viewer.output
    assert _user("agent@soporte.example").role is Role.VIEWER
    assert f"1 open ticket(s) of agent@soporte.example need a new assignee: {ticket.number}" \
        in viewer.output
    assert "/operacion/ticket?needs_assignee=1" in viewer.output
    runner.invoke(args=["users", "set-role", "--email", "agent@soporte.example", "--role", "AGENT"])
    session = _user("agent@soporte.example").get_id()
    gone = runner.invoke(args=["users", "deactivate", "--email", "agent@soporte.example"])
    assert gone.exit_code == 0 and ticket.number in gone.output, gone.output
    agent = _user("agent@soporte.example")
    assert not agent.active and agent.get_id() != session
    back = runner.invoke(args=["users", "reactivate", "--email", "agent@soporte.example"])
    assert back.exit_code == 0 and _user("agent@soporte.example").active


def test_users_commands_refuse_with_the_domains_message_and_change_nothing(runner, world):
    last = runner.invoke(args=["users", "deactivate", "--email", "admin@soporte.example"])
    assert last.exit_code != 0 and "último administrador activo" in last.output
    demoted = runner.invoke(args=["users", "set-role", "--email", "admin@soporte.example",
                                  "--role", "AGENT"])
    assert demoted.exit_code != 0 and "último administrador activo" in demoted.output
    unknown = runner.invoke(args=["users", "deactivate", "--email", "nadie@soporte.example"])
    assert unknown.exit_code != 0 and "nadie@soporte.example" in unknown.output
    admin = _user("admin@soporte.example")
    assert admin.active and admin.role is Role.ADMIN


def test_users_reset_password_asks_twice_or_reads_stdin_and_ends_sessions(runner, world):
    session = world.agent.get_id()
    weak = runner.invoke(args=["users", "reset-password", "--email", "agent@soporte.example"],
                         input="corta\ncorta\n")
    assert weak.exit_code != 0 and "8" in weak.output
    asked = runner.invoke(args=["users", "reset-password", "--email", "agent@soporte.example"],
                          input="nueva clave larga\nnueva clave larga\n")
    assert asked.exit_code == 0, asked.output
    assert "nueva clave larga" not in asked.output  # typed without echo
    agent = _user("agent@soporte.example")
    assert agent.check_password("nueva clave larga") and agent.get_id() != session
    piped = runner.invoke(args=["users", "reset-password", "--email", "agent@soporte.example",
                                "--password-stdin"], input="otra clave larga\n")
    assert piped.exit_code == 0, piped.output
    assert _user("agent@soporte.example").check_password("otra clave larga")
