"""The supervisors' reports at /informes: one page of charts and tables, and a CSV per report."""
from flask import Blueprint

bp = Blueprint("reports", __name__)

from app.web.reports import routes  # noqa: E402,F401
from app.web.reports import satisfaction  # noqa: E402,F401 - /informes/satisfaccion
