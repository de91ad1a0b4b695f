"""The API against its own served document (/api/v1/openapi.json), by Schemathesis: for every
operation, a fixed number of generated requests (valid and invalid ones), sent over HTTP to the
app on a loopback port with the token of an administrator and of a viewer, get no server error
and an answer the document describes: a documented status, its content type, a body of its
schema, its documented headers (for the invalid requests too).

The document is read from the app as served, once per test process, so the operations (and the
test ids, "test_…[GET /api/v1/tickets][sqlite]") are the same in every xdist worker.
Generation is derandomized (the same requests every run) and bounded: EXAMPLES per operation (VIEWER_EXAMPLES for a viewer),
the schema's own examples and the fuzzing phase, without shrinking (a failure shows the
request as generated); the coverage phase, hundreds of requests for an operation with many
parameters, is left to a manual `schemathesis run`.

One world per backend for the whole module (a client with contacts, contracts and projects,
tickets in several statuses, records known by an external id): some generated path ids, ticket
numbers and body ids are swapped for real ones (chosen from the generated value, so still
deterministic), so requests reach past 404 into the services' own rules.
"""
from __future__ import annotations

import zlib
from types import SimpleNamespace

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from assembly import build_app
from app.extensions import db
from app.models import TicketStatus
from app.services import worklog
from tests import factories
from tests.api_calls import API, bearer
from tests.conftest import BACKENDS, _empty_tables, make_test_app
from tests.http_server import serving

DOCUMENT = f"{API}/openapi.json"
# Requests per operation: an administrator's reach every rule; a viewer's mostly meet the
# same refusal (403), so fewer of them tell as much. About 40 s of CPU per backend.
EXAMPLES = 12
VIEWER_EXAMPLES = 4
# Schemathesis' negative_data_rejection is left out: it counts an unknown query parameter
# (ignored here, as webargs does) as invalid data the API should have refused.
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]


def _served_document() -> dict:
    """The OpenAPI document as the app serves it (serving it needs no database)."""
    app = build_app("testing", {"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    response = app.test_client().get(DOCUMENT)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


schema = schemathesis.openapi.from_dict(_served_document())
schema.config.phases.update(phases=["examples", "fuzzing"])


@pytest.fixture(scope="module", params=BACKENDS)
def served(request, database_urls, tmp_path_factory):
    """The app on a loopback port over a world of data, once per backend for the module; the
    ids and numbers as plain values (the test must not read the database while the server
    writes: on SQLite a read would hold the lock the server's requests wait for)."""
    app = make_test_app(database_urls[request.param], tmp_path_factory.mktemp("schemathesis"))
    with app.app_context():
        world = factories.make_world()
        tickets = [factories.new_ticket(world),
                   factories.ticket_in(world, TicketStatus.QUOTED),
                   factories.ticket_in(world, TicketStatus.IN_PROGRESS, free=True),
                   factories.ticket_in(world, TicketStatus.CLOSED)]
        entries = [worklog.log_time(world.agent, tickets[2], 0, minutes, "Diagnóstico")
                   for minutes in (30, 45)]
        world.client.external_id, world.contact.external_id = "ERP-C1", "ERP-P1"
        world.contract.external_id, world.project.external_id = "ERP-K1", "ERP-R1"
        db.session.commit()
        data = SimpleNamespace(
            numbers=[ticket.number for ticket in tickets],
            entries=[entry.id for entry in entries],
            external_ids=["ERP-C1", "ERP-P1", "ERP-K1", "ERP-R1"],
            rows={"clients": [world.client.id, world.other_client.id],
                  "contacts": [world.contact.id, world.english_contact.id],
                  "contracts": [world.contract.id, world.covering_contract.id],
                  "projects": [world.project.id], "ticket-types": [world.ticket_type.id],
                  "staff": [world.agent.id, world.admin.id]},
            body_ids={"client_id": [world.client.id], "contact_id": [world.contact.id],
                      "type_id": [world.ticket_type.id], "project_id": [world.project.id],
                      "contract_id": [world.contract.id, world.covering_contract.id],
                      "assignee_id": [world.agent.id, world.agent2.id]},
            tokens={"admin": bearer(world.admin), "viewer": bearer(world.viewer)})
        with serving(app) as url:
            data.url = url
            yield data
        db.session.remove()
        _empty_tables()
        db.engine.dispose()


def _pick(generated, choices: list):
    """One of `choices`, chosen by the generated value (deterministic), or None to keep the
    generated one: about two requests in three get a real value."""
    digest = zlib.crc32(repr(generated).encode("utf-8", "surrogatepass"))
    return None if digest % 3 == 0 else choices[digest % len(choices)]


def _aim_at_the_world(case, data) -> None:
    """Swap some generated ids for the world's, so that requests find something. Only values
    the document allows are swapped: an invalid request stays invalid."""
    path = case.path_parameters or {}
    resource = case.operation.path.removeprefix(API + "/").split("/")[0]
    for name, choices in (("number", data.numbers), ("external_id", data.external_ids),
                          ("row_id", data.rows.get(resource, [1])),
                          ("entry_id", data.entries)):
        value = path.get(name)
        if isinstance(value, str) or (type(value) is int and value >= 1):
            real = _pick(value, choices)
            if real is not None:
                path[name] = real
    if isinstance(case.body, dict):
        for name, choices in data.body_ids.items():
            value = case.body.get(name)
            if type(value) is int and value >= 1:
                real = _pick(value, choices)
                if real is not None:
                    case.body[name] = real


def _generated(examples: int):
    return settings(max_examples=examples, derandomize=True, deadline=None, database=None,
                    phases=[Phase.explicit, Phase.generate],
                    suppress_health_check=list(HealthCheck))


def _call(case, served, role: str) -> None:
    _aim_at_the_world(case, served)
    case.call_and_validate(base_url=served.url, headers=served.tokens[role], checks=CHECKS,
                           timeout=60)


@schema.parametrize()
@_generated(EXAMPLES)
def test_every_operation_answers_as_its_document_says_to_an_administrator(case, served):
    _call(case, served, "admin")


@schema.parametrize()
@_generated(VIEWER_EXAMPLES)
def test_every_operation_answers_as_its_document_says_to_a_viewer(case, served):
    _call(case, served, "viewer")
