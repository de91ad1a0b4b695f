"""The ticket list at /operacion/ticket, the ticket page, attachment downloads."""
from flask import Blueprint

bp = Blueprint("tickets", __name__)

from app.web.tickets import (  # noqa: E402,F401
    actions, bulk, canned_replies, edit, new, presence, routes, saved_views,
)
