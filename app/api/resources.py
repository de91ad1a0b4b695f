"""What every resource module of the API shares: its blueprint (ResourceBlueprint) signs the
request in by its bearer token and forgets the token's scopes after, reads bodies with the
API's JSON parser, serves `<id:…>` record ids (documented as bounded integers), and documents
each operation's error answers with one decorator (`bp.errors(401, 403, …)`)."""
from __future__ import annotations

from flask_smorest import Blueprint

from app.api.auth import forget_scopes, require_token
from app.api.errors import ErrorSchema
from app.api.schemas import JsonParser
from app.web.params import ID_MAX, IdConverter


class ResourceBlueprint(Blueprint):
    """A flask-smorest blueprint of the API (see the module's docstring); `parser`: how its
    bodies are read (JsonParser unless the resource takes multipart forms)."""

    def __init__(self, name: str, import_name: str, *, parser=None, **kwargs):
        super().__init__(name, import_name, **kwargs)
        self.ARGUMENTS_PARSER = parser or JsonParser()
        self.before_request(require_token)
        self.teardown_request(forget_scopes)
        self.record_once(self._record_ids)

    def _record_ids(self, state) -> None:
        """`<id:…>` in this blueprint's paths, and its schema in the document."""
        state.app.url_map.converters.setdefault("id", IdConverter)
        api = state.app.extensions["flask-smorest"]["blp_name_to_api"].get(self.name)
        if api is not None:
            api.register_converter(IdConverter, lambda _converter: {
                "type": "integer", "minimum": 1, "maximum": ID_MAX})

    def errors(self, *statuses: int):
        """Document the error answers (ErrorSchema) an operation gives."""
        def decorate(view):
            for status in statuses:
                view = self.alt_response(status, schema=ErrorSchema)(view)
            return view
        return decorate
