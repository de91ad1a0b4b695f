"""The JSON API's ticket changes: PATCH with If-Match (required) and one POST per action
(If-Match optional), with every role, every error each can give (400, 401, 403, 404, 409, 412,
413, 422, 428) as JSON in Spanish or English, never a 500 whatever the body holds; the ETag
moving with every write; the ticket's `actions` flags agreeing with what the endpoints allow;
a reply mailed as the dashboard mails it; and two writers with the same ETag over real HTTP,
of which exactly one wins."""
import datetime as dt
import json
import re
import threading
import urllib.error
import urllib.request

import pytest
from sqlalchemy import func, select
from werkzeug.serving import make_server

from app.extensions import db
from app.models import Note, OutboxMessage, Quote, Ticket, TicketStatus, TimeEntry
from app.models.enums import NoteKind
from app.services import customer_mail
from app.services.customer_mail import CustomerEmail
from tests import factories
from tests.api_calls import API, ROLES, assert_error, bearer
from tests.browsers import browser
from tests.factories import PASSWORD
from tests.conftest import on_backends


@pytest.fixture
def client(app):
    """A client whose every request picks its language and user afresh, as on a server."""
    return browser(app)


@pytest.fixture
def tokens(world):
    """A whole-role token of each role's user."""
    return {role: bearer(getattr(world, role)) for role in ROLES}


def _url(ticket, action: str = "") -> str:
    return f"{API}/tickets/{ticket.number}" + (f"/{action}" if action else "")


def _etag(client, headers, ticket) -> str:
    answer = client.get(_url(ticket), headers=headers)
    assert answer.status_code == 200
    return answer.headers["ETag"]


def _stored(ticket) -> Ticket:
    db.session.expire_all()
    return db.session.get(Ticket, ticket.id)


def _count(model, ticket) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(
        model.ticket_id == ticket.id))


def _reevaluable(world):
    """A NEW ticket covered by its contract when created, whose contract no longer covers
    support: re-evaluating makes it billed."""
    ticket = factories.new_ticket(world, contract_id=world.covering_contract.id)
    world.covering_contract.covers_support = False
    db.session.commit()
    return ticket


# Each action: the ticket it is tried on, a valid body, the roles that may, the answer's status.
ACTIONS = {
    "assign": (lambda w: factories.new_ticket(w), lambda w, t: {"assignee_id": w.agent.id},
               ("supervisor", "admin"), 200),
    "quotes": (lambda w: factories.new_ticket(w),
               lambda w, t: {"price": "150.00", "currency": "EUR", "estimated_hours": "2.5",
                             "message": "Cambio de disco"}, ("agent", "supervisor", "admin"), 201),
    "approval": (lambda w: factories.ticket_in(w, TicketStatus.QUOTED),
                 lambda w, t: {"decision": "APPROVED", "note": "Aprobado por teléfono"},
                 ("supervisor", "admin"), 200),
    "time-entries": (lambda w: factories.ticket_in(w, TicketStatus.NEW, free=True),
                     lambda w, t: {"minutes": 90, "note": "Diagnóstico"},
                     ("agent", "supervisor", "admin"), 201),
    "status": (lambda w: factories.ticket_in(w, TicketStatus.APPROVED),
               lambda w, t: {"status": "IN_PROGRESS", "note": "Empiezo"},
               ("agent", "supervisor", "admin"), 200),
    "notes": (lambda w: factories.new_ticket(w), lambda w, t: {"text": "Llamé al cliente"},
              ("agent", "supervisor", "admin"), 201),
    "replies": (lambda w: factories.new_ticket(w), lambda w, t: {"text": "Ya está resuelto"},
                ("agent", "supervisor", "admin"), 201),
    "close": (lambda w: factories.new_ticket(w), lambda w, t: {"note": "Resuelto"},
              ("agent", "supervisor", "admin"), 200),
    "reopen": (lambda w: factories.ticket_in(w, TicketStatus.CLOSED),
               lambda w, t: {"note": "Volvió a fallar"}, ("supervisor", "admin"), 200),
    "payment": (lambda w: factories.new_ticket(w), lambda w, t: {"payment_status": "PAID"},
                ("supervisor", "admin"), 200),
    "free": (lambda w: factories.new_ticket(w), lambda w, t: {"free": True, "note": "Cortesía"},
             ("supervisor", "admin"), 200),
    "reevaluate": (_reevaluable, lambda w, t: {"note": "Contrato vencido"},
                   ("supervisor", "admin"), 200),
}
# What each action's success leaves on the ticket.
EFFECTS = {
    "assign": lambda w, t, body: body["assignee_id"] == w.agent.id,
    "quotes": lambda w, t, body: (body["version"], body["price"], body["status"],
                                  body["ticket"]["status"]) == (1, "150.00", "QUOTED", "QUOTED"),
    "approval": lambda w, t, body: body["status"] == "APPROVED",
    "time-entries": lambda w, t, body: body["minutes"] == 90
    and body["ticket"]["total_minutes"] == 90,
    "status": lambda w, t, body: body["status"] == "IN_PROGRESS",
    "notes": lambda w, t, body: body["kind"] == "INTERNAL" and body["text"] == "Llamé al cliente",
    "replies": lambda w, t, body: body["kind"] == "PUBLIC_REPLY",
    "close": lambda w, t, body: body["status"] == "CLOSED",
    "reopen": lambda w, t, body: body["status"] in ("NEW", "IN_PROGRESS"),
    "payment": lambda w, t, body: body["payment_status"] == "PAID",
    "free": lambda w, t, body: body["free"] is True,
    "reevaluate": lambda w, t, body: body["free"] is False,
}
# A ticket on which each action is refused by the ticket's state, and the code it gets.
REFUSED_BY_STATE = {
    "assign": (lambda w: factories.ticket_in(w, TicketStatus.CLOSED), "ticket_closed"),
    "quotes": (lambda w: factories.ticket_in(w, TicketStatus.IN_PROGRESS), "invalid_transition"),
    "approval": (lambda w: factories.new_ticket(w), "invalid_transition"),
    "time-entries": (lambda w: factories.new_ticket(w), "quote_not_approved"),
    "status": (lambda w: factories.new_ticket(w), "quote_not_approved"),
    "notes": (lambda w: factories.ticket_in(w, TicketStatus.CLOSED), "ticket_closed"),
    "replies": (lambda w: factories.ticket_in(w, TicketStatus.CLOSED), "ticket_closed"),
    "close": (lambda w: factories.ticket_in(w, TicketStatus.CLOSED), "ticket_closed"),
    "reopen": (lambda w: factories.new_ticket(w), "invalid_transition"),
    "payment": (lambda w: factories.ticket_in(w, TicketStatus.NEW, free=True),
                "invalid_transition"),
    "free": (lambda w: factories.ticket_in(w, TicketStatus.QUOTED), "invalid_transition"),
    "reevaluate": (lambda w: factories.new_ticket(w), "invalid_transition"),
}


def _patch(client, headers, ticket, body, etag=None):
    sent = dict(headers)
    if etag is not None:
        sent["If-Match"] = etag
    return client.patch(_url(ticket), json=body, headers=sent)


# ---- PATCH ---------------------------------------------------------------------------------

@pytest.mark.parametrize("sent", ['2', "'2'", '"2", tres', '"dos"', '""', "basura"])
def test_an_if_match_that_is_not_one_etag_is_422_naming_it(world, tokens, client, sent):
    """Not an ETag as the API gives them: said so (not "the ticket changed"), nothing saved."""
    ticket = factories.new_ticket(world)
    refused = assert_error(_patch(client, tokens["agent"], ticket, {"subject": "Otro"}, sent),
                           422, "validation_failed")
    assert refused["field"] == "If-Match" and "ETag" in refused["message"]
    assert _stored(ticket).subject == "Servidor caído"


def test_each_write_moves_the_version_by_one(world, tokens, client):
    """A write whose service changes the ticket, and one that only adds a note, each move the
    ETag by one (clients may count versions)."""
    ticket = factories.new_ticket(world)
    headers = tokens["agent"]
    first = int(_etag(client, headers, ticket).strip('"'))
    edited = _patch(client, headers, ticket, {"subject": "Otro asunto"}, f'"{first}"')
    assert edited.status_code == 200 and edited.headers["ETag"] == f'"{first + 1}"'
    noted = client.post(f"{_url(ticket)}/notes", json={"text": "Mirado"}, headers=headers)
    assert noted.status_code == 201 and noted.headers["ETag"] == f'"{first + 2}"'


@pytest.mark.parametrize("role", ("agent", "supervisor", "admin"))
def test_staff_who_may_edit_patch_the_fields_sent_with_the_etag(world, tokens, client, role):
    ticket = factories.new_ticket(world)
    etag = _etag(client, tokens[role], ticket)
    changed = _patch(client, tokens[role], ticket, {
        "subject": "Disco lleno", "urgency": "HIGH", "type_id": world.ticket_type.id,
        "project_id": world.project.id, "contact_id": None}, etag)
    assert changed.status_code == 200, changed.get_data(as_text=True)
    body = changed.get_json()
    assert (body["subject"], body["urgency"], body["type_id"], body["contact_id"]) == \
        ("Disco lleno", "HIGH", world.ticket_type.id, None)
    assert body["description"] == "No arranca el servidor"  # not sent: kept
    assert changed.headers["ETag"] != etag and changed.headers["ETag"] == f'"{body["version"]}"'
    assert changed.headers["ETag"] == _etag(client, tokens[role], ticket)
    stored = _stored(ticket)
    assert (stored.subject, stored.urgency.value, stored.project_id) == \
        ("Disco lleno", "HIGH", world.project.id)


def test_patch_needs_if_match_428_and_a_stale_one_is_412_changing_nothing(world, tokens,
                                                                           client):
    ticket = factories.new_ticket(world)
    headers = tokens["agent"]
    etag = _etag(client, headers, ticket)
    missing = assert_error(_patch(client, headers, ticket, {"subject": "Otro"}), 428,
                           "precondition_required")
    assert "If-Match" in missing["message"]
    for stale in ('"999"', '"998", "999"', 'W/"7"'):
        assert_error(_patch(client, headers, ticket, {"subject": "Otro"}, stale), 412,
                     "precondition_failed")
    assert _stored(ticket).subject == "Servidor caído"
    assert _etag(client, headers, ticket) == etag
    assert _patch(client, headers, ticket, {"subject": "Otro"}, etag).status_code == 200
    again = _patch(client, headers, ticket, {"subject": "Tercero"}, etag)  # the old ETag
    assert_error(again, 412, "precondition_failed")
    assert _stored(ticket).subject == "Otro"
    assert _patch(client, headers, ticket, {"subject": "Cualquiera"}, "*").status_code == 200
    listed = f'"998", {_etag(client, headers, ticket)}'  # a list matches when one ETag does
    assert _patch(client, headers, ticket, {"subject": "Lista"}, listed).status_code == 200


def test_a_viewer_may_not_patch_even_without_if_match_403_not_428(world, tokens, client):
    ticket = factories.new_ticket(world)
    refused = assert_error(_patch(client, tokens["viewer"], ticket, {"subject": "x"}), 403,
                           "not_permitted")
    assert refused["message"] == "No tiene permiso para editar tickets."
    etag = _etag(client, tokens["viewer"], ticket)
    assert_error(_patch(client, tokens["viewer"], ticket, {"subject": "x"}, etag), 403,
                 "not_permitted")
    assert _stored(ticket).subject == "Servidor caído"


def test_patch_keeps_the_client_and_the_services_rules_as_422(world, tokens, client):
    ticket = factories.new_ticket(world)
    headers = tokens["agent"]
    etag = _etag(client, headers, ticket)
    same_client = _patch(client, headers, ticket, {"client_id": world.client.id}, etag)
    assert same_client.status_code == 200
    etag = same_client.headers["ETag"]
    moved = assert_error(_patch(client, headers, ticket, {"client_id": world.other_client.id},
                                etag), 422, "validation_failed")
    assert moved["field"] == "client_id"
    other = assert_error(_patch(client, headers, ticket,
                                {"contact_id": world.other_contact.id}, etag), 422,
                         "validation_failed")
    assert other["field"] == "contact_id"
    assert other["message"] == "El solicitante debe ser un contacto del cliente seleccionado."
    blank = assert_error(_patch(client, headers, ticket, {"description": "  "}, etag), 422,
                         "validation_failed")
    assert blank["field"] == "description"
    assert _stored(ticket).client_id == world.client.id
    assert _etag(client, headers, ticket) == etag  # refused: the version did not move


def test_patch_of_a_closed_ticket_is_409(world, tokens, client):
    ticket = factories.ticket_in(world, TicketStatus.CLOSED)
    etag = _etag(client, tokens["agent"], ticket)
    assert_error(_patch(client, tokens["agent"], ticket, {"subject": "x"}, etag), 409,
                 "ticket_closed")


PATCH_REFUSALS = [
    ({}, None),
    ({"subject": None}, "subject"),
    ({"description": None}, "description"),
    ({"urgency": None}, "urgency"),
    ({"urgency": "high"}, "urgency"),
    ({"urgency": 3}, "urgency"),
    ({"client_id": None}, "client_id"),
    ({"type_id": 0}, "type_id"),
    ({"type_id": "1"}, "type_id"),
    ({"type_id": 1.5}, "type_id"),
    ({"contract_id": 2**31}, "contract_id"),
    ({"project_id": -1}, "project_id"),
    ({"contact_id": True}, "contact_id"),
    ({"subject": "s" * 256}, "subject"),
    ({"subject": "a\x00b"}, "subject"),
    ({"description": "bell\x07"}, "description"),
    ({"subject": ["x"]}, "subject"),
    ({"status": "CLOSED"}, "status"),
    ({"lock_version": 7}, "lock_version"),
]


def test_a_patch_body_the_schema_refuses_is_422_naming_the_field(world, tokens, client):
    ticket = factories.new_ticket(world)
    etag = _etag(client, tokens["agent"], ticket)
    for body, field in PATCH_REFUSALS:
        refused = assert_error(_patch(client, tokens["agent"], ticket, body, etag), 422,
                               "validation_failed")
        assert refused["field"] == field, (body, refused)
    assert _etag(client, tokens["agent"], ticket) == etag


# ---- the actions, role by role -------------------------------------------------------------

@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_each_action_with_each_role(world, tokens, client, action, role):
    make, body, allowed, status = ACTIONS[action]
    ticket = make(world)
    headers = tokens[role]
    before = _etag(client, headers, ticket)
    answer = client.post(_url(ticket, action), json=body(world, ticket), headers=headers)
    if role in allowed:
        assert answer.status_code == status, answer.get_data(as_text=True)
        assert EFFECTS[action](world, ticket, answer.get_json())
        assert answer.headers["ETag"] != before
        assert answer.headers["ETag"] == _etag(client, headers, ticket)
    else:
        assert_error(answer, 403, "not_permitted")
        assert _etag(client, headers, ticket) == before


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_each_action_with_a_current_if_match_succeeds_and_a_stale_one_is_412(world, tokens,
                                                                             client, action):
    make, body, _allowed, status = ACTIONS[action]
    ticket = make(world)
    headers = tokens["admin"]
    etag = _etag(client, headers, ticket)
    notes, entries = _count(Note, ticket), _count(TimeEntry, ticket)
    stale = client.post(_url(ticket, action), json=body(world, ticket),
                        headers={**headers, "If-Match": '"999"'})
    assert assert_error(stale, 412, "precondition_failed")["message"].startswith(
        "El ticket cambió")
    assert _etag(client, headers, ticket) == etag
    assert (_count(Note, ticket), _count(TimeEntry, ticket)) == (notes, entries)
    done = client.post(_url(ticket, action), json=body(world, ticket),
                       headers={**headers, "If-Match": etag})
    assert done.status_code == status, done.get_data(as_text=True)
    assert done.headers["ETag"] != etag


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_each_action_refused_by_the_tickets_state_is_409_in_either_language(world, tokens,
                                                                           client, action):
    make, code = REFUSED_BY_STATE[action]
    ticket = make(world)
    headers = tokens["admin"]
    etag = _etag(client, headers, ticket)
    body = ACTIONS[action][1](world, ticket)
    if action == "free":
        body["free"] = not ticket.is_free
    spanish = assert_error(client.post(_url(ticket, action), json=body, headers=headers), 409,
                           code)
    english = assert_error(client.post(_url(ticket, action), json=body,
                                       headers={**headers, "Accept-Language": "en"}), 409, code)
    assert spanish["message"] != english["message"]
    # a stale If-Match does not hide the refusal the request gets anyway (RFC 9110 §13.2.1)
    assert_error(client.post(_url(ticket, action), json=body,
                             headers={**headers, "If-Match": '"999"'}), 409, code)
    assert _etag(client, headers, ticket) == etag


@pytest.mark.parametrize("action", sorted(ACTIONS) + [""])
def test_each_endpoint_answers_401_without_a_token_and_404_for_no_ticket(world, tokens, client,
                                                                       action):
    ticket = factories.new_ticket(world)
    method = client.patch if action == "" else client.post
    body = ACTIONS[action][1](world, ticket) if action else {"subject": "x"}
    path = _url(ticket, action)
    assert_error(method(path, json=body), 401, "not_authenticated")
    missing = path.replace(ticket.number, "TCK-999999")
    found = assert_error(method(missing, json=body, headers={**tokens["admin"],
                                                             "If-Match": '"1"'}), 404,
                         "not_found")
    assert found["field"] == "number"
    for number in ("%00", "x" * 300, "TCK-1%27%20OR%201=1", "%F0%9F%98%80"):
        assert_error(method(path.replace(ticket.number, number), json=body,
                            headers=tokens["admin"]), 404, "not_found")


# ---- bodies --------------------------------------------------------------------------------

VALUE_REFUSALS = [
    ("assign", {}, "assignee_id"),
    ("assign", {"assignee_id": "2"}, "assignee_id"),
    ("assign", {"assignee_id": 2**31}, "assignee_id"),
    ("assign", {"assignee_id": 999999}, "assignee_id"),
    ("quotes", {"price": 150, "currency": "EUR", "estimated_hours": "2"}, "price"),
    ("quotes", {"price": "NaN", "currency": "EUR", "estimated_hours": "2"}, "price"),
    ("quotes", {"price": "Infinity", "currency": "EUR", "estimated_hours": "2"}, "price"),
    ("quotes", {"price": "1e5", "currency": "EUR", "estimated_hours": "2"}, "price"),
    ("quotes", {"price": "-5.00", "currency": "EUR", "estimated_hours": "2"}, "price"),
    ("quotes", {"price": "9" * 400, "currency": "EUR", "estimated_hours": "2"}, "price"),
    ("quotes", {"price": "99999999999.00", "currency": "EUR", "estimated_hours": "2"}, "price"),
    ("quotes", {"price": "0", "currency": "EUR", "estimated_hours": "2"}, "price"),
    ("quotes", {"price": "1.005", "currency": "EUR", "estimated_hours": "2"}, "price"),
    ("quotes", {"price": None, "currency": "EUR", "estimated_hours": "2"}, "price"),
    ("quotes", {"price": "10", "currency": "XXY", "estimated_hours": "2"}, "currency"),
    ("quotes", {"price": "10", "currency": "EURO", "estimated_hours": "2"}, "currency"),
    ("quotes", {"price": "10", "currency": "EUR", "estimated_hours": 2.5}, "estimated_hours"),
    ("quotes", {"price": "10", "currency": "EUR", "estimated_hours": "1000000"},
     "estimated_hours"),
    ("approval", {"decision": "MAYBE", "note": "x"}, "decision"),
    ("approval", {"decision": "APPROVED", "note": "  "}, "note"),
    ("approval", {"decision": "APPROVED"}, "note"),
    ("time-entries", {"minutes": -5}, "minutes"),
    ("time-entries", {"minutes": 0}, "minutes"),
    ("time-entries", {"minutes": "30"}, "minutes"),
    ("time-entries", {"minutes": 30.5}, "minutes"),
    ("time-entries", {"minutes": 10**30}, "minutes"),
    ("time-entries", {"hours": 1, "minutes": 75}, "minutes"),
    ("time-entries", {"hours": 25}, "hours"),
    ("time-entries", {}, "minutes"),
    ("time-entries", {"minutes": None}, "minutes"),
    ("status", {"status": "DONE", "note": "x"}, "status"),
    ("status", {"status": "IN_PROGRESS", "note": ""}, "note"),
    ("status", {"status": None, "note": "x"}, "status"),
    ("notes", {"text": ""}, "text"),
    ("notes", {"text": None}, "text"),
    ("notes", {"text": "x\x1b[31m"}, "text"),
    ("notes", {"text": "x" * 100_001}, "text"),
    ("notes", {"text": "x", "internal": False}, "internal"),
    ("replies", {"text": "x", "seen_through": -1}, "seen_through"),
    ("replies", {"text": "x", "seen_through": "0"}, "seen_through"),
    ("replies", {"text": "x", "confirm_newer": "1"}, "confirm_newer"),
    ("replies", {"text": "x", "confirm_newer": 1}, "confirm_newer"),
    ("close", {}, "note"),
    ("close", {"note": " "}, "note"),
    ("close", {"note": "x", "resolution": "x"}, "resolution"),
    ("payment", {"payment_status": "NOT_APPLICABLE"}, "payment_status"),
    ("payment", {"payment_status": "paid"}, "payment_status"),
    ("free", {"free": "true"}, "free"),
    ("free", {"free": None}, "free"),
    ("free", {}, "free"),
    ("reevaluate", {"note": 5}, "note"),
]


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_a_value_refused_is_422_naming_the_field_and_changes_nothing(world, tokens, client,
                                                                    action):
    ticket = ACTIONS[action][0](world)
    etag = _etag(client, tokens["admin"], ticket)
    for body, field in [(body, field) for name, body, field in VALUE_REFUSALS
                        if name == action]:
        refused = assert_error(client.post(_url(ticket, action), json=body,
                                           headers=tokens["admin"]), 422, "validation_failed")
        assert refused["field"] == field, (body, refused)
    assert _etag(client, tokens["admin"], ticket) == etag


# A body that cannot be read (not JSON, nested too deep, not UTF-8) is 400; JSON that is not an
# object, or no body at all, is a schema's refusal (422); a body of another type is 415.
NOT_AN_OBJECT = [
    ("{broken", "application/json", 400, "bad_request"),
    ('{"a": ' * 5000, "application/json", 400, "bad_request"),
    ("\xff\xfe", "application/json", 400, "bad_request"),
    ("[]", "application/json", 422, "validation_failed"),
    ("null", "application/json", 422, "validation_failed"),
    ('"texto"', "application/json", 422, "validation_failed"),
    ("1", "application/json", 422, "validation_failed"),
    ("", "application/json", 422, "validation_failed"),
    ("", None, 422, "validation_failed"),
    ("text=hola", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
    ("hola", "text/plain", 415, "unsupported_media_type"),
    ("hola", None, 415, "unsupported_media_type"),
]


def test_a_body_that_is_not_a_json_object_is_a_json_4xx_never_500(world, tokens, client):
    ticket = factories.new_ticket(world)
    etag = _etag(client, tokens["admin"], ticket)
    for action in sorted(ACTIONS) + [""]:
        method = client.post if action else client.patch
        for data, content_type, status, code in NOT_AN_OBJECT:
            if action in ("reevaluate", "time-entries") and data == "":
                continue  # no body is no fields, each optional: the action's own answer
            headers = {**tokens["admin"], "If-Match": etag}
            if content_type:
                headers["Content-Type"] = content_type
            answer = method(_url(ticket, action), data=data, headers=headers)
            assert (answer.status_code, answer.get_json()["code"]) == (status, code), (
                action, data, content_type, answer.get_data())
            assert answer.content_type == "application/json"
    assert _etag(client, tokens["admin"], ticket) == etag
    created = client.post(f"{API}/tickets", data='{"a": ' * 5000, headers={
        **tokens["admin"], "Content-Type": "application/json"})
    assert_error(created, 400, "bad_request")


def test_a_body_larger_than_the_server_takes_is_413(world, tokens, client, app):
    ticket = factories.new_ticket(world)
    app.config["MAX_CONTENT_LENGTH"] = 2000
    assert_error(client.post(_url(ticket, "notes"), json={"text": "x" * 5000},
                             headers=tokens["agent"]), 413, "too_large")
    assert _count(Note, ticket) == 0


def test_refusals_are_spanish_by_default_and_english_on_request(world, tokens, client):
    ticket = factories.new_ticket(world)
    spanish = assert_error(client.post(_url(ticket, "assign"), json={"assignee_id": None},
                                       headers=tokens["agent"]), 403, "not_permitted")
    assert spanish["message"] == "No tiene permiso para asignar tickets. Pídaselo a un supervisor."
    english = assert_error(client.post(_url(ticket, "assign"), json={"assignee_id": None},
                                       headers={**tokens["agent"], "Accept-Language": "en"}),
                           403, "not_permitted")
    assert english["message"] == "You do not have permission to assign tickets. Ask a supervisor."
    english = assert_error(client.post(_url(ticket, "time-entries"), json={"minutes": 5},
                                       headers={**tokens["agent"], "Accept-Language": "en"}),
                           409, "quote_not_approved")
    assert "quote" in english["message"]
    empty = client.patch(_url(ticket), json={}, headers={
        **tokens["agent"], "If-Match": _etag(client, tokens["agent"], ticket),
        "Accept-Language": "en"})
    assert "Send at least one field" in json.dumps(assert_error(empty, 422,
                                                               "validation_failed")["errors"])


# ---- the flags agree with the endpoints ----------------------------------------------------

FLAG_OF = {"assign": "assign", "quotes": "quote", "approval": "record_decision",
           "time-entries": "log_time", "notes": "note", "replies": "reply", "close": "close",
           "reopen": "reopen", "payment": "payment", "free": "mark_free",
           "reevaluate": "reevaluate"}
STATES = {
    "new": lambda w: factories.new_ticket(w),
    "new without requester": lambda w: factories.new_ticket(w, contact_id=None),
    "free": lambda w: factories.ticket_in(w, TicketStatus.NEW, free=True),
    "quoted": lambda w: factories.ticket_in(w, TicketStatus.QUOTED),
    "approved": lambda w: factories.ticket_in(w, TicketStatus.APPROVED),
    "in progress": lambda w: factories.ticket_in(w, TicketStatus.IN_PROGRESS),
    "closed": lambda w: factories.ticket_in(w, TicketStatus.CLOSED),
    "reevaluable": _reevaluable,
}


@pytest.mark.parametrize("state", sorted(STATES))
def test_the_tickets_action_flags_agree_with_what_the_endpoints_allow(world, tokens, client,
                                                                      state):
    ticket = None  # a refused attempt changes nothing: the next one uses the same ticket

    def attempt(path: str, body_of, flag_of, method="post", **headers):
        nonlocal ticket
        ticket = ticket or STATES[state](world)
        flags = client.get(_url(ticket), headers=tokens[role]).get_json()["actions"]
        answer = getattr(client, method)(_url(ticket, path), json=body_of(ticket),
                                         headers={**tokens[role], **headers})
        allowed = answer.status_code in (200, 201)
        assert flag_of(flags) is allowed, (state, role, path, answer.get_data(as_text=True))
        if allowed:
            ticket = None

    # An administrator holds every permission a supervisor does (and more, none of them on
    # tickets): test_each_action_with_each_role covers the administrator's answers.
    for role in ("viewer", "agent", "supervisor"):
        for action, flag in FLAG_OF.items():
            attempt(action, lambda t, action=action: {
                **ACTIONS[action][1](world, t),
                **({"free": not _stored(t).is_free} if action == "free" else {})},
                lambda flags, flag=flag: flags[flag])
        attempt("", lambda t: {"subject": "x"}, lambda flags: flags["edit"], "patch",
                **{"If-Match": "*"})
        for target in TicketStatus:
            attempt("status", lambda t, target=target: {"status": target.name, "note": "Ya"},
                    lambda flags, target=target: target.name in flags["status_targets"])


# ---- replies -------------------------------------------------------------------------------

def _outbox(ticket) -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.ticket_id == ticket.id, OutboxMessage.kind == "public_reply")
        .order_by(OutboxMessage.id)))


def _one_link(body: str) -> str:
    """A mail's text with its ticket link's token (signed per ticket) written as one."""
    return re.sub(r"/portal/t/[^\s\"<>]+", "/portal/t/TOKEN", body)


def test_a_reply_is_mailed_to_the_requester_as_the_dashboards_is(world, tokens, app):
    by_api, by_dashboard = factories.new_ticket(world), factories.new_ticket(world)
    api = browser(app)
    sent = api.post(_url(by_api, "replies"), json={"text": "Reinicie el router, por favor."},
                    headers=tokens["agent"])
    assert sent.status_code == 201
    dashboard = browser(app)
    assert dashboard.post("/login", data={"email": world.agent.email,
                                          "password": PASSWORD}).status_code == 302
    assert dashboard.post(f"/operacion/ticket/{by_dashboard.number}/reply",
                          data={"text": "Reinicie el router, por favor."},
                          content_type="multipart/form-data").status_code == 303
    [mail], [same] = _outbox(by_api), _outbox(by_dashboard)
    assert mail.to_address == world.contact.email == same.to_address
    assert mail.to_name == same.to_name
    assert mail.subject == same.subject.replace(by_dashboard.number, by_api.number)
    assert _one_link(mail.body_text) == _one_link(same.body_text).replace(by_dashboard.number,
                                                                          by_api.number)
    assert "/portal/t/" in mail.body_text  # each with its own ticket's link
    assert mail.headers == {key: value.replace(by_dashboard.number, by_api.number)
                            if isinstance(value, str) else value
                            for key, value in same.headers.items()}
    assert "Reinicie el router" in mail.body_text
    assert sent.get_json()["id"] == db.session.scalar(
        select(Note.id).where(Note.ticket_id == by_api.id, Note.kind == NoteKind.PUBLIC_REPLY))


def test_a_reply_over_an_unseen_customer_message_is_409_listing_it(world, tokens, client):
    ticket = factories.new_ticket(world)
    first = customer_mail.receive(world.contact, CustomerEmail(
        subject=f"Re: [{ticket.number}] x", text="Sigue sin funcionar", html=None, uploads=[]),
        ticket).note
    db.session.commit()
    headers = tokens["agent"]
    etag = _etag(client, headers, ticket)
    for sent in ({}, {"If-Match": etag}):  # with If-Match too: the guard, not a 412
        refused = client.post(_url(ticket, "replies"), json={"text": "Ya está",
                                                             "seen_through": 0},
                              headers={**headers, **sent})
        body = assert_error(refused, 409, "customer_wrote_again")
        assert "Sigue sin funcionar" in body["message"] and body["field"] == "text"
        assert [m["note_id"] for m in body["messages"]] == [first.id]
        assert body["messages"][0]["excerpt"] == "Sigue sin funcionar"
    assert _outbox(ticket) == [] and _etag(client, headers, ticket) == etag
    seen = client.post(_url(ticket, "replies"), json={"text": "Ya está",
                                                      "seen_through": first.id},
                       headers={**headers, "If-Match": etag})
    assert seen.status_code == 201
    customer_mail.receive(world.contact, CustomerEmail(
        subject=f"Re: [{ticket.number}] x", text="¿Hola?", html=None, uploads=[]), ticket)
    db.session.commit()
    anyway = client.post(_url(ticket, "replies"), json={
        "text": "Sí", "seen_through": first.id, "confirm_newer": True}, headers=headers)
    assert anyway.status_code == 201
    assert len(_outbox(ticket)) == 2


# ---- the ETag and the version --------------------------------------------------------------

def test_every_write_moves_the_etag_even_under_a_fixed_clock(world, tokens, client, app):
    app.config["SOPORTE_FIXED_NOW"] = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.timezone.utc)
    ticket = factories.new_ticket(world)
    headers = tokens["agent"]
    seen = {_etag(client, headers, ticket)}
    for text in ("una", "dos", "tres"):
        answer = client.post(_url(ticket, "notes"), json={"text": text}, headers=headers)
        assert answer.status_code == 201
        assert answer.headers["ETag"] not in seen
        seen.add(answer.headers["ETag"])
    assert _etag(client, headers, ticket) in seen and len(seen) == 4


# ---- two writers at once, over real HTTP ---------------------------------------------------

def _send(url: str, method: str, body: dict, headers: dict) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method=method,
                                     headers={**headers, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


class _Server:
    """The test app served on a loopback port, a thread per request."""

    def __init__(self, app):
        db.session.commit()  # the test's transaction ends: on SQLite it would hold the lock
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        return f"http://127.0.0.1:{self.server.server_port}"

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


def _at_once(calls) -> list:
    """Run the calls in threads of their own, started together; their results in order."""
    results = [None] * len(calls)
    start = threading.Barrier(len(calls), timeout=30)

    def run(index, call):
        start.wait()
        results[index] = call()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    return results


def test_two_patches_with_the_same_etag_over_http_exactly_one_wins(world, tokens, client, app):
    ticket = factories.new_ticket(world)
    etag = _etag(client, tokens["agent"], ticket)
    number = ticket.number
    headers = {"agent": {**tokens["agent"], "If-Match": etag},
               "supervisor": {**tokens["supervisor"], "If-Match": etag}}
    with _Server(app) as base:
        results = _at_once([
            lambda role=role: (role, *_send(f"{base}{API}/tickets/{number}", "PATCH",
                                            {"subject": f"Por {role}"}, headers[role]))
            for role in headers])
    statuses = sorted(status for _role, status, _body in results)
    assert statuses == [200, 412], results
    [(winner, _status, body)] = [result for result in results if result[1] == 200]
    assert body["subject"] == f"Por {winner}"
    assert _stored(ticket).subject == f"Por {winner}"
    [(_loser, _status, refusal)] = [result for result in results if result[1] == 412]
    assert refusal["code"] == "precondition_failed"


@on_backends("postgresql")  # SQLite lets one writer in at a time: a second request cannot read
# while the first holds its transaction
def test_two_writers_who_both_read_first_take_turns_on_postgresql(world, tokens, client, app,
                                                                backend, monkeypatch):
    """Both requests have read the ticket before either writes (held at a barrier): with the
    same ETag one PATCH wins and the other is 412; two quotes without If-Match both succeed,
    one version after the other, instead of colliding on the version number."""
    from app.api import concurrency

    read = concurrency.ticket_named
    both_read = threading.Barrier(2, timeout=30)

    def read_then_wait(user, number):
        ticket = read(user, number)
        both_read.wait()
        return ticket

    monkeypatch.setattr(concurrency, "ticket_named", read_then_wait)
    ticket = factories.new_ticket(world)
    etag = _etag(client, tokens["agent"], ticket)
    number = ticket.number
    with _Server(app) as base:
        patched = _at_once([
            lambda who=who: _send(f"{base}{API}/tickets/{number}", "PATCH",
                                  {"subject": who}, {**tokens[who], "If-Match": etag})
            for who in ("agent", "supervisor")])
        quoted = _at_once([
            lambda who=who: _send(f"{base}{API}/tickets/{number}/quotes", "POST",
                                  {"price": price, "currency": "EUR", "estimated_hours": "1"},
                                  tokens[who])
            for who, price in (("agent", "100.00"), ("supervisor", "200.00"))])
    assert sorted(status for status, _body in patched) == [200, 412], patched
    assert [status for status, _body in quoted] == [201, 201], quoted
    assert sorted(body["version"] for _status, body in quoted) == [1, 2]
    stored = _stored(ticket)
    assert stored.subject in ("agent", "supervisor")
    assert [q.status.name for q in sorted(stored.quotes, key=lambda q: q.version)] == \
        ["SUPERSEDED", "QUOTED"]
    assert db.session.scalar(select(func.count()).select_from(Quote)) == 2


def test_the_openapi_document_has_every_change_with_its_errors(client):
    document = client.get(f"{API}/openapi.json").get_json()
    paths = document["paths"]
    patch = paths[f"{API}/tickets/{{number}}"]["patch"]
    assert {"200", "401", "403", "404", "409", "412", "422", "428"} <= set(patch["responses"])
    assert any(p["name"] == "If-Match" and p.get("required") for p in patch["parameters"])
    for action, (_make, _body, _roles, status) in ACTIONS.items():
        operation = paths[f"{API}/tickets/{{number}}/{action}"]["post"]
        assert {str(status), "401", "403", "404", "409", "412", "422"} <= \
            set(operation["responses"]), action
        assert "ETag" in operation["responses"][str(status)]["headers"]
        assert any(p["name"] == "If-Match" and not p.get("required")
                   for p in operation["parameters"])
    price = document["components"]["schemas"]["QuoteBody"]["properties"]["price"]
    assert price["type"] == "string" and price["pattern"]
