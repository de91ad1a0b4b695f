"""The ticket list at /operacion/ticket, the ticket page, attachment downloads."""
from flask import Blueprint

bp = Blueprint("tickets", __name__)

from app.web.tickets import actions, edit, new, routes  # noqa: E402,F401
