"""Collision detection: who else has a ticket open or is writing a reply, refreshed by the page."""
from app.web.tickets import bp  # noqa: F401
