"""Whether a value (a name, an address) already belongs to another row, whatever its letter
case: the one check behind every "already exists" refusal (clients, contacts, staff users,
ticket types, mailboxes, canned replies, a user's saved views). The unique indexes stay the last
word when two saves race. On SQLite, whose lower() folds ASCII letters only, "Árbol" and "ÁRBOL"
are two names (PostgreSQL with a UTF-8 locale folds every letter); the same text is taken on
both."""
from __future__ import annotations

from sqlalchemy import func, or_, select

from app.extensions import db


def taken_by_another(column, value: str, row=None, within=None, ignore_case: bool = True) -> bool:
    """True when a row other than `row` (the one being edited, or None for a new one) has
    `value` in `column`, compared without letter case (exactly with ignore_case False: an
    ERP's external_id, a machine's key); `within`, a condition, limits the rows compared (a
    name unique per user)."""
    model = column.class_
    if ignore_case:
        # the same text too: SQLite's lower() folds ASCII letters only ("ÁRBOL" stays as is)
        query = select(model.id).where(or_(column == value,
                                           func.lower(column) == (value or "").lower()))
    else:
        query = select(model.id).where(column == value)
    if within is not None:
        query = query.where(within)
    if row is not None and row.id is not None:
        query = query.where(model.id != row.id)
    return db.session.execute(query.limit(1)).first() is not None
