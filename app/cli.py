"""Command line: `flask users create|list|set-role|deactivate|reactivate|reset-password|token`,
`flask seed`, `flask tickets export`, `flask mail …`, `flask webhooks send`.

Each command is one transaction: it commits on success and rolls back on a domain error.
"""
from __future__ import annotations

import json
import sys

import click
from flask import Flask
from flask.cli import AppGroup

from app.extensions import db
from app.models.enums import OutboxStatus, Role
from app.services.errors import DomainError
from app.services.permissions import CONSOLE

users_cli = AppGroup("users", help="Manage staff users.")
tickets_cli = AppGroup("tickets", help="Ticket data.")
mail_cli = AppGroup("mail", help="Email in (poll, log, retry) and out (send, outbox).")
webhooks_cli = AppGroup("webhooks", help="Webhook deliveries (send).")


PASSWORD_STDIN_HELP = "Read the password from the first line of standard input (for scripts)."


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--role", required=True,
              type=click.Choice([r.value for r in Role], case_sensitive=False))
@click.option("--name", default="")
@click.option("--language", default="es", type=click.Choice(["es", "en"]))
@click.option("--password-stdin", is_flag=True, help=PASSWORD_STDIN_HELP)
def create_user_command(email: str, role: str, name: str, language: str,
                        password_stdin: bool) -> None:
    """Create a staff user with a role.

    The password (at least 8 characters) is asked for twice without echo, or read from standard
    input with --password-stdin; never taken as an argument (see _new_password).
    """
    from app.services import staff

    details = staff.StaffDetails(email, name, language)
    password = _new_password(password_stdin, "Password")
    user = _run_staff(lambda: staff.create_staff(CONSOLE, details, password, role))
    click.echo(f"Created {user.email} ({user.role.value}).")


def _new_password(from_stdin: bool, prompt: str) -> str:
    """A password read from the first line of standard input, or typed twice without echo: an
    argument would stay in the shell history and show in the process list."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt(prompt, hide_input=True, confirmation_prompt=True)


def _run_staff(change):
    """One command, one transaction: run a staff service call and commit, or roll back and
    exit non-zero with the domain's message."""
    try:
        result = change()
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    return result


def _echo_needing_assignee(report) -> None:
    """Say which open tickets of the user now need a new assignee, and where to see them."""
    from flask import current_app, url_for

    if not report.needing_assignee:
        return
    numbers = ", ".join(ticket.number for ticket in report.needing_assignee)
    click.echo(f"{len(report.needing_assignee)} open ticket(s) of {report.user.email} need a new "
               f"assignee: {numbers}")
    with current_app.test_request_context(base_url=current_app.config["SOPORTE_BASE_URL"]):
        link = url_for("tickets.list_view", needs_assignee=1, _external=True)
    click.echo(f"  Reassign them at {link}")


@users_cli.command("list")
def list_users_command() -> None:
    """List staff users: email, role, active or not, name."""
    from app.services import staff

    for user in staff.list_staff(CONSOLE):
        state = "active" if user.active else "inactive"
        click.echo(f"{user.email:40} {user.role.value:10} {state:8} {user.name}")


@users_cli.command("set-role")
@click.option("--email", required=True)
@click.option("--role", required=True,
              type=click.Choice([r.value for r in Role], case_sensitive=False))
def set_role_command(email: str, role: str) -> None:
    """Give a user another role (the last active administrator keeps theirs)."""
    from app.services import staff

    report = _run_staff(lambda: staff.change_role(CONSOLE, staff.user_by_email(CONSOLE, email),
                                                  role))
    click.echo(f"{report.user.email} is now {report.user.role.value}.")
    _echo_needing_assignee(report)


@users_cli.command("deactivate")
@click.option("--email", required=True)
def deactivate_command(email: str) -> None:
    """Stop a user signing in and end their sessions; lists their open tickets to reassign."""
    from app.services import staff

    report = _run_staff(lambda: staff.deactivate(CONSOLE, staff.user_by_email(CONSOLE, email)))
    click.echo(f"{report.user.email} is deactivated and signed out everywhere.")
    _echo_needing_assignee(report)


@users_cli.command("reactivate")
@click.option("--email", required=True)
def reactivate_command(email: str) -> None:
    """Let a deactivated user sign in again."""
    from app.services import staff

    user = _run_staff(lambda: staff.reactivate(CONSOLE, staff.user_by_email(CONSOLE, email)))
    click.echo(f"{user.email} can sign in again.")


@users_cli.command("reset-password")
@click.option("--email", required=True)
@click.option("--password-stdin", is_flag=True, help=PASSWORD_STDIN_HELP)
def reset_password_command(email: str, password_stdin: bool) -> None:
    """Set a new password for a user and end every session of theirs.

    The password is asked for twice without echo, or read from standard input with
    --password-stdin; it is never taken as an argument, where the shell history and the process
    list would show it.
    """
    from app.services import staff

    password = _new_password(password_stdin, "New password")
    user = _run_staff(lambda: staff.reset_password(
        CONSOLE, staff.user_by_email(CONSOLE, email), password))
    click.echo(f"New password set for {user.email}; their sessions are ended.")


@users_cli.command("token")
@click.option("--email", required=True)
@click.option("--name", default="cli", show_default=True, help="What will use the token.")
@click.option("--scopes", default="", help="Permission names separated by spaces (e.g. "
              "\"VIEW CREATE\"), narrowing the user's role; none: the whole role.")
def token_command(email: str, name: str, scopes: str) -> None:
    """Create an API token acting as the user; the token alone on the last line, shown once."""
    from app.services import api_tokens, staff

    new = _run_staff(lambda: api_tokens.create_token(
        CONSOLE, staff.user_by_email(CONSOLE, email), name, scopes))
    click.echo(f"Token {new.token.prefix}… ({new.token.name}) for {new.token.user.email}, scopes: "
               f"{new.token.scopes or 'the whole role'}. Keep it now: it is not shown again.")
    click.echo(new.secret)


@click.command("seed")
def seed_command() -> None:
    """Load demo clients, contacts, contracts, projects, types, users and tickets (once)."""
    from app.seed import DEMO_PASSWORD, DEMO_USERS, seed_demo

    try:
        created = seed_demo()
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    if not created:
        click.echo("Demo data is already there; nothing changed.")
        return
    click.echo("Demo data created. Sign in with any of these (password: %s):" % DEMO_PASSWORD)
    for email, _name, role in DEMO_USERS:
        click.echo(f"  {email:32} {role.value}")


@tickets_cli.command("export")
@click.option("--format", "fmt", type=click.Choice(["json"]), default="json")
@click.option("--output", type=click.File("w", encoding="utf-8"), default="-")
def export_command(fmt: str, output) -> None:
    """Write every ticket with its notes, attachments, quotes, time and history as JSON."""
    from app.export import iter_ticket_records

    output.write("[")
    for index, record in enumerate(iter_ticket_records()):
        output.write(",\n" if index else "\n")
        output.write(json.dumps(record, ensure_ascii=False, indent=2))
    output.write("\n]\n")
    if output is not sys.stdout:
        output.close()


@mail_cli.command("send")
@click.option("--once", is_flag=True, help="Send what is due and exit.")
def send_command(once: bool) -> None:
    """Deliver the outbox through SOPORTE_SMTP_URL (retrying temporary failures later)."""
    import logging

    from app.mail.worker import send_forever, send_once

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    if not once:
        send_forever()
        return
    report = send_once()
    click.echo(f"sent {report.sent}, retry later {report.retried}, failed {report.failed}")
    for line in report.errors:
        click.echo(f"  {line}", err=True)


@mail_cli.command("outbox")
@click.option("--status", type=click.Choice([s.value for s in OutboxStatus]), default=None)
def outbox_command(status: str | None) -> None:
    """List outgoing mail with its status and last error."""
    from sqlalchemy import select

    from app.models.mail import OutboxMessage

    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if status:
        query = query.where(OutboxMessage.status == OutboxStatus(status))
    for row in db.session.scalars(query):
        click.echo(f"{row.id:>6} {row.status.value:<8} {row.attempts} {row.kind:<16} "
                   f"{row.to_address} | {row.subject}{'  !! ' + row.last_error if row.last_error else ''}")


@mail_cli.command("rotate-keys")
def rotate_keys_command() -> None:
    """Re-encrypt every stored mailbox password under the first key of SOPORTE_ENCRYPTION_KEYS.

    Run it after putting a new key first; then the old keys can be removed. Exits non-zero
    when a password could not be decrypted (the others are re-encrypted all the same).
    """
    from app.services.mailbox_secrets import rotate_mailbox_passwords

    rotated, unreadable = rotate_mailbox_passwords()
    db.session.commit()
    click.echo(f"Re-encrypted {rotated} mailbox password(s) under the newest key.")
    for line in unreadable:
        click.echo(line, err=True)
    if unreadable:
        raise click.exceptions.Exit(1)


@webhooks_cli.command("send")
@click.option("--once", is_flag=True, help="Send what is due and exit.")
def webhooks_send_command(once: bool) -> None:
    """Deliver due webhook events, signed, retrying failures for over a day; without --once it
    keeps going (every SOPORTE_WEBHOOKS_POLL_INTERVAL seconds) until SIGTERM or Ctrl-C, which
    let the delivery in hand finish."""
    import logging
    import signal
    import threading

    from app.services.webhooks.delivery import send_forever, send_once

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    if not once:
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        send_forever(should_stop=stop.is_set)
        return
    report = send_once()
    click.echo(f"delivered {report.delivered}, retry later {report.retried}, "
               f"failed {report.failed}, cancelled {report.cancelled}")
    for line in report.errors:
        click.echo(f"  {line}", err=True)


def register_commands(app: Flask) -> None:
    """Attach the command groups to the app."""
    app.cli.add_command(users_cli)
    app.cli.add_command(tickets_cli)
    app.cli.add_command(seed_command)
    # The poller's commands (poll, log, retry) join this group from outside the app package:
    # mail_ingest.init_app, called by the composition root (assembly.build_app).
    app.cli.add_command(mail_cli)
    app.cli.add_command(webhooks_cli)
