"""Billing for supervisors: the lines of a period (filtered by client and contract) with their
totals, downloaded as CSV or XLSX; closing the period into a numbered batch; the batches, each
with its lines, unlocked or marked paid.

/operacion/facturacion shows a period's unbilled lines and the recent batches;
/operacion/facturacion/exportar downloads the period's lines (exporting marks nothing);
/operacion/facturacion/cerrar (POST) closes the period into a batch;
/operacion/facturacion/lotes/<id> shows one batch, …/exportar downloads it, …/desbloquear and
…/pagado (POST) unlock it and mark it paid. The rules are app.services.billing's.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
import tempfile

from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from app.extensions import db
from app.models.client import Client, Contract
from app.services.billing import batches, exports, payment
from app.services.errors import DomainError, ValidationFailed, passes
from app.web.errors import http_status
from app.web.params import parse_date, parse_id

bp = Blueprint("billing", __name__)

PREVIEW_LINES = 200  # the page shows this many of a period's lines; the files hold them all
SPOOL_IN_MEMORY = 4 * 1024 * 1024  # a download larger than this is written to disk first


@dataclass(frozen=True)
class PeriodChoice:
    """The period and the filters a supervisor chose (the page's query or the close form)."""

    period_from: dt.date
    period_to: dt.date
    client: Client | None = None
    contract: Contract | None = None

    def query(self) -> dict:
        """The choice as the page's query parameters (for links that keep it)."""
        return {"from": self.period_from.isoformat(), "to": self.period_to.isoformat(),
                **({"client": self.client.id} if self.client else {}),
                **({"contract": self.contract.id} if self.contract else {})}


def _choice(values) -> PeriodChoice:
    """The period and filters from request values; the previous month by default. Raises
    ValidationFailed naming the field (a bad date, an unknown client or contract, a period out
    of order)."""
    default_from, default_to = exports.default_period()
    period_from = parse_date(values.get("from"), "from", _l("From")) or default_from
    period_to = parse_date(values.get("to"), "to", _l("To")) or default_to
    client = _row(Client, values.get("client"), "client", _l("Client"))
    contract = _row(Contract, values.get("contract"), "contract", _l("Contract"))
    exports.check_period(period_from, period_to, client, contract)
    return PeriodChoice(period_from, period_to, client, contract)


def _row(model, value, field: str, label):
    row_id = parse_id(value, field, label)
    if row_id is None:
        return None
    row = db.session.get(model, row_id)
    if row is None:
        raise ValidationFailed(_l("%(field)s: choose one of the options offered; the value sent "
                                  "is not one of them.", field=label), field=field)
    return row


@bp.route("/operacion/facturacion")
@login_required
def billing_page():
    """A period's unbilled lines (the first PREVIEW_LINES) with their totals, the filters, the
    downloads and the close form; the recent batches. A bad filter is a 400 naming it."""
    exports.check_export(current_user)
    try:
        choice = _choice(request.args)
    except ValidationFailed as error:
        return _page(None, error, http_status(error))
    return _page(choice, None, 200)


def _page(choice: PeriodChoice | None, error: DomainError | None, status: int):
    lines, totals = [], {}
    if choice is not None:
        lines = list(exports.billing_lines(choice.period_from, choice.period_to,
                                           client=choice.client, contract=choice.contract))
        totals = exports.totals(lines)
    default_from, default_to = exports.default_period()
    typed = choice.query() if choice else {
        "from": request.args.get("from", default_from.isoformat()),
        "to": request.args.get("to", default_to.isoformat())}
    return render_template(
        "billing/page.html", choice=choice, error=error, typed=typed,
        lines=lines[:PREVIEW_LINES], line_count=len(lines), totals=totals,
        clients=db.session.scalars(db.select(Client).order_by(Client.name)).all(),
        contracts=db.session.scalars(db.select(Contract).order_by(Contract.name)).all(),
        batches=batches.recent_batches(current_user)), status


@bp.route("/operacion/facturacion/exportar")
@login_required
def export_period():
    """The period's unbilled lines as a CSV or XLSX file (format=csv|xlsx); marks nothing."""
    exports.check_export(current_user)
    choice = _choice(request.args)
    lines = exports.billing_lines(choice.period_from, choice.period_to, client=choice.client,
                                  contract=choice.contract)
    name = f"facturacion-{choice.period_from.isoformat()}-{choice.period_to.isoformat()}"
    return export_response(lines, request.args.get("format"), name)


@bp.route("/operacion/facturacion/cerrar", methods=["POST"])
@login_required
def close_period():
    """Close the period: its unbilled lines become a numbered batch, locked."""
    try:
        choice = _choice(request.form)
        batch = batches.close_period(current_user, choice.period_from, choice.period_to,
                                     client=choice.client, contract=choice.contract)
        db.session.commit()
    except ValidationFailed as error:
        db.session.rollback()
        return _page(None, error, http_status(error))
    flash(_("Billing batch %(number)s created: its time can no longer be changed.",
            number=batch.number), "success")
    return redirect(url_for("billing.batch_page", batch_id=batch.id), 303)


@bp.route("/operacion/facturacion/lotes/<id:batch_id>")
@login_required
def batch_page(batch_id: int):
    """One batch: its lines and totals, its downloads, unlock and mark paid."""
    batch = batches.get_batch(current_user, batch_id)
    lines = list(exports.billing_lines(batch.period_from, batch.period_to, batch=batch))
    return render_template("billing/batch.html", batch=batch, lines=lines,
                           totals=exports.totals(lines),
                           can_unlock=passes(batches.check_unlock_batch, current_user, batch),
                           can_mark_paid=passes(payment.check_mark_batch_paid, current_user,
                                                batch))


@bp.route("/operacion/facturacion/lotes/<id:batch_id>/exportar")
@login_required
def export_batch(batch_id: int):
    """The batch's lines as a CSV or XLSX file."""
    batch = batches.get_batch(current_user, batch_id)
    lines = exports.billing_lines(batch.period_from, batch.period_to, batch=batch)
    return export_response(lines, request.args.get("format"), batch.number.lower())


@bp.route("/operacion/facturacion/lotes/<id:batch_id>/desbloquear", methods=["POST"])
@login_required
def unlock_batch(batch_id: int):
    """Unlock the batch (its time can be changed again), with an optional reason."""
    batch = batches.get_batch(current_user, batch_id)
    batches.unlock_batch(current_user, batch, request.form.get("note", ""))
    db.session.commit()
    flash(_("Billing batch %(number)s unlocked: its time can be changed.",
            number=batch.number), "success")
    return redirect(url_for("billing.batch_page", batch_id=batch.id), 303)


@bp.route("/operacion/facturacion/lotes/<id:batch_id>/pagado", methods=["POST"])
@login_required
def mark_batch_paid(batch_id: int):
    """Mark the batch paid: its settled tickets become Paid."""
    batch = batches.get_batch(current_user, batch_id)
    paid = payment.mark_batch_paid(current_user, batch)
    db.session.commit()
    flash(_("Billing batch %(number)s marked paid; tickets now paid: %(count)s.",
            number=batch.number, count=len(paid)), "success")
    return redirect(url_for("billing.batch_page", batch_id=batch.id), 303)


def export_response(lines, fmt: str | None, name: str):
    """The lines as a download: format csv or xlsx (exports.parse_format refuses another),
    written to a temporary file first (an export of 100,000 lines stays out of memory)."""
    fmt = exports.parse_format(fmt)
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)
    exports.write_file(lines, fmt, spool)
    spool.seek(0)
    return send_file(spool, mimetype=exports.MEDIA_TYPES[fmt], as_attachment=True,
                     download_name=f"{name}.{fmt}", max_age=0)
