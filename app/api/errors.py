"""Every error under /api/ answered once, as JSON: {"code", "message", "field"} (plus "errors"
per field when a schema refused the request), the message in the language of Accept-Language
(Spanish by default). A domain error keeps its stable code and the status of
app.web.errors.HTTP_STATUS; HTTP errors get a code of their own here; a fault is logged and
answered as JSON too, never as a page. A domain error that carries more than its message (the
reply guard's unseen messages) gets those as further members of the body, each documented in
ErrorSchema."""
from __future__ import annotations

import logging

from flask import Flask, current_app, request
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException, InternalServerError

from app.api.field_messages import translated
from app.services.errors import DomainError
from app.services.presence import NewerCustomerMessage
from app.web.errors import CHANGED_MEANWHILE, http_status

log = logging.getLogger(__name__)

# The code and message of each HTTP error the API answers without a domain error.
HTTP_ERRORS = {
    400: ("bad_request", _l("The request could not be read: check that its body is valid JSON "
                            "and its values have the documented types.")),
    401: ("not_authenticated", _l("Send a valid API token in the header \"Authorization: "
                                  "Bearer <token>\". Tokens are made on the account page or "
                                  "with \"flask users token\"; a revoked token, or one of a "
                                  "deactivated user, no longer works.")),
    403: ("not_permitted", _l("Your token does not allow this.")),
    404: ("not_found", _l("There is nothing at this address of the API. Check it against the "
                          "API's document, /api/v1/openapi.json.")),
    405: ("method_not_allowed", _l("This address of the API does not take this method. The "
                                   "API's document, /api/v1/openapi.json, lists the ones it "
                                   "takes.")),
    413: ("too_large", _l("The request is larger than the server accepts. Send less at a "
                          "time.")),
    412: ("precondition_failed", _l("The ticket changed since you read it (its ETag is no longer "
                                    "the one sent in If-Match) and nothing was saved. Read it "
                                    "again and send its new ETag.")),
    415: ("unsupported_media_type", _l("Send the request's body as JSON (Content-Type: "
                                       "application/json).")),
    422: ("validation_failed", _l("Some values of the request are not valid: see \"errors\", "
                                  "which names each field and what is wrong with it.")),
    428: ("precondition_required", _l("Send the ticket's ETag, as its last GET gave it, in the "
                                      "header If-Match, so that a change made meanwhile is not "
                                      "overwritten.")),
    429: ("too_many_requests", _l("Too many requests with this token. Wait the seconds that "
                                  "Retry-After says, then send again.")),
    500: ("server_error", _l("Something went wrong on our side and nothing was saved. Try "
                             "again; if it happens again, tell an administrator.")),
}
GENERIC = ("http_error", _l("The request was refused. Check it against the API's document, "
                            "/api/v1/openapi.json."))


class NewerMessageSchema(Schema):
    """A customer message the reply's writer had not seen."""

    note_id = fields.Integer()
    at = fields.AwareDateTime()
    excerpt = fields.String()


class ErrorSchema(Schema):
    """The body of every error answer of the API."""

    code = fields.String(required=True, metadata={"description": "stable, for programs: "
                         "not_authenticated, not_permitted, not_found, validation_failed, "
                         "invalid_transition, conflict, …"})
    message = fields.String(required=True, metadata={"description": "for people, in the "
                            "language of Accept-Language (Spanish by default)"})
    field = fields.String(allow_none=True, metadata={"description": "the field concerned"})
    errors = fields.Dict(metadata={"description": "per location and field, what a schema "
                                   "refused (422 only)"})
    messages = fields.List(fields.Nested(NewerMessageSchema), metadata={
        "description": "customer_wrote_again only (a reply not sent, 409): the customer's "
                       "messages the reply's writer had not seen, oldest first; send the reply "
                       "again with seen_through the newest one's note_id, or with "
                       "confirm_newer true"})


def is_api_request() -> bool:
    """True for a request to the API's addresses (its errors are JSON)."""
    prefix = current_app.config["SOPORTE_API_PREFIX"]
    return request.path == prefix or request.path.startswith(prefix + "/")


def error_response(status: int, code: str, message, field: str | None = None,
                   errors: dict | None = None, headers: dict | None = None):
    """The JSON answer of one error."""
    body = {"code": code, "message": str(message), "field": field}
    if errors is not None:
        body["errors"] = errors
    return body, status, headers or {}


def domain_error_response(error: DomainError):
    """A domain error's answer: its code, message and field (and what else it carries), with its
    HTTP status."""
    body, status, headers = error_response(http_status(error), error.code, error.message,
                                           error.field)
    if isinstance(error, NewerCustomerMessage):
        body["messages"] = NewerMessageSchema(many=True).dump(error.messages)
    return body, status, headers


def _http_error_response(error: HTTPException):
    code, message = HTTP_ERRORS.get(error.code, GENERIC)
    data = getattr(error, "data", None) or {}
    headers = dict(data.get("headers") or {})
    if error.code == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="soporte"'
    if error.code == 405 and getattr(error, "valid_methods", None):
        headers["Allow"] = ", ".join(error.valid_methods)
    errors = translated(data.get("messages")) if error.code == 422 else None
    return error_response(error.code or 500, code, message, _first_field(errors), errors,
                          headers)


def _first_field(errors: dict | None) -> str | None:
    """The first field a schema refused ({"query": {"status": [...]}} → "status"); None when
    it refused the body as a whole (marshmallow's "_schema": not an object)."""
    for by_field in (errors or {}).values():
        if isinstance(by_field, dict):
            return next((str(name) for name in by_field if name != "_schema"), None)
    return None


def api_error_response(error: Exception):
    """The API's answer to any error raised while serving it."""
    if isinstance(error, DomainError):
        return domain_error_response(error)
    if isinstance(error, StaleDataError):
        from app.extensions import db

        db.session.rollback()
        return error_response(409, "conflict", CHANGED_MEANWHILE)
    if isinstance(error, HTTPException) and not isinstance(error, InternalServerError):
        return _http_error_response(error)
    log.error("unhandled API error: %r", getattr(error, "original_exception", error))
    return error_response(500, *HTTP_ERRORS[500])


def register(app: Flask) -> None:
    """Answer errors under the API's prefix in JSON, whatever handler the app had for them:
    each handler registered so far (the dashboard's pages) is kept for every other address."""
    handlers = app.error_handler_spec.setdefault(None, {})
    for kind in (HTTPException, DomainError, StaleDataError, InternalServerError):
        app.register_error_handler(kind, _dashboard_fallback(app, kind))
    for by_class in handlers.values():
        for kind, handler in list(by_class.items()):
            by_class[kind] = _json_under_api(handler)


def _dashboard_fallback(app: Flask, kind: type[Exception]):
    """The handler the app already has for `kind`, else Flask's default answer."""
    code = kind.code if issubclass(kind, HTTPException) else None
    return app.error_handler_spec.get(None, {}).get(code, {}).get(kind) or _flask_default


def _flask_default(error: Exception):
    if isinstance(error, HTTPException):
        return error  # Werkzeug's own answer
    raise error  # Flask answers it as a fault (500)


def _json_under_api(handler):
    def handle(error):
        if is_api_request():
            return api_error_response(error)
        return handler(error)

    handle.__doc__ = f"JSON under the API's prefix, else {handler.__name__}."
    return handle
