"""A readable JSON backup of every ticket with its notes, attachments, quotes, time and history."""
from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import Iterator

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models.ticket import Ticket

BATCH = 200


def _plain(value):
    """A JSON-friendly form of a column value; a moment stays ISO 8601 with its UTC offset
    (2026-10-25T01:30:00+00:00), never a local time without its zone."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _name(entity) -> str | None:
    return str(entity) if entity is not None else None


def ticket_record(ticket: Ticket) -> dict:
    """One ticket as a dictionary a person can read."""
    return {
        "number": ticket.number,
        "status": ticket.status.value,
        "client": ticket.client.name,
        "requester": ticket.contact.email if ticket.contact else None,
        "contract": _name(ticket.contract),
        "project": _name(ticket.project),
        "type": _name(ticket.type),
        "subject": ticket.subject,
        "description": ticket.description,
        "urgency": ticket.urgency.value,
        "assignee": ticket.assignee.email if ticket.assignee else None,
        "is_free": ticket.is_free,
        "payment_status": ticket.payment_status.value,
        "total_minutes": ticket.total_minutes,
        "source": ticket.source.value,
        "related_ticket": ticket.related_ticket.number if ticket.related_ticket else None,
        "created_at": _plain(ticket.created_at),
        "updated_at": _plain(ticket.updated_at),
        "closed_at": _plain(ticket.closed_at),
        "notes": [{
            "kind": n.kind.value,
            "author": n.author_user.email if n.author_user else
            (n.author_contact.email if n.author_contact else None),
            "text": n.body_text,
            "html": n.body_html,
            "created_at": _plain(n.created_at),
            "attachments": [a.id for a in n.attachments],
        } for n in ticket.notes],
        "attachments": [{
            "id": a.id, "filename": a.filename, "declared_type": a.declared_type,
            "sniffed_type": a.sniffed_type, "size": a.size, "sha256": a.sha256,
            "created_at": _plain(a.created_at),
        } for a in ticket.attachments],
        "quotes": [{
            "version": q.version, "price": _plain(q.price), "currency": q.currency,
            "estimated_hours": _plain(q.estimated_hours), "message": q.message,
            "status": q.status.value, "created_at": _plain(q.created_at),
            "decided_at": _plain(q.decided_at), "decided_by": q.decided_by_label,
            "decision_channel": _plain(q.decision_channel), "decision_note": q.decision_note,
        } for q in ticket.quotes],
        "time_entries": [{
            "user": t.user.email, "minutes": t.minutes, "work_date": _plain(t.work_date),
            "note": t.note, "created_at": _plain(t.created_at),
        } for t in ticket.time_entries],
        "history": [{
            "field": c.field, "old": c.old_value, "new": c.new_value,
            "actor": c.actor_user.email if c.actor_user else c.actor_label,
            "note": c.note.body_text if c.note else None, "at": _plain(c.created_at),
        } for c in ticket.changes],
    }


def iter_ticket_records() -> Iterator[dict]:
    """Every ticket as a record, oldest first, loaded in batches."""
    last_id = 0
    while True:
        tickets = db.session.execute(
            select(Ticket).where(Ticket.id > last_id).order_by(Ticket.id).limit(BATCH)
            .options(selectinload(Ticket.notes), selectinload(Ticket.attachments),
                     selectinload(Ticket.quotes), selectinload(Ticket.time_entries),
                     selectinload(Ticket.changes))
        ).scalars().all()
        if not tickets:
            return
        for ticket in tickets:
            yield ticket_record(ticket)
        last_id = tickets[-1].id
        db.session.expunge_all()
