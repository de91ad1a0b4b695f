"""Command line: `flask users create|list|set-role|deactivate|reactivate|reset-password|token`,
`flask seed`, `flask tickets export`, `flask mail …`, `flask webhooks send`,
`flask billing export|close|unlock`, `flask sla explain|tick`, `flask backup create|restore`.

Each command is one transaction: it commits on success and rolls back on a domain error.
"""
from __future__ import annotations

import json
import sys

import click
from flask import Flask
from flask.cli import AppGroup

from app.extensions import db
from app.models.enums import OutboxStatus, Role, Urgency
from app.services.errors import DomainError
from app.services.permissions import CONSOLE

users_cli = AppGroup("users", help="Manage staff users.")
tickets_cli = AppGroup("tickets", help="Ticket data.")
mail_cli = AppGroup("mail", help="Email in (poll, log, retry) and out (send, outbox).")
webhooks_cli = AppGroup("webhooks", help="Webhook deliveries (send, prune).")
sla_cli = AppGroup("sla", help="Service levels: the due times a ticket would have (explain); "
                   "warnings, breaches and daily digests (tick).")
billing_cli = AppGroup("billing", help="Billing: export a period's lines, close it into a "
                       "numbered batch, unlock a batch.")
backup_cli = AppGroup("backup", help="Back up the database and the attachment and raw-mail "
                      "stores into one file; restore one into an empty instance.")


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
    """Deliver the outbox through SOPORTE_SMTP_URL (retrying temporary failures later); without
    --once it keeps going until SIGTERM or Ctrl-C, which let the message in hand finish."""
    import logging

    from app.mail.worker import send_forever, send_once
    from app.stop_signals import stop_on_signals

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    if not once:
        send_forever(should_stop=stop_on_signals("mail send").is_set)
        return
    report = send_once()
    click.echo(f"sent {report.sent}, retry later {report.retried}, failed {report.failed}")
    for line in report.errors:
        click.echo(f"  {line}", err=True)


@mail_cli.command("prune")
def prune_command() -> None:
    """Empty the bodies of mail sent more than SOPORTE_OUTBOX_KEEP_DAYS ago (their Message-IDs
    stay, so replies still thread); the outbox worker also does it every hour."""
    from app.services.outbox import prune_sent_bodies

    emptied = 0
    while chunk := prune_sent_bodies():
        db.session.commit()  # one chunk per transaction
        emptied += chunk
    click.echo(f"emptied {emptied}")


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

    from app.webhooks.worker import send_forever, send_once
    from app.stop_signals import stop_on_signals

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    if not once:
        send_forever(should_stop=stop_on_signals("webhooks send").is_set)
        return
    report = send_once()
    click.echo(f"delivered {report.delivered}, retry later {report.retried}, "
               f"failed {report.failed}, cancelled {report.cancelled}")
    for line in report.errors:
        click.echo(f"  {line}", err=True)


@webhooks_cli.command("prune")
def webhooks_prune_command() -> None:
    """Remove the webhook events older than SOPORTE_WEBHOOKS_KEEP_DAYS whose deliveries have all
    ended, with their deliveries' log; the webhook sender also does it every hour."""
    from app.services.webhooks.retention import prune_all

    click.echo(f"removed {prune_all(db.session.commit)}")


def _period_options(command):
    """--from, --to (YYYY-MM-DD, both days included), --client and --contract (names)."""
    day = click.DateTime(formats=["%Y-%m-%d"])
    for option in reversed([
        click.option("--from", "period_from", required=True, type=day,
                     help="First day of the period (YYYY-MM-DD)."),
        click.option("--to", "period_to", required=True, type=day,
                     help="Last day of the period, included (YYYY-MM-DD)."),
        click.option("--client", "client_name", default=None, help="Only this client's tickets."),
        click.option("--contract", "contract_name", default=None,
                     help="Only this contract's tickets (add --client when several clients "
                          "have a contract of that name)."),
    ]):
        command = option(command)
    return command


def _billing_period(period_from, period_to, client_name, contract_name):
    """The period as dates and its filters as rows; a bad value is a usage error (exit 2)."""
    from app.services.billing.exports import check_period, filters_named
    from app.services.errors import ValidationFailed

    period_from, period_to = period_from.date(), period_to.date()
    try:
        check_period(period_from, period_to)
        client, contract = filters_named(client_name, contract_name)
    except ValidationFailed as error:
        hint = {"client": "--client", "contract": "--contract", "period_from": "--from"}.get(
            error.field, "--from/--to")
        raise click.BadParameter(str(error), param_hint=f"'{hint}'") from None
    return period_from, period_to, client, contract


def _billing_actor(email: str):
    """The staff user named by --as (a usage error when there is none)."""
    from app.services import staff

    try:
        return staff.user_by_email(CONSOLE, email)
    except DomainError as error:
        raise click.BadParameter(str(error), param_hint="'--as'") from None


@billing_cli.command("export")
@_period_options
@click.option("--format", "fmt", required=True,
              type=click.Choice(["csv", "xlsx"], case_sensitive=False))
@click.option("--output", required=True, help="The file to write; - for standard output.")
def billing_export_command(period_from, period_to, client_name, contract_name, fmt: str,
                           output: str) -> None:
    """Write the period's billable lines not billed yet, with a total per currency, as CSV or
    XLSX. Marks nothing billed (that is `flask billing close`)."""
    from app.services.billing import exports

    period = _billing_period(period_from, period_to, client_name, contract_name)
    if fmt == "xlsx" and output == "-" and sys.stdout.isatty():
        raise click.UsageError("An XLSX file is binary: write it with --output FILE, or "
                               "redirect standard output to a file.")
    write = exports.write_csv if fmt == "csv" else exports.write_xlsx
    try:
        if output == "-":
            stream = sys.stdout if fmt == "csv" else sys.stdout.buffer
            write(exports.billing_lines(*period), stream)
            stream.flush()
        else:
            _write_file(output, fmt, lambda stream: write(exports.billing_lines(*period), stream))
    except DomainError as error:
        raise click.ClickException(str(error)) from None
    finally:
        db.session.rollback()  # a read: nothing to keep


def _write_file(path: str, fmt: str, write) -> None:
    """Write through a temporary file beside the target, renamed when complete: a failed
    export leaves no half file under the name asked for."""
    import os
    from pathlib import Path

    target = Path(path)
    partial = target.with_name(f".{target.name}.partial")
    try:
        with (open(partial, "w", encoding="utf-8", newline="") if fmt == "csv"
              else open(partial, "wb")) as stream:
            write(stream)
        os.replace(partial, target)
    except OSError as error:
        raise click.ClickException(f"Cannot write {path}: {error.strerror}") from None
    finally:
        partial.unlink(missing_ok=True)


@billing_cli.command("close")
@_period_options
@click.option("--as", "actor_email", required=True,
              help="The supervisor who closes the period (the console itself may not bill).")
def billing_close_command(period_from, period_to, client_name, contract_name,
                          actor_email: str) -> None:
    """Take the period's billable lines not billed yet into a new numbered batch (LOTE-<year>-
    <NNNN>) and mark them billed; prints the number and the totals per currency."""
    from collections import Counter

    from app.services.billing import batches, exports

    period = _billing_period(period_from, period_to, client_name, contract_name)
    actor = _billing_actor(actor_email)

    def close():
        batch = batches.close_period(actor, *period)
        kinds = Counter()

        def counted(lines):
            for line in lines:
                kinds[line.kind] += 1
                yield line

        sums = exports.totals(counted(exports.billing_lines(*period[:2], batch=batch)))
        return batch.number, kinds[exports.TIME], kinds[exports.QUOTE], sums

    number, entries, quotes, sums = _run_staff(close)
    click.echo(f"Closed batch {number} ({period[0].isoformat()} to {period[1].isoformat()}): "
               f"time entries: {entries}, fixed-price quotes: {quotes}. Totals:")
    for currency, amount in sums.items():
        click.echo(f"  {amount:>14} {currency}")


@billing_cli.command("unlock")
@click.argument("number")
@click.option("--as", "actor_email", required=True, help="The supervisor who unlocks the batch.")
@click.option("--note", default="", help="Why (kept in the history of each ticket it billed).")
def billing_unlock_command(number: str, actor_email: str, note: str) -> None:
    """Unlock a billing batch: its time entries may be changed or deleted again."""
    from app.services.billing import batches

    actor = _billing_actor(actor_email)
    try:
        batch = batches.batch_by_number(number)
    except DomainError as error:
        raise click.BadParameter(str(error), param_hint="'NUMBER'") from None
    _run_staff(lambda: batches.unlock_batch(actor, batch, note))
    click.echo(f"Batch {batch.number} is unlocked: its time can be changed again.")


@sla_cli.command("explain")
@click.option("--urgency", required=True,
              type=click.Choice([u.value for u in Urgency], case_sensitive=False))
@click.option("--opened", required=True, help="When the ticket was opened, ISO 8601 (e.g. "
              "2026-03-27T17:30:00+01:00; without an offset, in the calendar's zone).")
@click.option("--calendar", "calendar_name", default=None,
              help="A stored calendar's name; without it, the configured default.")
def sla_explain_command(urgency: str, opened: str, calendar_name: str | None) -> None:
    """Print as JSON the due times (first response, next response, resolution; ISO 8601 in the
    calendar's zone) of a ticket of that urgency opened then, with the calendar and the stored
    or default targets."""
    import datetime as dt

    from app.services.errors import ValidationFailed
    from app.services.sla import calendars, clocks

    try:
        calendar = (calendars.calendar_named(calendar_name) if calendar_name is not None
                    else calendars.default_calendar())
    except ValidationFailed as error:
        hint = "'--calendar'" if error.field == "calendar" else None
        if hint is None:  # the configured default is malformed: name the setting
            raise click.ClickException(f"{error.field}: {error}") from None
        raise click.BadParameter(str(error), param_hint=hint) from None
    try:
        moment = dt.datetime.fromisoformat(opened.strip())
    except ValueError:
        raise click.BadParameter("give a date and time in ISO 8601, for example "
                                 "2026-03-27T17:30:00+01:00", param_hint="'--opened'") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=calendar.zone)
    due = clocks.explain(urgency.upper(), moment, calendar)
    db.session.rollback()  # a read: nothing to keep
    click.echo(json.dumps({name: value.astimezone(calendar.zone).isoformat()
                           for name, value in due.items()}, indent=2))


@sla_cli.command("tick")
@click.option("--once", is_flag=True, help="Run the checks and digests once and exit.")
def sla_tick_command(once: bool) -> None:
    """Give the service-level warnings and breaches that are due and send the supervisors'
    daily digests (app.services.sla.ticks), committing after each batch of tickets; without --once
    it runs every SOPORTE_SLA_TICK_SECONDS until SIGTERM or Ctrl-C, which let the run in hand
    finish."""
    import logging

    from flask import current_app

    from app.services.errors import ValidationFailed
    from app.services.sla.ticks import tick
    from app.stop_signals import stop_on_signals

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    if once:
        try:
            report = tick(db.session.commit)
        except ValidationFailed as error:  # a malformed setting: name it
            raise click.ClickException(f"{error.field}: {error}") from None
        db.session.commit()
        click.echo(f"alerts {report.alerts}, notified {report.notified}, "
                   f"waiting for working hours {report.waiting}, digests {report.digests}, "
                   f"due times stored {report.dues}, tickets read {report.tickets}")
        return
    stop = stop_on_signals("sla tick")
    while not stop.is_set():
        try:
            tick(db.session.commit)
        except Exception:  # one failed run (a database restart) must not stop the worker
            db.session.rollback()
            logging.getLogger(__name__).exception("sla tick failed")
        db.session.remove()  # the next run reads the tickets afresh
        stop.wait(current_app.config["SOPORTE_SLA_TICK_SECONDS"])


@backup_cli.command("create")
@click.option("--output", required=True, type=click.Path(dir_okay=False),
              help="The archive to write (a gzipped tar, mode 0600; replaced if it exists).")
def backup_create_command(output: str) -> None:
    """Write one archive with the database (the SQLite backup API, or pg_dump), the attachment
    and raw-mail stores and a manifest, consistent while the app runs (docs/backups.md)."""
    from pathlib import Path

    from app.backups import BackupError
    from app.backups.operations import create_backup

    try:
        report = create_backup(Path(output))
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    files = ", ".join(f"{name} {count}" for name, count in report.files.items())
    click.echo(f"Backup written to {report.path} ({report.size} bytes): {report.dialect} "
               f"database at schema revision {report.revision}; files: {files}.")


@backup_cli.command("restore")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False))
@click.option("--force", is_flag=True, help="Restore even though the database or the stores "
              "are not empty: the database's contents are replaced by the backup's.")
def backup_restore_command(archive: str, force: bool) -> None:
    """Restore an archive of `flask backup create` into this instance (DATABASE_URL, the store
    folders), which must be empty; stop the app and its workers first (docs/backups.md)."""
    from pathlib import Path

    from app.backups import BackupError
    from app.backups.operations import restore_backup

    try:
        report = restore_backup(Path(archive), force)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    files = ", ".join(f"{name} {count}" for name, count in report.files.items())
    click.echo(f"Restored {report.path}: {report.dialect} database at schema revision "
               f"{report.revision}; files: {files}.")
    if report.needs_upgrade:
        click.echo(f"This code's schema revision is {report.code_revision}: run "
                   "`flask db upgrade` before starting the app.")


def register_commands(app: Flask) -> None:
    """Attach the command groups to the app."""
    app.cli.add_command(users_cli)
    app.cli.add_command(tickets_cli)
    app.cli.add_command(seed_command)
    # The poller's commands (poll, log, retry) join this group from outside the app package:
    # mail_ingest.init_app, called by the composition root (assembly.build_app).
    app.cli.add_command(mail_cli)
    app.cli.add_command(webhooks_cli)
    app.cli.add_command(sla_cli)
    app.cli.add_command(billing_cli)
    app.cli.add_command(backup_cli)
