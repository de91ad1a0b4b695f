"""Whether a value (a name, an address) already belongs to another row, whatever its letter
case: the one check behind every "already exists" refusal (clients, contacts, staff users,
ticket types, mailboxes, canned replies, a user's saved views). The unique indexes stay the last
word when two saves race."""
from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db


def taken_by_another(column, value: str, row=None, within=None, ignore_case: bool = True) -> bool:
    """True when a row other than `row` (the one being edited, or None for a new one) has
    `value` in `column`, compared without letter case (exactly with ignore_case False: an
    ERP's external_id, a machine's key); `within`, a condition, limits the rows compared (a
    name unique per user)."""
    model = column.class_
    if ignore_case:
        query = select(model.id).where(func.lower(column) == (value or "").lower())
    else:
        query = select(model.id).where(column == value)
    if within is not None:
        query = query.where(within)
    if row is not None and row.id is not None:
        query = query.where(model.id != row.id)
    return db.session.execute(query.limit(1)).first() is not None
