"""The JSON API's reference data (clients with their domains, contacts, contracts, projects,
ticket types, staff): every role lists and reads them, administrators create, change and
upsert them by an ERP's external id (201 then 200, the same row), through the same services as
/admin; every refusal is JSON with a stable code, Spanish by default and English on request
(400, 401, 403, 404, 405, 409, 422), never a 500, whatever the path, query or body holds."""
import json

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Client, Contact, Contract, Project, TicketType
from tests.api_calls import API, ROLES, assert_error, bearer
from tests.browsers import browser
from tests.factories import PASSWORD

# path → the world's row of that kind listed first, and the model
KINDS = {
    "clients": ("client", Client),
    "contacts": ("contact", Contact),
    "contracts": ("contract", Contract),
    "projects": ("project", Project),
    "ticket-types": ("ticket_type", TicketType),
    "staff": ("admin", None),
}
ERP_KINDS = ("clients", "contacts", "contracts", "projects")
ENGLISH = {"Accept-Language": "en-GB,en;q=0.9"}


@pytest.fixture
def client(app):
    """A client whose every request picks its language and user afresh, as on a server."""
    return browser(app)


@pytest.fixture
def tokens(world):
    """A whole-role token of each role's user."""
    return {role: bearer(getattr(world, role)) for role in ROLES}


def _count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def _new_bodies(world) -> dict:
    """A valid POST body for each kind an administrator creates."""
    return {
        "clients": {"name": "Nueva S.L.", "domains": ["nueva.example"], "external_id": "C-9"},
        "contacts": {"client_id": world.client.id, "email": "nuevo@acme.example",
                     "name": "Nuevo", "language": "EN"},
        "contracts": {"client_id": world.client.id, "name": "Mantenimiento",
                      "covers_support": True, "starts_on": "2026-01-01"},
        "projects": {"client_id": world.client.id, "name": "Migración"},
        "ticket-types": {"name": "Consulta"},
    }


# Reads: every role --------------------------------------------------------------------------

@pytest.mark.parametrize("role", ROLES)
def test_every_role_lists_and_reads_every_kind(world, tokens, client, role):
    for path, (attribute, _model) in KINDS.items():
        row = getattr(world, attribute)
        listed = client.get(f"{API}/{path}", headers=tokens[role])
        assert listed.status_code == 200, (path, listed.get_data(as_text=True))
        page = listed.get_json()
        assert row.id in [item["id"] for item in page["items"]], path
        assert page["total"] == len(page["items"]) and page["next_cursor"] is None
        one = client.get(f"{API}/{path}/{row.id}", headers=tokens[role])
        assert one.status_code == 200, path
        assert one.get_json()["id"] == row.id and one.get_json()["name"] == row.name


def test_rows_carry_their_fields_and_staff_no_secret(world, tokens, client):
    world.client.external_id = "ERP-ACME"
    db.session.commit()
    acme = client.get(f"{API}/clients/{world.client.id}", headers=tokens["viewer"]).get_json()
    assert acme["domains"] == ["acme.example"] and acme["external_id"] == "ERP-ACME"
    assert acme["active"] is True and acme["created_at"]
    carla = client.get(f"{API}/contacts/{world.contact.id}", headers=tokens["viewer"]).get_json()
    assert (carla["email"], carla["language"], carla["client_id"],
            carla["client_external_id"]) == ("carla@acme.example", "ES", world.client.id,
                                             "ERP-ACME")
    support = client.get(f"{API}/contracts/{world.covering_contract.id}",
                         headers=tokens["viewer"]).get_json()
    assert support["covers_support"] is True and support["starts_on"] is None
    staff = client.get(f"{API}/staff", headers=tokens["viewer"])
    text = staff.get_data(as_text=True)
    assert "password" not in text and "session" not in text
    agent = next(u for u in staff.get_json()["items"] if u["email"] == world.agent.email)
    assert (agent["role"], agent["language"], agent["active"]) == ("AGENT", "ES", True)
    assert set(agent) == {"id", "name", "email", "role", "language", "active"}


def test_lists_filter_by_client_active_and_words(world, tokens, client):
    headers = tokens["agent"]
    world.english_contact.active = False
    db.session.commit()

    def emails(query):
        answer = client.get(f"{API}/contacts?{query}", headers=headers)
        assert answer.status_code == 200, answer.get_data(as_text=True)
        return sorted(item["email"] for item in answer.get_json()["items"])

    assert emails(f"client_id={world.other_client.id}") == ["omar@otra.example"]
    assert emails(f"client_id={world.client.id}&active=true") == ["carla@acme.example"]
    assert emails("active=false") == ["eve@acme.example"]
    assert emails("q=CARLA") == ["carla@acme.example"]
    assert emails("q=%25") == [] and emails("q=_") == []  # literal, not LIKE patterns
    names = lambda path, query: [item["name"] for item in client.get(  # noqa: E731
        f"{API}/{path}?{query}", headers=headers).get_json()["items"]]
    assert names("clients", "q=otra") == ["Otra Empresa"]
    assert names("contracts", f"client_id={world.other_client.id}") == ["Contrato ajeno"]
    assert names("projects", "q=red") == ["Red nueva"]
    assert names("staff", "q=agente&active=true") == ["Agente Uno", "Agente Dos"]


def test_the_cursor_walks_every_row_once_and_only_with_its_filters(world, tokens, client):
    for n in range(7):
        db.session.add(Client(name=f"Cliente {n}"))
    db.session.commit()
    headers = tokens["viewer"]
    seen, cursor, pages = [], None, 0
    while True:
        query = "limit=4&active=true" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(f"{API}/clients?{query}", headers=headers).get_json()
        assert page["total"] == 9 + pages  # one more joined before each later page
        seen += [item["id"] for item in page["items"]]
        pages, cursor = pages + 1, page["next_cursor"]
        if cursor is None:
            break
        db.session.add(Client(name=f"Nuevo durante {pages}"))  # joins the end of the walk
        db.session.commit()
    assert pages == 3 and seen == sorted(seen) and len(seen) == len(set(seen)) == 11
    first = client.get(f"{API}/clients?limit=4", headers=headers).get_json()
    other = client.get(f"{API}/clients?limit=5&cursor={first['next_cursor']}", headers=headers)
    assert assert_error(other, 422, "validation_failed")["field"] == "cursor"
    wrong_kind = client.get(f"{API}/projects?limit=4&cursor={first['next_cursor']}",
                            headers=headers)
    assert assert_error(wrong_kind, 422, "validation_failed")["field"] == "cursor"


# Writes: administrators only ----------------------------------------------------------------

@pytest.mark.parametrize("role", ("viewer", "agent", "supervisor"))
def test_only_administrators_create_change_or_upsert(world, tokens, client, role):
    headers = tokens[role]
    for path, body in _new_bodies(world).items():
        refused = assert_error(client.post(f"{API}/{path}", json=body, headers=headers), 403,
                               "not_permitted")
        assert refused["message"] == "Solo un administrador puede gestionar los datos de " \
                                     "referencia."
        row = getattr(world, KINDS[path][0])
        assert_error(client.patch(f"{API}/{path}/{row.id}", json={"name": "Otro"},
                                  headers=headers), 403, "not_permitted")
    for path in ERP_KINDS:
        body = {"name": "X"} if path == "clients" else {"client_external_id": "nadie"}
        assert_error(client.put(f"{API}/{path}/by-external-id/E-1", json=body,
                                headers=headers), 403, "not_permitted")
    assert_error(client.patch(f"{API}/clients/999999", json={}, headers=headers), 403,
                 "not_permitted")  # the permission comes before whether the row exists
    english = client.post(f"{API}/clients", json={"name": "X"}, headers={**headers, **ENGLISH})
    assert assert_error(english, 403, "not_permitted")["message"] == \
        "Only an administrator can manage reference data."
    assert _count(Client) == 2 and _count(Contact) == 3 and _count(TicketType) == 1


def test_staff_are_not_written_over_the_api(world, tokens, client):
    headers = tokens["admin"]
    assert_error(client.post(f"{API}/staff", json={"email": "x@soporte.example"},
                             headers=headers), 405, "method_not_allowed")
    assert_error(client.patch(f"{API}/staff/{world.agent.id}", json={"role": "ADMIN"},
                              headers=headers), 405, "method_not_allowed")


@pytest.mark.parametrize("path", ("clients", "contacts", "contracts", "projects",
                                  "ticket-types"))
def test_an_administrator_creates_and_changes_each_kind(world, tokens, client, path):
    headers = tokens["admin"]
    body = _new_bodies(world)[path]
    made = client.post(f"{API}/{path}", json=body, headers=headers)
    assert made.status_code == 201, made.get_data(as_text=True)
    created = made.get_json()
    assert made.headers["Location"].endswith(f"{API}/{path}/{created['id']}")
    assert client.get(made.headers["Location"], headers=headers).get_json() == created
    field = "email" if path == "contacts" else "name"
    assert created[field] == body[field]
    changed = client.patch(f"{API}/{path}/{created['id']}", json={"active": False},
                           headers=headers)
    assert changed.status_code == 200, changed.get_data(as_text=True)
    assert changed.get_json() == {**created, "active": False}  # only the field sent changed


def test_a_client_is_saved_by_the_service_with_its_domains(world, tokens, client):
    made = client.post(f"{API}/clients", json={
        "name": "  Nueva   Empresa ", "domains": ["@NUEVA.example", "nueva.example"],
        "notes": "línea 1\nlínea 2"}, headers=tokens["admin"]).get_json()
    assert made["name"] == "Nueva Empresa" and made["domains"] == ["nueva.example"]
    assert made["external_id"] is None and made["notes"] == "línea 1\nlínea 2"
    taken = client.patch(f"{API}/clients/{made['id']}", json={"domains": ["acme.example"]},
                         headers=tokens["admin"])
    assert assert_error(taken, 422, "validation_failed")["field"] == "domains"
    assert "acme.example" in taken.get_json()["message"]


# Upserts by external id ---------------------------------------------------------------------

def test_an_upsert_creates_then_changes_the_same_client(world, tokens, client):
    headers = tokens["admin"]
    path = f"{API}/clients/by-external-id/ERP-100"
    made = client.put(path, json={"name": "Ferretería Sur", "domains": ["sur.example"]},
                      headers=headers)
    assert made.status_code == 201, made.get_data(as_text=True)
    row = made.get_json()
    assert row["external_id"] == "ERP-100" and row["domains"] == ["sur.example"]
    assert made.headers["Location"].endswith(f"{API}/clients/{row['id']}")
    again = client.put(path, json={"name": "Ferretería Sur", "domains": ["sur.example"]},
                       headers=headers)
    assert again.status_code == 200 and again.get_json() == row  # idempotent
    renamed = client.put(path, json={"name": "Ferretería del Sur"}, headers=headers)
    assert renamed.status_code == 200 and "Location" not in renamed.headers
    assert renamed.get_json() == {**row, "name": "Ferretería del Sur"}  # domains kept
    assert client.get(path, headers=tokens["viewer"]).get_json()["name"] == "Ferretería del Sur"
    assert _count(Client) == 3


def test_an_upsert_places_a_contact_under_a_client_named_by_its_external_id(world, tokens,
                                                                           client):
    headers = tokens["admin"]
    assert client.put(f"{API}/clients/by-external-id/C-7", json={"name": "Talleres Norte"},
                      headers=headers).status_code == 201
    path = f"{API}/contacts/by-external-id/P-1"
    body = {"client_external_id": "C-7", "email": "Ana@Norte.example", "name": "Ana"}
    made = client.put(path, json=body, headers=headers)
    assert made.status_code == 201, made.get_data(as_text=True)
    contact = made.get_json()
    norte = db.session.scalar(select(Client).where(Client.external_id == "C-7"))
    assert (contact["client_id"], contact["client_external_id"]) == (norte.id, "C-7")
    assert contact["email"] == "ana@norte.example" and contact["external_id"] == "P-1"
    again = client.put(path, json=body, headers=headers)
    assert again.status_code == 200 and again.get_json() == contact
    moved = client.put(path, json={"client_id": world.client.id}, headers=headers)
    assert moved.status_code == 200 and moved.get_json()["client_external_id"] is None
    assert _count(Contact) == 4


@pytest.mark.parametrize("path", ("contracts", "projects"))
def test_an_upsert_creates_then_changes_a_contract_or_project(world, tokens, client, path):
    headers = tokens["admin"]
    url = f"{API}/{path}/by-external-id/K-1"
    made = client.put(url, json={"client_id": world.client.id, "name": "Anual"},
                      headers=headers)
    assert made.status_code == 201, made.get_data(as_text=True)
    changed = client.put(url, json={"name": "Anual 2027", "active": False}, headers=headers)
    assert changed.status_code == 200
    assert changed.get_json() == {**made.get_json(), "name": "Anual 2027", "active": False}
    assert client.get(f"{API}/{path}?q=k-1", headers=headers).get_json()["total"] == 1


def test_an_upsert_that_creates_needs_what_a_create_needs(world, tokens, client):
    headers = tokens["admin"]
    no_name = client.put(f"{API}/clients/by-external-id/C-1", json={}, headers=headers)
    assert assert_error(no_name, 422, "validation_failed")["field"] == "name"
    assert no_name.get_json()["message"] == "Escriba el nombre del cliente."
    no_client = client.put(f"{API}/contacts/by-external-id/P-1",
                           json={"email": "x@acme.example"}, headers={**headers, **ENGLISH})
    refused = assert_error(no_client, 422, "validation_failed")
    assert refused["field"] == "client_id" and refused["message"] == "Pick the contact's client."
    unknown = client.put(f"{API}/projects/by-external-id/K-1",
                         json={"client_external_id": "NADIE", "name": "X"}, headers=headers)
    refused = assert_error(unknown, 422, "validation_failed")
    assert refused["field"] == "client_external_id"
    assert refused["message"] == "Ningún cliente tiene el identificador externo NADIE."
    blank = client.put(f"{API}/projects/by-external-id/K-1",
                       json={"client_external_id": "  ", "name": "X"}, headers=headers)
    refused = assert_error(blank, 422, "validation_failed")
    assert refused["field"] == "client_external_id"
    assert refused["message"] == ("Escriba el identificador externo del cliente en "
                                  "client_external_id, o no envíe ese campo.")
    world.client.external_id = "C-1"
    db.session.commit()
    two = client.put(f"{API}/projects/by-external-id/K-1", json={
        "client_id": world.other_client.id, "client_external_id": "C-1", "name": "X"},
        headers=headers)
    assert assert_error(two, 422, "validation_failed")["field"] == "client_external_id"
    missing_id = client.put(f"{API}/projects/by-external-id/K-1",
                            json={"client_id": 999999, "name": "X"}, headers=headers)
    assert assert_error(missing_id, 422, "validation_failed")["field"] == "client_id"
    assert _count(Project) == 2 and _count(Client) == 2


@pytest.mark.parametrize("key, sent", [
    ("ERP/2024/001", "ERP%2F2024%2F001"),
    ("ERP/2024/001", "ERP/2024/001"),
    ("/raíz//doble/", "%2Fra%C3%ADz%2F%2Fdoble%2F"),
    ("Ñandú 東京 ✓", "%C3%91and%C3%BA%20%E6%9D%B1%E4%BA%AC%20%E2%9C%93"),
    ("a?b#c%d", "a%3Fb%23c%25d"),
    ("x" * 100, "x" * 100),
])
def test_an_external_id_may_hold_slashes_and_any_letters(world, tokens, client, key, sent):
    made = client.put(f"{API}/clients/by-external-id/{sent}", json={"name": "Con clave"},
                      headers=tokens["admin"])
    assert made.status_code == 201, made.get_data(as_text=True)
    assert made.get_json()["external_id"] == key
    read = client.get(f"{API}/clients/by-external-id/{sent}", headers=tokens["viewer"])
    assert read.status_code == 200 and read.get_json()["id"] == made.get_json()["id"]
    assert client.put(f"{API}/clients/by-external-id/{sent}", json={"name": "Con clave"},
                      headers=tokens["admin"]).status_code == 200


def test_external_ids_are_compared_with_their_letter_case_and_trimmed(world, tokens, client):
    headers = tokens["admin"]
    upper = client.put(f"{API}/clients/by-external-id/C-1", json={"name": "Mayúscula"},
                       headers=headers)
    lower = client.put(f"{API}/clients/by-external-id/c-1", json={"name": "Minúscula"},
                       headers=headers)
    assert (upper.status_code, lower.status_code) == (201, 201)
    assert upper.get_json()["id"] != lower.get_json()["id"]
    spaced = client.put(f"{API}/clients/by-external-id/%20C-1%20", json={"name": "Otra vez"},
                        headers=headers)
    assert spaced.status_code == 200 and spaced.get_json()["id"] == upper.get_json()["id"]
    cleared = client.patch(f"{API}/clients/{upper.get_json()['id']}",
                           json={"external_id": None}, headers=headers)
    assert cleared.status_code == 200 and cleared.get_json()["external_id"] is None
    assert_error(client.get(f"{API}/clients/by-external-id/C-1", headers=headers), 404,
                 "not_found")


# Duplicates ---------------------------------------------------------------------------------

def test_a_taken_external_id_name_or_address_is_refused_naming_the_field(world, tokens, client):
    headers = tokens["admin"]
    world.client.external_id = "ACME"
    world.contract.external_id = "K-1"
    db.session.commit()
    taken = client.post(f"{API}/clients", json={"name": "Otra", "external_id": " ACME "},
                        headers=headers)
    refused = assert_error(taken, 422, "validation_failed")
    assert refused["field"] == "external_id"
    assert refused["message"] == ("Otro cliente ya tiene el identificador externo ACME: cambie "
                                  "ese cliente, o quítele antes su identificador externo.")
    english = client.patch(f"{API}/contracts/{world.other_contract.id}",
                           json={"external_id": "K-1"}, headers={**headers, **ENGLISH})
    assert assert_error(english, 422, "validation_failed")["message"] == (
        "Another contract already has the external id K-1: change that contract, or remove "
        "its external id first.")
    same_key_other_kind = client.patch(f"{API}/projects/{world.project.id}",
                                       json={"external_id": "ACME"}, headers=headers)
    assert same_key_other_kind.status_code == 200  # one key per kind
    name = client.post(f"{API}/clients", json={"name": "acme s.a."}, headers=headers)
    assert assert_error(name, 422, "validation_failed")["field"] == "name"
    address = client.put(f"{API}/contacts/by-external-id/P-9", json={
        "client_id": world.client.id, "email": "CARLA@acme.example"}, headers=headers)
    assert assert_error(address, 422, "validation_failed")["field"] == "email"
    kind = client.post(f"{API}/ticket-types", json={"name": "INCIDENTE"}, headers=headers)
    assert assert_error(kind, 422, "validation_failed")["field"] == "name"
    assert _count(Client) == 2 and _count(Contact) == 3 and _count(TicketType) == 1


def test_a_row_saved_by_someone_else_meanwhile_is_a_409_with_nothing_saved(world, tokens,
                                                                           client, monkeypatch):
    # Two upserts of one new key at once: both look, neither finds it, the second insert
    # meets the unique index. Simulated by the lookup not seeing the row the first one made.
    headers = tokens["admin"]
    path = f"{API}/clients/by-external-id/C-RACE"
    assert client.put(path, json={"name": "Primera"}, headers=headers).status_code == 201
    monkeypatch.setattr("app.services.external_ids.with_external_id", lambda *_: None)
    monkeypatch.setattr("app.services.external_ids.taken_by_another", lambda *_, **__: False)
    raced = client.put(path, json={"name": "Segunda"}, headers=headers)
    refused = assert_error(raced, 409, "conflict")
    assert refused["message"].startswith("Otra persona guardó el mismo nombre")
    assert _count(Client) == 3
    assert db.session.scalar(select(Client.name).where(Client.external_id == "C-RACE")) == \
        "Primera"


# Errors: 401, 404, 405, 422 and hostile values -------------------------------------------------

def test_no_token_is_401_on_every_address(world, client):
    for method, path in (("get", "clients"), ("get", f"clients/{world.client.id}"),
                         ("post", "clients"), ("put", "clients/by-external-id/X"),
                         ("get", "staff"), ("patch", f"ticket-types/{world.ticket_type.id}")):
        answer = getattr(client, method)(f"{API}/{path}", json={})
        assert_error(answer, 401, "not_authenticated")
    assert client.post("/login", data={"email": world.admin.email,
                                       "password": PASSWORD}).status_code == 302
    assert_error(client.get(f"{API}/clients"), 401, "not_authenticated")  # no cookie signs in


def test_a_missing_row_is_404_naming_it_in_either_language(world, tokens, client):
    for path in KINDS:
        answer = client.get(f"{API}/{path}/999999", headers=tokens["viewer"])
        missing = assert_error(answer, 404, "not_found")
        assert missing["field"] == "id" and "999999" in missing["message"]
        assert missing["message"].startswith("No hay ningún")
        english = client.get(f"{API}/{path}/999999", headers={**tokens["viewer"], **ENGLISH})
        assert assert_error(english, 404, "not_found")["message"].startswith("There is no")
        for bad in ("0", "-1", "abc", "1.5", str(2**31), "9" * 40, "%EF%BC%91", "1%00"):
            assert_error(client.get(f"{API}/{path}/{bad}", headers=tokens["viewer"]), 404,
                         "not_found")
    assert client.get(f"{API}/clients/{world.client.id}", headers=tokens["viewer"]).get_json()[
        "name"] == "Acme S.A."


def test_an_unknown_external_id_is_404_and_the_wrong_method_405(world, tokens, client):
    missing = client.get(f"{API}/contacts/by-external-id/NADA", headers=tokens["viewer"])
    body = assert_error(missing, 404, "not_found")
    assert body["field"] == "external_id"
    assert body["message"] == "Ningún contacto tiene el identificador externo NADA."
    assert_error(client.get(f"{API}/clients/by-external-id/", headers=tokens["viewer"]), 404,
                 "not_found")
    assert_error(client.delete(f"{API}/clients/{world.client.id}", headers=tokens["admin"]),
                 405, "method_not_allowed")
    assert_error(client.put(f"{API}/ticket-types/by-external-id/X", json={"name": "X"},
                            headers=tokens["admin"]), 404, "not_found")


BAD_KEYS = [
    ("x" * 101, "Un identificador externo tiene como máximo 100 caracteres."),
    ("a%00b", "Un identificador externo no puede contener caracteres de control (como un "
              "tabulador o un salto de línea)."),
    ("a%09b", None), ("a%0Ab", None), ("%7F", None), ("%C2%85", None),
    ("%20%20", "Escriba el identificador externo."),
]


def test_a_path_that_cannot_be_an_external_id_is_422(world, tokens, client):
    for sent, message in BAD_KEYS:
        for method in ("get", "put"):
            answer = getattr(client, method)(f"{API}/clients/by-external-id/{sent}",
                                             json={"name": "X"}, headers=tokens["admin"])
            refused = assert_error(answer, 422, "validation_failed")
            assert refused["field"] == "external_id", sent
            assert message is None or refused["message"] == message
    english = client.put(f"{API}/clients/by-external-id/{'x' * 101}", json={"name": "X"},
                         headers={**tokens["admin"], **ENGLISH})
    assert english.get_json()["message"] == "An external id has at most 100 characters."
    assert _count(Client) == 2


HOSTILE_CLIENT_BODIES = [
    ({"name": None}, "name"),
    ({"name": ["Acme"]}, "name"),
    ({"name": 7}, "name"),
    ({"name": {"es": "x"}}, "name"),
    ({"name": "x" * 201}, "name"),
    ({"name": "a\u0000b"}, "name"),
    ({"name": "a\nb"}, "name"),
    ({"name": "X", "active": "yes"}, "active"),
    ({"name": "X", "active": None}, "active"),
    ({"name": "X", "domains": "acme.example"}, "domains"),
    ({"name": "X", "domains": [None]}, "domains"),
    ({"name": "X", "domains": ["no es un dominio"]}, "domains"),
    ({"name": "X", "domains": ["d.example"] * 101}, "domains"),
    ({"name": "X", "external_id": "x" * 101}, "external_id"),
    ({"name": "X", "external_id": "a\tb"}, "external_id"),
    ({"name": "X", "external_id": ["A"]}, "external_id"),
    ({"name": "X", "external_id": 12}, "external_id"),
    ({"name": "X", "id": 5}, "id"),
    ({"name": "X", "created_at": "2026-01-01T00:00:00Z"}, "created_at"),
]


def test_a_hostile_client_body_is_422_naming_the_field(world, tokens, client):
    for body, field in HOSTILE_CLIENT_BODIES:
        for method, path in (("post", "clients"), ("patch", f"clients/{world.client.id}"),
                             ("put", "clients/by-external-id/C-1")):
            if method == "put" and field == "external_id":
                continue  # the key of a PUT is its path's: an external_id sent is unknown
            answer = getattr(client, method)(f"{API}/{path}", json=body,
                                             headers=tokens["admin"])
            refused = assert_error(answer, 422, "validation_failed")
            assert refused["field"] == field, (method, body)
    db.session.expire_all()
    assert _count(Client) == 2 and world.client.name == "Acme S.A."


HOSTILE_BODIES = [
    ("contacts", {"client_id": "1", "email": "a@b.example"}, "client_id"),
    ("contacts", {"client_id": 2**31, "email": "a@b.example"}, "client_id"),
    ("contacts", {"client_id": 0, "email": "a@b.example"}, "client_id"),
    ("contacts", {"client_id": True, "email": "a@b.example"}, "client_id"),
    ("contacts", {"client_id": None, "email": "a@b.example"}, "client_id"),
    ("contacts", {"client_external_id": "", "email": "a@b.example"}, "client_external_id"),
    ("contacts", {"client_external_id": "x" * 101, "email": "a@b.example"},
     "client_external_id"),
    ("contacts", {"client_external_id": 5, "email": "a@b.example"}, "client_external_id"),
    ("contacts", {"client_id": 1, "email": "no-es-una-direccion"}, "email"),
    ("contacts", {"client_id": 1, "email": "a@b.example", "language": "fr"}, "language"),
    ("contacts", {"client_id": 1, "email": "a@b.example", "language": "es"}, "language"),
    ("contracts", {"client_id": 1, "name": "X", "starts_on": "2026-02-30"}, "starts_on"),
    ("contracts", {"client_id": 1, "name": "X", "starts_on": "0001-01-01"}, "starts_on"),
    ("contracts", {"client_id": 1, "name": "X", "ends_on": 20260101}, "ends_on"),
    ("contracts", {"client_id": 1, "name": "X", "starts_on": "2026-02-01",
                   "ends_on": "2026-01-01"}, "ends_on"),
    ("contracts", {"client_id": 1, "name": "X", "covers_support": 1.5}, "covers_support"),
    ("projects", {"client_id": 1}, "name"),
    ("projects", {"client_id": 1, "name": "   "}, "name"),
    ("ticket-types", {"name": "x" * 101}, "name"),
    ("ticket-types", {}, "name"),
]


def test_a_hostile_body_of_any_kind_is_422_naming_the_field(world, tokens, client):
    for path, body, field in HOSTILE_BODIES:
        if type(body.get("client_id")) is int and body["client_id"] == 1:  # the world's client
            body = {**body, "client_id": world.client.id}
        answer = client.post(f"{API}/{path}", json=body, headers=tokens["admin"])
        assert assert_error(answer, 422, "validation_failed")["field"] == field, (path, body)
    assert _count(Contact) == 3 and _count(Contract) == 3 and _count(Project) == 2


def test_a_body_that_is_not_a_json_object_is_a_json_error(world, tokens, client):
    # Not JSON: the request cannot be read (400); JSON but not an object: the schema refuses it.
    for body, status, code in (("{name:", 400, "bad_request"), ('{"name": ', 400, "bad_request"),
                               ("[]", 422, "validation_failed"),
                               ("null", 422, "validation_failed"),
                               ('"texto"', 422, "validation_failed"),
                               ("1", 422, "validation_failed")):
        for method, path in (("post", "clients"), ("put", "clients/by-external-id/C-1"),
                             ("patch", f"clients/{world.client.id}")):
            answer = getattr(client, method)(f"{API}/{path}", data=body, headers={
                **tokens["admin"], "Content-Type": "application/json"})
            assert assert_error(answer, status, code)["field"] is None, (method, body)


def test_text_a_database_cannot_hold_is_stored_or_refused_never_a_fault(world, tokens, client):
    made = client.post(f"{API}/clients", json={"name": "Lone \ud800 surrogate",
                                                "notes": "nulo\u0000y fin"},
                       headers=tokens["admin"])
    assert made.status_code == 201, made.get_data(as_text=True)
    assert made.get_json()["name"] == "Lone \ufffd surrogate"
    assert made.get_json()["notes"] == "nulo\ufffdy fin"
    refused = client.put(f"{API}/clients/by-external-id/C-1",
                         json={"name": "X", "notes": "x" * 10_001}, headers=tokens["admin"])
    assert assert_error(refused, 422, "validation_failed")["field"] == "notes"


HOSTILE_QUERIES = [
    ("limit=0", "limit"), ("limit=201", "limit"), ("limit=abc", "limit"),
    (f"limit={2**70}", "limit"), ("active=quizas", "active"), ("active=%00", "active"),
    ("q=a%00b", "q"), ("q=" + "a" * 201, "q"), ("cursor=nada", "cursor"),
    ("cursor=" + "x" * 501, "cursor"), ("client_id=abc", "client_id"),
    (f"client_id={2**31}", "client_id"), ("client_id=%EF%BC%91", "client_id"),
    ("client_id=-1", "client_id"),
]


def test_hostile_query_values_are_422_never_500(world, tokens, client):
    for query, field in HOSTILE_QUERIES:
        answer = client.get(f"{API}/contacts?{query}", headers=tokens["viewer"])
        assert assert_error(answer, 422, "validation_failed")["field"] == field, query


# The document ---------------------------------------------------------------------------------

def test_the_openapi_document_describes_every_reference_endpoint(client):
    document = json.loads(client.get(f"{API}/openapi.json").get_data(as_text=True))
    paths = document["paths"]
    for path in KINDS:
        assert "get" in paths[f"{API}/{path}"]
        assert "get" in paths[f"{API}/{path}/{{row_id}}"]
    for path in ERP_KINDS:
        upsert = paths[f"{API}/{path}/by-external-id/{{external_id}}"]
        assert {"get", "put"} <= set(upsert)
        assert {"200", "201", "403", "409", "422"} <= set(upsert["put"]["responses"])
    assert "post" not in paths[f"{API}/staff"] and "patch" not in paths[f"{API}/staff/{{row_id}}"]
    by_id = paths[f"{API}/clients/{{row_id}}"]["parameters"][0]["schema"]
    assert by_id == {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}
    listed = {p["name"] for p in paths[f"{API}/contacts"]["get"]["parameters"]}
    assert {"q", "active", "client_id", "limit", "cursor"} <= listed


# /admin shows and edits the external id through the same services ----------------------------

def test_admin_shows_and_edits_external_ids_through_the_services(world, client):
    assert client.post("/login", data={"email": world.admin.email,
                                       "password": PASSWORD}).status_code == 302
    saved = client.post("/admin/client/new/", data={
        "name": "Desde Admin", "active": "y", "notes": "", "external_id": "  ADM-1 "})
    assert saved.status_code == 302, saved.get_data(as_text=True)
    assert db.session.scalar(select(Client.external_id).where(Client.name == "Desde Admin")) \
        == "ADM-1"
    listing = client.get("/admin/client/").get_data(as_text=True)
    assert "ADM-1" in listing and "Identificador externo" in listing
    taken = client.post(f"/admin/project/edit/?id={world.project.id}", data={
        "client": str(world.client.id), "name": "Red nueva", "external_id": "P-1",
        "active": "y"})
    assert taken.status_code == 302
    other = client.post(f"/admin/project/edit/?id={world.other_project.id}", data={
        "client": str(world.other_client.id), "name": "Proyecto ajeno", "external_id": "P-1",
        "active": "y"})
    assert other.status_code == 200
    assert "Otro proyecto ya tiene el identificador externo P-1" in other.get_data(as_text=True)
    edit = client.get(f"/admin/contact/edit/?id={world.contact.id}").get_data(as_text=True)
    assert 'name="external_id"' in edit
    cleared = client.post(f"/admin/project/edit/?id={world.project.id}", data={
        "client": str(world.client.id), "name": "Red nueva", "external_id": "",
        "active": "y"})
    assert cleared.status_code == 302
    db.session.expire_all()
    assert db.session.get(Project, world.project.id).external_id is None
