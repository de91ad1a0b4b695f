"""Bulk actions from the list: one form, the same services per ticket, a result per ticket."""
from app.web.tickets import bp  # noqa: F401
