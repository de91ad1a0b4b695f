"""Contracts, projects and ticket types as an administrator saves them (app.services.reference_data):
a contract or project used by tickets stays with its client; type names are unique in any case."""
import datetime as dt

import pytest

from app.services.errors import NotPermitted, ValidationFailed
from app.services.reference_data import (ContractFields, ProjectFields, save_contract,
                                         save_project, save_ticket_type)
from tests.factories import new_ticket


def test_only_reference_managers_save_reference_data(world):
    with pytest.raises(NotPermitted):
        save_ticket_type(world.supervisor, None, "Consulta")
    with pytest.raises(NotPermitted):
        save_project(world.agent, None, ProjectFields(world.client, "Otro"))
    assert save_ticket_type(world.admin, None, "  Consulta ").name == "Consulta"


def test_a_contract_or_project_used_by_tickets_stays_with_its_client(world):
    new_ticket(world, contract_id=world.contract.id, project_id=world.project.id)
    with pytest.raises(ValidationFailed) as contract:
        save_contract(world.admin, world.contract, ContractFields(world.other_client, "Licencias"))
    assert contract.value.field == "client" and "Acme S.A." in str(contract.value)
    with pytest.raises(ValidationFailed) as project:
        save_project(world.admin, world.project, ProjectFields(world.other_client, "Red nueva"))
    assert project.value.field == "client"
    renamed = save_contract(world.admin, world.contract, ContractFields(
        world.client, "Licencias 2027", starts_on=dt.date(2027, 1, 1)))
    assert (renamed.name, renamed.client_id) == ("Licencias 2027", world.client.id)
    moved = save_contract(world.admin, world.covering_contract,
                          ContractFields(world.other_client, "Soporte anual", True))
    assert moved.client_id == world.other_client.id  # no ticket used it


def test_a_contract_ends_after_it_starts_and_type_names_are_unique_in_any_case(world):
    with pytest.raises(ValidationFailed) as dates:
        save_contract(world.admin, None, ContractFields(
            world.client, "Nuevo", starts_on=dt.date(2027, 2, 1), ends_on=dt.date(2027, 1, 31)))
    assert dates.value.field == "ends_on"
    with pytest.raises(ValidationFailed) as taken:
        save_ticket_type(world.admin, None, "INCIDENTE")
    assert taken.value.field == "name"
    assert save_ticket_type(world.admin, world.ticket_type, "incidente").name == "incidente"
    with pytest.raises(ValidationFailed):
        save_project(world.admin, None, ProjectFields(world.client, "   "))
