"""GET /contratos/<id>: a contract's hour bank for staff (included, used and remaining in
today's period and the six before it), read through app.services.billing.hour_banks, which
holds the permission check."""
from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from app.services.billing.hour_banks import contract_bank

bp = Blueprint("contracts", __name__)


@bp.get("/contratos/<id:contract_id>")
@login_required
def detail(contract_id: int):
    """The contract's page: its client, term and hour bank by period."""
    return render_template("contracts/detail.html", bank=contract_bank(current_user, contract_id))
