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
