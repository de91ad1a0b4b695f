"""The JSON API's tickets (list with the list's filters and a cursor, one ticket with its ETag
and actions, a new ticket) with each role, and its errors: JSON with a stable code, Spanish by
default and English on request, for every status it answers (401, 403, 404, 405, 413, 422),
never a 500 or a page, whatever the query holds; its OpenAPI document."""
import json

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import ApiToken, Language, Ticket, TicketStatus, Urgency
from app.services import api_tokens, assignment, status_changes
from tests import factories
from tests.api_calls import API, ROLES, assert_error, bearer
from tests.browsers import browser
from tests.factories import PASSWORD



@pytest.fixture
def client(app):
    """A client whose every request picks its language and user afresh, as on a server."""
    return browser(app)


@pytest.fixture
def tokens(world):
    """A whole-role token of each role's user."""
    return {role: bearer(getattr(world, role)) for role in ROLES}


def _new_ticket(client, headers, world, **fields):
    body = {"client_id": world.client.id, "contact_id": world.contact.id,
            "subject": "Impresora", "description": "No imprime", **fields}
    return client.post(f"{API}/tickets", json=body, headers=headers)


@pytest.mark.parametrize("role", ROLES)
def test_every_role_reads_the_list_and_a_ticket(world, tokens, client, role):
    ticket = factories.new_ticket(world)
    listed = client.get(f"{API}/tickets", headers=tokens[role])
    assert listed.status_code == 200
    assert [item["number"] for item in listed.get_json()["items"]] == [ticket.number]
    one = client.get(f"{API}/tickets/{ticket.number}", headers=tokens[role])
    assert one.status_code == 200
    body = one.get_json()
    assert (body["number"], body["status"], body["urgency"]) == (ticket.number, "NEW", "MEDIUM")
    assert one.headers["ETag"] == f'"{ticket.lock_version}"' and body["version"] == 1
    actions = body["actions"]
    assert actions["edit"] is (role != "viewer")
    assert actions["assign"] is (role in ("supervisor", "admin"))
    assert actions["note"] is (role != "viewer")
    assert actions["close"] is (role != "viewer")
    assert all(status in TicketStatus.__members__ for status in actions["status_targets"])


@pytest.mark.parametrize("role", ("agent", "supervisor", "admin"))
def test_staff_who_may_create_get_a_new_ticket_numbered_and_new(world, tokens, client, role):
    made = _new_ticket(client, tokens[role], world, urgency="CRITICAL",
                       type_id=world.ticket_type.id, project_id=world.project.id)
    assert made.status_code == 201, made.get_data(as_text=True)
    body = made.get_json()
    assert body["status"] == "NEW" and body["urgency"] == "CRITICAL"
    assert made.headers["Location"].endswith(f"{API}/tickets/{body['number']}")
    ticket = db.session.scalar(select(Ticket).where(Ticket.number == body["number"]))
    assert ticket.created_by_id == getattr(world, role).id
    assert (ticket.project_id, ticket.type_id) == (world.project.id, world.ticket_type.id)
    assert body["source"] == "API" and ticket.source.label == "API"  # not the dashboard's "Web"


def test_a_viewer_may_not_create_in_spanish_by_default_and_english_on_request(world, tokens,
                                                                            client):
    refused = assert_error(_new_ticket(client, tokens["viewer"], world), 403, "not_permitted")
    assert refused["message"] == "No tiene permiso para crear tickets."
    english = client.post(f"{API}/tickets", json={"client_id": world.client.id,
                                                  "description": "x"},
                          headers={**tokens["viewer"], "Accept-Language": "en-GB,en;q=0.9"})
    assert assert_error(english, 403, "not_permitted")["message"] == \
        "You do not have permission to create tickets."
    assert db.session.scalar(select(Ticket)) is None


def test_a_scope_narrows_the_role_and_is_forgotten_after_the_request(world, client):
    reader = bearer(world.supervisor, "VIEW")
    assert client.get(f"{API}/tickets", headers=reader).status_code == 200
    refused = assert_error(_new_ticket(client, reader, world), 403, "not_permitted")
    assert refused["message"].startswith("Los ámbitos de este token no incluyen CREATE.")
    # the role's refusal is the role's, whatever the scopes
    viewer = assert_error(_new_ticket(client, bearer(world.viewer, "VIEW"), world), 403,
                          "not_permitted")
    assert "ámbitos" not in viewer["message"]
    ticket = factories.new_ticket(world)
    actions = client.get(f"{API}/tickets/{ticket.number}", headers=reader).get_json()["actions"]
    assert not any(value for value in actions.values())
    assert _new_ticket(client, bearer(world.supervisor), world).status_code == 201


def test_no_token_a_bad_one_a_revoked_one_or_a_session_cookie_is_401(world, client):
    headers = bearer(world.agent)
    token = db.session.scalar(select(ApiToken))
    for sent in ({}, {"Authorization": "Bearer sop_nada"}, {"Authorization": "Bearer "},
                 {"Authorization": headers["Authorization"].replace("Bearer", "Basic")},
                 {"Authorization": "Bearer " + "x" * 5000}):
        answer = client.get(f"{API}/tickets", headers=sent)
        body = assert_error(answer, 401, "not_authenticated")
        assert answer.headers["WWW-Authenticate"].startswith("Bearer")
        assert "token" in body["message"].lower()
        assert "Set-Cookie" not in answer.headers
    assert client.post("/login", data={"email": world.agent.email,
                                       "password": PASSWORD}).status_code == 302
    assert_error(client.get(f"{API}/tickets"), 401, "not_authenticated")
    api_tokens.revoke_token(world.agent, token)
    db.session.commit()
    assert_error(client.get(f"{API}/tickets", headers=headers), 401, "not_authenticated")


def test_a_deactivated_users_token_is_401(world, client):
    headers = bearer(world.agent2)
    assert client.get(f"{API}/tickets", headers=headers).status_code == 200
    world.agent2.active = False
    db.session.commit()
    assert_error(client.get(f"{API}/tickets", headers=headers), 401, "not_authenticated")


def test_a_request_notes_the_tokens_last_use(world, client):
    headers = bearer(world.agent)
    assert db.session.scalar(select(ApiToken)).last_used_at is None
    client.get(f"{API}/tickets/TCK-999999", headers=headers)
    db.session.expire_all()
    assert db.session.scalar(select(ApiToken)).last_used_at is not None


def test_the_api_needs_no_csrf_token(world, app, client):
    app.config["WTF_CSRF_ENABLED"] = True
    assert _new_ticket(client, bearer(world.agent), world).status_code == 201


def test_not_found_method_and_size_errors_are_json(world, tokens, client, app):
    headers = tokens["agent"]
    missing = assert_error(client.get(f"{API}/tickets/TCK-999999", headers=headers), 404, "not_found")
    assert missing["field"] == "number" and "TCK-999999" in missing["message"]
    for number in ("%00", "TCK-1%27%20OR%201=1", "x" * 300, "%F0%9F%98%80"):
        assert_error(client.get(f"{API}/tickets/{number}", headers=headers), 404, "not_found")
    assert_error(client.get(f"{API}/nada", headers=headers), 404, "not_found")
    assert_error(client.get(f"{API}/nada"), 404, "not_found")
    wrong = client.delete(f"{API}/tickets", headers=headers)
    assert_error(wrong, 405, "method_not_allowed")
    assert "POST" in wrong.headers["Allow"]
    app.config["MAX_CONTENT_LENGTH"] = 2000
    assert_error(_new_ticket(client, headers, world, description="x" * 5000), 413, "too_large")
    page = client.get("/no-existe")
    assert page.status_code == 404 and page.content_type.startswith("text/html")


@pytest.mark.parametrize("body, field", [
    ({}, "client_id"),
    ({"client_id": "1", "description": "x"}, "client_id"),
    ({"client_id": 2**31, "description": "x"}, "client_id"),
    ({"client_id": 1, "description": "x", "urgency": "URGENT"}, "urgency"),
    ({"client_id": 1, "description": "x", "urgency": "high"}, "urgency"),
    ({"client_id": 1, "description": "x", "status": "CLOSED"}, "status"),
    ({"client_id": 1, "description": None}, "description"),
    ({"client_id": 1, "description": "x", "subject": "s" * 256}, "subject"),
])
def test_a_body_the_schema_refuses_is_422_naming_the_field(world, tokens, client, body, field):
    refused = assert_error(client.post(f"{API}/tickets", json=body, headers=tokens["agent"]), 422,
                     "validation_failed")
    assert refused["field"] == field and field in json.dumps(refused["errors"])
    assert db.session.scalar(select(Ticket)) is None


@pytest.mark.parametrize("language, expected", [
    (None, {"client_id": ["Envíe un número entero."], "urgency": ["Elija uno de: LOW, MEDIUM, "
                                                                 "HIGH, CRITICAL."],
            "subject": ["Envíe como máximo 255 caracteres (o elementos)."],
            "status": ["Campo desconocido: el documento de la API enumera los campos que "
                       "admite."], "description": ["Este campo es obligatorio."]}),
    ("en", {"client_id": ["Send a whole number."],
            "urgency": ["Choose one of: LOW, MEDIUM, HIGH, CRITICAL."],
            "subject": ["Send at most 255 characters (or items)."],
            "status": ["Unknown field: the API's document lists the fields it takes."],
            "description": ["This field is required."]}),
])
def test_what_the_schema_says_of_each_field_is_in_the_callers_language(world, tokens, client,
                                                                        language, expected):
    headers = dict(tokens["agent"], **({"Accept-Language": language} if language else {}))
    refused = assert_error(client.post(f"{API}/tickets", headers=headers, json={
        "client_id": "uno", "urgency": "URGENT", "subject": "s" * 256, "status": "NEW"}),
        422, "validation_failed")
    assert refused["errors"]["json"] == expected


def test_a_rule_of_the_service_is_422_with_its_field_in_either_language(world, tokens, client):
    other = dict(contact_id=world.other_contact.id)
    refused = assert_error(_new_ticket(client, tokens["agent"], world, **other), 422,
                     "validation_failed")
    assert refused["field"] == "contact_id"
    assert refused["message"] == "El solicitante debe ser un contacto del cliente seleccionado."
    english = _new_ticket(client, {**tokens["agent"], "Accept-Language": "en"}, world, **other)
    assert english.get_json()["message"] == "The requester must be a contact of the selected client."


@pytest.mark.parametrize("body, status, code", [
    ("{client_id:", 400, "bad_request"),  # not JSON: the request cannot be read
    ("[]", 422, "validation_failed"),  # JSON, but not an object: the schema refuses it
    ("null", 422, "validation_failed"),
    ('"texto"', 422, "validation_failed"),
    ("1", 422, "validation_failed"),
])
def test_a_body_that_is_not_a_json_object_is_a_json_error(world, tokens, client, body, status,
                                                         code):
    broken = client.post(f"{API}/tickets", data=body, headers={
        **tokens["agent"], "Content-Type": "application/json"})
    assert assert_error(broken, status, code)["field"] is None


def test_text_a_database_cannot_hold_is_stored_not_a_fault(world, tokens, client):
    made = _new_ticket(client, tokens["agent"], world, description="nulo\u0000y\ud800 fin")
    assert made.status_code == 201
    assert made.get_json()["description"] == "nulo\ufffdy\ufffd fin"


@pytest.mark.parametrize("query, field", [
    ("client=abc", "client"), ("client=1_0", "client"), ("client=%201", "client"),
    (f"client={2**31}", "client"), ("client=-1", "client"), ("client=%EF%BC%91", "client"),
    ("status=FOO", "status"), ("status=NEW&status=closed", "status"),
    ("urgency=URGENT", "urgency"), ("type=1.5", "type"), ("assignee=NaN", "assignee"),
    ("contract=1e3", "contract"), ("from=2026-13-01", "from"), ("to=99999-01-01", "to"),
    ("from=0000-00-00", "from"), ("mine=quizas", "mine"), ("q=a%00b", "q"),
    ("q=" + "a" * 201, "q"), ("sort=drop%20table", "sort"), ("cursor=nada", "cursor"),
    ("archived=%00", "archived"),
])
def test_hostile_query_values_are_422_json_never_500(world, tokens, client, query, field):
    answer = client.get(f"{API}/tickets?{query}", headers=tokens["viewer"])
    assert assert_error(answer, 422, "validation_failed")["field"] == field


def test_the_lists_filters_select_as_on_the_dashboard(world, tokens, client):
    mine = factories.new_ticket(world, urgency="HIGH")
    other = factories.new_ticket(world, client_id=world.other_client.id,
                                 contact_id=world.other_contact.id, description="Red caída")
    headers = bearer(world.agent)
    assert client.post(f"{API}/tickets", json={}, headers=headers).status_code == 422
    numbers = lambda query: [item["number"] for item in client.get(  # noqa: E731
        f"{API}/tickets?{query}", headers=headers).get_json()["items"]]
    assert numbers("urgency=HIGH") == [mine.number]
    assert numbers(f"client={world.other_client.id}") == [other.number]
    assert numbers("status=NEW&status=IN_PROGRESS&sort=number") == [mine.number, other.number]
    assert numbers("status=CLOSED") == []
    assert numbers(f"q={other.number}") == [other.number]
    assert numbers("from=2000-01-01&to=9999-12-31&sort=-number") == [other.number, mine.number]
    assert numbers("mine=true") == []


def test_the_cursor_walks_every_page_once_and_only_with_its_filters(world, tokens, client):
    for n in range(27):
        factories.new_ticket(world, description=f"Ticket {n}")
    headers = tokens["agent"]
    first = client.get(f"{API}/tickets?sort=number", headers=headers).get_json()
    assert len(first["items"]) == 25 and first["total"] == 27 and first["next_cursor"]
    second = client.get(f"{API}/tickets?sort=number&cursor={first['next_cursor']}",
                        headers=headers).get_json()
    assert len(second["items"]) == 2 and second["next_cursor"] is None
    walked = [item["number"] for item in first["items"] + second["items"]]
    assert walked == sorted(walked) and len(set(walked)) == 27
    other_filters = client.get(f"{API}/tickets?sort=-number&cursor={first['next_cursor']}",
                               headers=headers)
    assert assert_error(other_filters, 422, "validation_failed")["field"] == "cursor"
    tampered = first["next_cursor"][:-2] + ("AA" if not first["next_cursor"].endswith("AA")
                                            else "BB")
    assert_error(client.get(f"{API}/tickets?sort=number&cursor={tampered}", headers=headers), 422,
           "validation_failed")


def _walk(client, headers, query):
    """Every page of the list under `query`, following next_cursor."""
    pages, cursor = [], None
    while True:
        answer = client.get(f"{API}/tickets?{query}" + (f"&cursor={cursor}" if cursor else ""),
                            headers=headers)
        assert answer.status_code == 200, answer.get_data(as_text=True)
        body = answer.get_json()
        pages.append([item["number"] for item in body["items"]])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages


def test_a_ticket_leaving_the_list_during_a_walk_makes_none_skipped(world, tokens, client):
    """The cursor is the last ticket's place in the order, not a page number: a ticket of a
    page already read that leaves the filtered list (here: closed) shifts nothing."""
    made = [factories.new_ticket(world, description=f"Ticket {n}") for n in range(5)]
    headers = tokens["supervisor"]
    first = client.get(f"{API}/tickets?status=NEW&sort=number&limit=2", headers=headers)
    assert [item["number"] for item in first.get_json()["items"]] == \
        [made[0].number, made[1].number]
    status_changes.close_ticket(world.supervisor, made[0], "Duplicado")
    db.session.commit()
    rest = client.get(f"{API}/tickets?status=NEW&sort=number&limit=2&cursor="
                      f"{first.get_json()['next_cursor']}", headers=headers).get_json()
    assert [item["number"] for item in rest["items"]] == [made[2].number, made[3].number]


@pytest.mark.parametrize("sort", ["number", "-number", "created", "-created", "updated",
                                  "-updated", "status", "-status", "urgency", "-urgency"])
def test_a_walk_in_any_order_sees_every_ticket_once_in_that_order(world, tokens, client, sort):
    urgencies = ["LOW", "HIGH", "MEDIUM", "CRITICAL"]
    made = [factories.new_ticket(world, urgency=Urgency[urgencies[n % 4]]) for n in range(7)]
    for ticket in made[::3]:
        assignment.assign(world.supervisor, ticket, world.agent.id)  # another status, a later update
    db.session.commit()
    headers = tokens["agent"]
    pages = _walk(client, headers, f"sort={sort}&limit=2")
    walked = [number for page in pages for number in page]
    assert sorted(walked) == sorted(ticket.number for ticket in made)
    whole = client.get(f"{API}/tickets?sort={sort}&limit=100", headers=headers).get_json()
    assert walked == [item["number"] for item in whole["items"]]
    assert all(len(page) == 2 for page in pages[:-1])


def test_the_openapi_document_names_the_endpoints_and_the_bearer_scheme(client):
    answer = client.get(f"{API}/openapi.json")
    assert answer.status_code == 200
    document = json.loads(answer.get_data(as_text=True))
    assert document["openapi"] == "3.1.0"
    paths = document["paths"]
    assert set(paths[f"{API}/tickets"]) >= {"get", "post"}
    assert "get" in paths[f"{API}/tickets/{{number}}"]
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    parameters = {p["name"] for p in paths[f"{API}/tickets"]["get"]["parameters"]}
    assert {"client", "status", "urgency", "from", "to", "q", "sort", "cursor"} <= parameters
    created = paths[f"{API}/tickets"]["post"]["responses"]
    assert {"201", "401", "403", "422"} <= set(created)


def test_the_docs_page_is_served_from_this_site_under_its_own_csp(client):
    page = client.get(f"{API}/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "/static/vendor/redoc.standalone.js" in html and f"{API}/openapi.json" in html
    assert "http://" not in html and "https://" not in html
    policy = page.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "script-src 'self'" in policy
    assert "http" not in policy
    assert client.get("/static/vendor/redoc.standalone.js").status_code == 200


def test_a_fault_is_a_json_500_and_nothing_else_changes(world, tokens, client, app,
                                                        monkeypatch):
    def broken(*_args):
        raise RuntimeError("a bug")

    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: the handler answers
    monkeypatch.setattr("app.api.tickets.list_tickets", broken)
    fault = assert_error(client.get(f"{API}/tickets", headers=tokens["agent"]), 500, "server_error")
    assert "a bug" not in fault["message"]
    assert client.get("/operacion/ticket").status_code in (200, 302)


def test_the_language_is_accept_languages_not_the_signed_in_users(world, tokens, client):
    world.viewer.language = Language.EN
    db.session.commit()
    assert client.post("/login", data={"email": world.viewer.email,
                                       "password": PASSWORD}).status_code == 302
    refused = assert_error(_new_ticket(client, tokens["viewer"], world), 403, "not_permitted")
    assert refused["message"] == "No tiene permiso para crear tickets."
