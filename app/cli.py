"""Command line: `flask users create`, `flask seed`, `flask tickets export`, `flask mail …`.

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

users_cli = AppGroup("users", help="Manage staff users.")
tickets_cli = AppGroup("tickets", help="Ticket data.")
mail_cli = AppGroup("mail", help="Email in (poll, log, retry) and out (send, outbox).")


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--password", required=True, help="At least 8 characters.")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role], case_sensitive=False))
@click.option("--name", default="")
@click.option("--language", default="es", type=click.Choice(["es", "en"]))
def create_user_command(email: str, password: str, role: str, name: str, language: str) -> None:
    """Create a staff user with a role."""
    from app.services.accounts import create_user

    try:
        user = create_user(email, password, role, name, language)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    click.echo(f"Created {user.email} ({user.role.value}).")


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


def register_commands(app: Flask) -> None:
    """Attach the command groups to the app."""
    app.cli.add_command(users_cli)
    app.cli.add_command(tickets_cli)
    app.cli.add_command(seed_command)
    from mail_ingest.cli import register as register_mail_ingest

    register_mail_ingest(mail_cli)
    app.cli.add_command(mail_cli)
