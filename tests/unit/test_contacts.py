"""Senders are recognised whatever the case of their address or their client's domain."""
from app.extensions import db
from app.models import Client, ClientDomain, Contact
from app.services.contacts import identify_sender


def test_addresses_and_domains_match_case_insensitively(world):
    client = Client(name="Mayúsculas", domains=[ClientDomain(domain=" MAYUS.Example ")])
    db.session.add(client)
    db.session.add(Contact(client=client, email="Ana.Perez@MAYUS.example"))
    db.session.commit()
    assert identify_sender("ana.perez@mayus.example").client_id == client.id
    created = identify_sender("Otro@Mayus.EXAMPLE", "Otro")
    assert created.email == "otro@mayus.example" and created.client_id == client.id
    assert identify_sender("nadie@desconocido.example") is None


def test_contacts_are_saved_by_reference_managers_with_normalised_unique_addresses(world):
    import pytest

    from app.models import Language
    from app.services.contacts import ContactFields, save_contact
    from app.services.errors import NotPermitted, ValidationFailed

    fields = ContactFields(world.client, " Nuevo@ACME.example ", "  Nuevo   Contacto ", "EN")
    with pytest.raises(NotPermitted):
        save_contact(world.supervisor, None, fields)
    created = save_contact(world.admin, None, fields)
    assert (created.email, created.name, created.language) == (
        "nuevo@acme.example", "Nuevo Contacto", Language.EN)
    for email in ("CARLA@acme.example", "sin-arroba"):
        with pytest.raises(ValidationFailed) as refused:
            save_contact(world.admin, created, ContactFields(world.client, email))
        assert refused.value.field == "email"
    with pytest.raises(ValidationFailed) as orphan:
        save_contact(world.admin, created, ContactFields(None, "nuevo@acme.example"))
    assert orphan.value.field == "client"


def test_a_contact_that_requested_tickets_stays_with_its_client(world):
    import pytest

    from app.services.contacts import ContactFields, save_contact
    from app.services.errors import ValidationFailed
    from tests.factories import new_ticket

    new_ticket(world)
    with pytest.raises(ValidationFailed) as refused:
        save_contact(world.admin, world.contact,
                     ContactFields(world.other_client, world.contact.email))
    assert refused.value.field == "client" and "Acme S.A." in str(refused.value)
    assert world.contact.client_id == world.client.id
    moved = save_contact(world.admin, world.english_contact,
                         ContactFields(world.other_client, world.english_contact.email))
    assert moved.client_id == world.other_client.id


def test_client_domains_are_normalised_kept_once_and_belong_to_one_client(world):
    import pytest

    from app.services.clients import ClientFields, save_client
    from app.services.errors import NotPermitted, ValidationFailed

    with pytest.raises(NotPermitted):
        save_client(world.agent, None, ClientFields("Nueva"))
    created = save_client(world.admin, None, ClientFields(
        "  Nueva   Empresa ", domains=("@Nueva.example", "nueva.example ", "ventas.nueva.example")))
    assert created.name == "Nueva Empresa"
    assert sorted(d.domain for d in created.domains) == ["nueva.example", "ventas.nueva.example"]
    save_client(world.admin, created, ClientFields("Nueva Empresa", domains=("nueva.example",)))
    db.session.commit()
    assert [d.domain for d in created.domains] == ["nueva.example"]
    for domains in (("acme.example",), ("no es dominio",), ("ana@nueva.example",)):
        with pytest.raises(ValidationFailed) as refused:
            save_client(world.admin, created, ClientFields("Nueva Empresa", domains=domains))
        assert refused.value.field == "domains", domains
    with pytest.raises(ValidationFailed) as taken:
        save_client(world.admin, created, ClientFields("ACME s.a."))
    assert taken.value.field == "name"


def test_triage_places_a_sender_under_its_own_client_only(world):
    import pytest

    from app.services.contacts import contact_for_triage, identify_sender
    from app.services.errors import ValidationFailed

    world.contact.active = False
    assert identify_sender("carla@acme.example") is None  # staff decide, nothing is added
    with pytest.raises(ValidationFailed) as refused:
        contact_for_triage(world.other_client, "Carla@ACME.example")
    assert "es un contacto inactivo de Acme S.A.: elija Acme S.A." in str(refused.value)
    assert refused.value.field == "client_id" and not world.contact.active
    assert contact_for_triage(world.client, "carla@acme.example") is world.contact
    assert world.contact.active
    with pytest.raises(ValidationFailed) as refused:
        contact_for_triage(world.other_client, "carla@acme.example")
    assert "es un contacto de Acme S.A.: elija Acme S.A." in str(refused.value)
    new = contact_for_triage(world.other_client, "nueva@gmail.example")
    assert new.client_id == world.other_client.id and new.active
