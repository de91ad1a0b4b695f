"""Canned replies: supervisors manage the team's snippets; agents insert one, filled for the ticket."""
from app.web.tickets import bp  # noqa: F401
