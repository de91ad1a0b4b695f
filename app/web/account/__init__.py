"""The signed-in user's own things: notifications, language, time zone, API tokens."""
from flask import Blueprint

bp = Blueprint("account", __name__)

from app.web.account import routes, tokens  # noqa: E402,F401
