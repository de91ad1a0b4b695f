"""`flask mail poll`, `flask mail log`, `flask mail retry`: the poller's command line."""
from __future__ import annotations

import json
import logging

import click
from sqlalchemy import select

from app.extensions import db
from app.models.enums import InboundOutcome
from app.models.mail import InboundMessage


def register(group: click.Group) -> None:
    """Add the poller's commands to the `mail` group."""
    group.add_command(poll_command)
    group.add_command(log_command)
    group.add_command(retry_command)


@click.command("poll")
@click.option("--once", is_flag=True, help="Process what is waiting and exit.")
@click.option("--url", default=None,
              help="Only this inbox URL (default: SOPORTE_INBOX_URL and the mailboxes in admin).")
def poll_command(once: bool, url: str | None) -> None:
    """Turn waiting emails into tickets and notes (IMAP IDLE or an interval without --once).

    SIGTERM or SIGINT stops it after the message in hand, exiting 0 (mail_ingest.shutdown).
    With --once, exits non-zero when a mailbox could not be reached (after reading the others).
    """
    from mail_ingest import shutdown
    from mail_ingest.poller import poll_all, poll_forever

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    shutdown.install()
    if not once:
        poll_forever(url)
        return
    reports = poll_all([url] if url else None)
    if not reports:
        raise click.ClickException("no mailbox: set SOPORTE_INBOX_URL or add one in /admin")
    for report in reports:
        if report.error:
            click.echo(f"{report.mailbox}: could not be read: {report.error}", err=True)
        elif report.busy:
            click.echo(f"{report.mailbox}: another poller is working on it; nothing done.")
        else:
            summary = ", ".join(f"{k.lower()} {v}"
                                for k, v in sorted(report.outcomes.items())) or "nothing"
            click.echo(f"{report.mailbox}: {summary}")
    if any(report.error for report in reports):
        raise click.exceptions.Exit(1)


def _record_json(record: InboundMessage) -> dict:
    return {
        "id": record.id,
        "mailbox": record.mailbox,
        "uidvalidity": record.uidvalidity,
        "uid": record.uid,
        "message_id": record.message_id,
        "from": record.from_address,
        "subject": record.subject,
        "outcome": record.outcome.value,
        "reason": record.reason,
        "error": record.error,
        "ticket": record.ticket.number if record.ticket else None,
        "note_id": record.note_id,
        "attempts": record.attempts,
        "raw_sha256": record.raw_sha256,
        "received_at": record.received_at.isoformat(),
    }


@click.command("log")
@click.option("--format", "fmt", type=click.Choice(["json", "text"]), default="text")
@click.option("--outcome", type=click.Choice([o.value for o in InboundOutcome]), default=None)
def log_command(fmt: str, outcome: str | None) -> None:
    """List every inbound message with its outcome."""
    query = select(InboundMessage).order_by(InboundMessage.id)
    if outcome:
        query = query.where(InboundMessage.outcome == InboundOutcome(outcome))
    records = [_record_json(r) for r in db.session.scalars(query)]
    if fmt == "json":
        click.echo(json.dumps(records, ensure_ascii=False, indent=2))
        return
    for r in records:
        click.echo(f"{r['id']:>6} {r['outcome']:<11} {r['ticket'] or '-':<11} "
                   f"{r['reason'] or '':<28} {r['from']} | {r['subject']}")


@click.command("retry")
@click.option("--id", "record_id", type=int, default=None,
              help="Only this message (quarantined or waiting for triage).")
def retry_command(record_id: int | None) -> None:
    """Process the quarantined messages again from their stored source, one transaction each.

    Exits non-zero when a message cannot be retried (mail_triage.check_retryable) or failed
    again (it stays quarantined with its new error)."""
    from app.services.errors import DomainError
    from app.services.mail_triage import process_again
    from mail_ingest.ingest import reprocess

    query = select(InboundMessage.id).where(InboundMessage.outcome == InboundOutcome.QUARANTINED)
    if record_id is not None:
        query = select(InboundMessage.id).where(InboundMessage.id == record_id)
    ids = list(db.session.scalars(query.order_by(InboundMessage.id)))
    db.session.commit()
    if record_id is not None and not ids:
        raise click.ClickException(f"no message with id {record_id}")
    failed = False
    for message_id in ids:
        record = db.session.get(InboundMessage, message_id)
        try:
            error = process_again(record, reprocess)
            db.session.commit()
        except DomainError as refusal:
            db.session.rollback()
            click.echo(f"{message_id}: not retried: {refusal}", err=True)
            failed = True
            continue
        failed = failed or error is not None
        click.echo(f"{record.id}: {record.outcome.value} {record.reason or ''}"
                   f"{' ' + record.ticket.number if record.ticket else ''}"
                   f"{' ' + error if error else ''}")
    if failed:
        raise click.exceptions.Exit(1)
