"""Billing for supervisors (Permission.SET_BILLING), as the dashboard's /operacion/facturacion:

- `GET /billing/export?from=&to=[&client_id=][&contract_id=]&format=csv|xlsx`: the period's
  lines not billed yet (billable time, fixed-price quotes) as a file; exporting marks nothing;
- `GET /billing/batches` (newest first) and `POST /billing/batches` (close a period: its
  unbilled lines become a numbered batch, whose time is locked);
- `GET /billing/batches/{id}`, `GET /billing/batches/{id}/export?format=csv|xlsx`,
  `POST /billing/batches/{id}/unlock` (with an optional note) and
  `POST /billing/batches/{id}/payment` (the batch is paid; its settled tickets become Paid).

Adapters only: app.services.billing decides (docs/billing.md).
"""
from __future__ import annotations

import tempfile

from flask import send_file, url_for
from flask.views import MethodView
from marshmallow import Schema, fields, validate

from app.api.auth import acting_user
from app.api.resources import ResourceBlueprint
from app.api.schemas import no_control_characters, query_id, record_id
from app.extensions import db
from app.models.client import Client, Contract
from app.services.billing import batches, exports, payment
from app.services.errors import ValidationFailed
from app.web.params import DATE_MAX, DATE_MIN

bp = ResourceBlueprint("api-billing", __name__, url_prefix="/billing",
               description="Billing runs (supervisors): the lines of a period as CSV or XLSX, "
                           "batches that bill and lock them, their payment.")

BATCHES_SHOWN = 100
NOTE_MAX = 2000
SPOOL_IN_MEMORY = 4 * 1024 * 1024  # a file larger than this is written to disk first
FILE_CONTENT = {media_type: {"schema": {"type": "string", "format": "binary"}}
                for media_type in exports.MEDIA_TYPES.values()}


def _day(**kwargs) -> fields.Date:
    return fields.Date(validate=validate.Range(min=DATE_MIN, max=DATE_MAX), **kwargs)


# Read by exports.parse_format, as the dashboard and the CLI read it (any letter case).
_FORMAT = fields.String(required=True, metadata={"description": "csv or xlsx (any letter case)",
                                                 "enum": list(exports.MEDIA_TYPES)})


class FormatQuery(Schema):
    """The file's format."""

    format = _FORMAT


class ExportQuery(FormatQuery):
    """A period (company days, both included) and optional filters."""

    period_from = _day(required=True, data_key="from")
    period_to = _day(required=True, data_key="to")
    client_id = query_id(metadata={"description": "only this client's tickets"})
    contract_id = query_id(metadata={"description": "only this contract's tickets"})


class CloseSchema(Schema):
    """The period to close into a batch, optionally one client's or one contract's."""

    period_from = _day(required=True, data_key="from")
    period_to = _day(required=True, data_key="to")
    client_id = record_id(allow_none=True)
    contract_id = record_id(allow_none=True)


class UnlockSchema(Schema):
    """Why the batch is unlocked (kept in each ticket's history)."""

    note = fields.String(load_default="", validate=[validate.Length(max=NOTE_MAX),
                                                    no_control_characters])


class BatchSchema(Schema):
    """A billing batch and its totals."""

    id = fields.Integer()
    number = fields.String(metadata={"description": "LOTE-<year>-<sequence>"})
    period_from = fields.Date(data_key="from")
    period_to = fields.Date(data_key="to")
    client_id = fields.Integer(allow_none=True)
    contract_id = fields.Integer(allow_none=True)
    created_at = fields.AwareDateTime()
    locked = fields.Boolean(attribute="is_locked", metadata={
        "description": "its time entries cannot be changed until a supervisor unlocks it"})
    unlocked_at = fields.AwareDateTime(allow_none=True)
    paid_at = fields.AwareDateTime(allow_none=True)
    totals = fields.Function(
        lambda batch: {currency: f"{amount:.2f}" for currency, amount in
                       exports.totals(exports.billing_lines(batch.period_from,
                                                            batch.period_to,
                                                            batch=batch)).items()},
        metadata={"description": "amount per currency (decimal strings)",
                  "type": "object", "additionalProperties": {"type": "string"}})


def _row(model, row_id: int | None, field: str):
    """The client or contract an id names; a 422 naming the field when none has it."""
    if row_id is None:
        return None
    row = db.session.get(model, row_id)
    if row is None:
        raise ValidationFailed(exports.NO_SUCH_FILTER, field=field)
    return row


def _file(lines, fmt: str, name: str):
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)
    exports.write_file(lines, fmt, spool)
    spool.seek(0)
    return send_file(spool, mimetype=exports.MEDIA_TYPES[fmt], as_attachment=True,
                     download_name=f"{name}.{fmt}", max_age=0)


@bp.route("/export")
class Export(MethodView):
    """A period's lines not billed yet, as a file."""

    @bp.arguments(ExportQuery, location="query")
    @bp.doc(responses={"200": {"description": "the lines and a total per currency",
                               "content": FILE_CONTENT}})
    @bp.errors(401, 403, 422)
    def get(self, query: dict):
        """The period's billable time and fixed-price quotes not billed yet, one line each, then
        a total per currency (CSV cells that could be formulas are neutralised). Marks
        nothing."""
        exports.check_export(acting_user())
        client = _row(Client, query.get("client_id"), "client_id")
        contract = _row(Contract, query.get("contract_id"), "contract_id")
        exports.check_period(query["period_from"], query["period_to"], client, contract)
        lines = exports.billing_lines(query["period_from"], query["period_to"], client=client,
                                      contract=contract)
        return _file(lines, exports.parse_format(query["format"]), f"facturacion-{query['period_from'].isoformat()}-"
                                             f"{query['period_to'].isoformat()}")


@bp.route("/batches")
class Batches(MethodView):
    """Billing batches, and closing a period into a new one."""

    @bp.response(200, BatchSchema(many=True))
    @bp.errors(401, 403)
    def get(self):
        """The newest batches first (at most 100)."""
        return batches.recent_batches(acting_user(), limit=BATCHES_SHOWN)

    @bp.arguments(CloseSchema)
    @bp.response(201, BatchSchema)
    @bp.errors(401, 403, 422)
    def post(self, data: dict):
        """Close the period: its lines not billed yet become a new numbered batch, and its time
        entries are locked. 422 when there is nothing to bill."""
        user = acting_user()
        exports.check_export(user)
        client = _row(Client, data.get("client_id"), "client_id")
        contract = _row(Contract, data.get("contract_id"), "contract_id")
        batch = batches.close_period(user, data["period_from"], data["period_to"],
                                     client=client, contract=contract)
        db.session.commit()
        return batch, {"Location": url_for(".BatchById", batch_id=batch.id)}


@bp.route("/batches/<id:batch_id>")
class BatchById(MethodView):
    """One batch."""

    @bp.response(200, BatchSchema)
    @bp.errors(401, 403, 404)
    def get(self, batch_id: int):
        """The batch with its totals."""
        return batches.get_batch(acting_user(), batch_id)


@bp.route("/batches/<id:batch_id>/export")
class BatchExport(MethodView):
    """One batch's lines as a file."""

    @bp.arguments(FormatQuery, location="query")
    @bp.doc(responses={"200": {"description": "the batch's lines and a total per currency",
                               "content": FILE_CONTENT}})
    @bp.errors(401, 403, 404, 422)
    def get(self, query: dict, batch_id: int):
        """The batch's lines, then a total per currency."""
        batch = batches.get_batch(acting_user(), batch_id)
        lines = exports.billing_lines(batch.period_from, batch.period_to, batch=batch)
        return _file(lines, exports.parse_format(query["format"]), batch.number.lower())


@bp.route("/batches/<id:batch_id>/unlock")
class BatchUnlock(MethodView):
    """Unlocking a batch."""

    @bp.arguments(UnlockSchema)
    @bp.response(200, BatchSchema)
    @bp.errors(401, 403, 404, 409, 422)
    def post(self, data: dict, batch_id: int):
        """Unlock the batch: its time entries can be changed or deleted again (they stay in
        it). 409 when it is unlocked already."""
        user = acting_user()
        batch = batches.get_batch(user, batch_id)
        batches.unlock_batch(user, batch, data["note"])
        db.session.commit()
        return batch


@bp.route("/batches/<id:batch_id>/payment")
class BatchPayment(MethodView):
    """Recording a batch's payment."""

    @bp.response(200, BatchSchema)
    @bp.errors(401, 403, 404, 409)
    def post(self, batch_id: int):
        """The batch is paid: each ticket all of whose lines are in paid batches becomes Paid.
        409 when it is marked paid already."""
        user = acting_user()
        batch = batches.get_batch(user, batch_id)
        payment.mark_batch_paid(user, batch)
        db.session.commit()
        return batch
