"""The signed-in user's own things: notifications, language, time zone."""
from flask import Blueprint

bp = Blueprint("account", __name__)

from app.web.account import routes  # noqa: E402,F401
