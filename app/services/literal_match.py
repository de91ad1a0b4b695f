"""Matching a person's text literally inside a column (a search box): case-insensitive, and the
text's own % and _ (LIKE's wildcards) and backslashes taken as themselves."""
from __future__ import annotations

from sqlalchemy import ColumnElement, func


def contains_text(column, text: str) -> ColumnElement[bool]:
    """Whether the column's value contains `text`, whatever the case of either."""
    literal = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return func.lower(column).like(f"%{literal}%", escape="\\")
