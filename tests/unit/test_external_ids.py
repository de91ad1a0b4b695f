"""External ids and the upserts by them (app.services.external_ids and each kind's upsert_…):
an ERP's key names one row of its kind, exactly (letter case included), trimmed, without control
characters, at most 100 characters; an upsert creates the row, then changes only the fields it
is sent, and the same upsert again changes nothing; only administrators upsert."""
import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Client, Contact, Contract, Project
from app.services.clients import ClientFields, client_named, save_client, upsert_client
from app.services.contacts import upsert_contact
from app.services.errors import NotPermitted, ValidationFailed
from app.services.external_ids import tidy_external_id
from app.services.reference_data import upsert_contract, upsert_project


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_an_upsert_creates_then_changes_the_same_row_and_repeats_harmlessly(world):
    values = {"name": "Sur", "domains": ("sur.example",)}
    made, created = upsert_client(world.admin, "ERP-1", values)
    assert created and made.external_id == "ERP-1" and made.id is not None
    again, created = upsert_client(world.admin, "ERP-1", values)
    assert not created and again is made
    renamed, created = upsert_client(world.admin, " ERP-1 ", {"name": "Sur S.L."})
    assert not created and renamed is made
    assert (made.name, [d.domain for d in made.domains]) == ("Sur S.L.", ["sur.example"])
    assert _count(Client) == 3


def test_each_kind_upserts_under_its_client(world):
    contact, created = upsert_contact(world.admin, "P-1", {"client": world.client,
                                                            "email": "Nuevo@acme.example"})
    assert created and contact.email == "nuevo@acme.example" and contact.client is world.client
    contract, _ = upsert_contract(world.admin, "K-1", {"client": world.client, "name": "Anual",
                                                        "covers_support": True})
    project, _ = upsert_project(world.admin, "K-1", {"client": world.other_client,
                                                      "name": "Migración"})
    assert contract.external_id == project.external_id == "K-1"  # one key per kind
    same, created = upsert_contract(world.admin, "K-1", {"active": False})
    assert not created and same is contract and contract.covers_support and not contract.active
    assert (_count(Contact), _count(Contract), _count(Project)) == (4, 4, 3)


def test_only_administrators_upsert(world):
    for actor in (world.viewer, world.agent, world.supervisor):
        with pytest.raises(NotPermitted):
            upsert_client(actor, "ERP-1", {"name": "X"})
        with pytest.raises(NotPermitted):
            upsert_project(actor, "K-1", {"client": world.client, "name": "X"})
    assert _count(Client) == 2


def test_a_new_row_needs_what_a_save_needs(world):
    with pytest.raises(ValidationFailed) as no_name:
        upsert_client(world.admin, "ERP-1", {})
    assert no_name.value.field == "name"
    with pytest.raises(ValidationFailed) as no_client:
        upsert_contact(world.admin, "P-1", {"email": "x@acme.example"})
    assert no_client.value.field == "client"


def test_keys_are_exact_trimmed_and_unique_per_kind(world):
    upper, _ = upsert_client(world.admin, "C-1", {"name": "Mayúsculas"})
    lower, created = upsert_client(world.admin, "c-1", {"name": "Minúsculas"})
    assert created and lower is not upper
    accented, _ = upsert_client(world.admin, "ÁRBOL", {"name": "Árbol"})
    assert upsert_client(world.admin, "ÁRBOL", {"name": "Árbol"}) == (accented, False)
    with pytest.raises(ValidationFailed) as taken:
        save_client(world.admin, world.client, ClientFields("Acme S.A.", external_id="C-1 "))
    assert taken.value.field == "external_id" and "C-1" in str(taken.value)
    kept = save_client(world.admin, upper, ClientFields("Mayúsculas", external_id="C-1"))
    assert kept.external_id == "C-1"  # a row keeps its own key
    cleared = save_client(world.admin, upper, ClientFields("Mayúsculas", external_id="  "))
    assert cleared.external_id is None


@pytest.mark.parametrize("value, expected", [
    (None, None), ("", None), ("   ", None), (" A-1 ", "A-1"), ("a/b//c", "a/b//c"),
    ("Ñandú 東京", "Ñandú 東京"), ("x" * 100, "x" * 100),
])
def test_a_key_is_trimmed_and_none_when_blank(value, expected):
    assert tidy_external_id(value) == expected


@pytest.mark.parametrize("value", ["x" * 101, "a\tb", "a\nb", "a\x00b", "\x7f", "a\x85b",
                                   "a\ud800b"])
def test_a_key_with_control_characters_or_too_long_is_refused(value):
    with pytest.raises(ValidationFailed) as refused:
        tidy_external_id(value)
    assert refused.value.field == "external_id"


def test_a_client_is_named_by_id_or_by_key_and_both_must_agree(world):
    world.client.external_id = "ACME"
    db.session.flush()
    assert client_named(world.client.id, None) is world.client
    assert client_named(None, "ACME") is world.client
    assert client_named(world.client.id, "ACME") is world.client
    assert client_named(None, None) is None
    for args, field in (((world.other_client.id, "ACME"), "client_external_id"),
                        ((None, "acme"), "client_external_id"),
                        ((None, "a\tb"), "client_external_id"),
                        ((999999, None), "client_id")):
        with pytest.raises(ValidationFailed) as refused:
            client_named(*args)
        assert refused.value.field == field


def test_a_name_with_accented_capitals_saved_twice_is_refused_as_taken(world):
    # SQLite's lower() folds ASCII letters only: compared through it alone, "ÁRBOL" was not
    # found taken, and the second save met the unique index instead of the rule's message.
    save_client(world.admin, None, ClientFields("ÁRBOL"))
    with pytest.raises(ValidationFailed) as taken:
        save_client(world.admin, None, ClientFields("ÁRBOL"))
    assert taken.value.field == "name"
