"""Creating and editing tickets: required fields, references of the same client, the history."""
import pytest
from sqlalchemy import func, select, update

from app.extensions import db
from app.models import PaymentStatus, Ticket, TicketSource, TicketStatus, Urgency
from app.services import tickets
from app.services.errors import Conflict, TicketClosed, ValidationFailed
from app.services.notes import Upload
from app.services.tickets import TicketFields
from tests import factories


def _ticket_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Ticket))


def test_create_ticket_numbers_and_records(world):
    ticket = tickets.create_ticket(world.agent, TicketFields(
        client_id=world.client.id, contact_id=world.contact.id, contract_id=world.contract.id,
        project_id=world.project.id, type_id=world.ticket_type.id,
        description="  La impresora no imprime  ", urgency="HIGH"))
    db.session.commit()
    assert ticket.number == "TCK-000001"
    assert ticket.status is TicketStatus.NEW and ticket.urgency is Urgency.HIGH
    assert ticket.description == "La impresora no imprime"
    assert ticket.subject == "La impresora no imprime"  # defaults to the description's start
    assert ticket.source is TicketSource.WEB and ticket.created_by_id == world.agent.id
    assert ticket.payment_status is PaymentStatus.UNPAID
    assert [(c.field, c.new_value) for c in ticket.changes] == [("created", "TCK-000001")]
    second = factories.new_ticket(world)
    assert second.number == "TCK-000002"


def test_prefix_comes_from_configuration(world, app):
    app.config["SOPORTE_TICKET_PREFIX"] = "SOP-"
    assert factories.new_ticket(world).number == "SOP-000001"


def test_a_ticket_under_a_covering_contract_is_free(world):
    ticket = factories.new_ticket(world, contract_id=world.covering_contract.id)
    assert ticket.payment_status is PaymentStatus.NOT_APPLICABLE


@pytest.mark.parametrize("overrides, field", [
    ({"client_id": None}, "client_id"),
    ({"client_id": 999999}, "client_id"),
    ({"client_id": "abc"}, "client_id"),
    ({"description": ""}, "description"),
    ({"description": "   \n "}, "description"),
    ({"urgency": "URGENTISIMO"}, "urgency"),
    ({"type_id": 999999}, "type_id"),
])
def test_bad_fields_are_refused_and_nothing_is_created(world, overrides, field):
    fields = dict(client_id=world.client.id, description="Algo falla")
    fields.update(overrides)
    with pytest.raises(ValidationFailed) as error:
        tickets.create_ticket(world.agent, TicketFields(**fields))
    assert error.value.field == field
    db.session.rollback()
    assert _ticket_count() == 0
    # the failed attempt used no number
    assert factories.new_ticket(world).number == "TCK-000001"


@pytest.mark.parametrize("field", ["contact_id", "contract_id", "project_id"])
def test_references_of_another_client_are_refused(world, field):
    other = {"contact_id": world.other_contact, "contract_id": world.other_contract,
             "project_id": world.other_project}[field]
    with pytest.raises(ValidationFailed) as error:
        tickets.create_ticket(world.agent, TicketFields(
            client_id=world.client.id, description="x", **{field: other.id}))
    assert error.value.field == field
    db.session.rollback()
    assert _ticket_count() == 0


def test_an_inactive_client_is_refused(world):
    world.client.active = False
    with pytest.raises(ValidationFailed):
        factories.new_ticket(world)


def test_missing_client_message_in_spanish_and_english(world):
    from flask_babel import force_locale

    with pytest.raises(ValidationFailed) as error:
        tickets.create_ticket(world.agent, TicketFields(description="x"))
    with force_locale("es"):
        assert str(error.value) == "Seleccione el cliente: es obligatorio."
    with force_locale("en"):
        assert str(error.value) == "Select the client: it is required."


def test_edit_records_each_changed_field(world):
    ticket = factories.new_ticket(world)
    changed = tickets.edit_ticket(world.agent, ticket, TicketFields(
        client_id=world.client.id, contact_id=world.contact.id, description="Otra descripción",
        subject="Servidor caído", urgency=Urgency.CRITICAL, project_id=world.project.id))
    db.session.commit()
    assert sorted(changed) == ["description", "project", "urgency"]
    history = {c.field: (c.old_value, c.new_value) for c in ticket.changes}
    assert history["urgency"] == ("MEDIUM", "CRITICAL")
    assert history["project"] == (None, "Red nueva")


def test_a_ticket_stays_with_its_client(world):
    ticket = factories.new_ticket(world, contract_id=world.contract.id)
    with pytest.raises(ValidationFailed) as error:
        tickets.edit_ticket(world.agent, ticket, TicketFields(
            client_id=world.other_client.id, description="x"))
    assert error.value.field == "client_id"
    db.session.rollback()
    assert ticket.client_id == world.client.id and not [
        c for c in ticket.changes if c.field == "client"]


def test_an_edit_without_a_client_keeps_the_tickets_and_checks_references_against_it(world):
    ticket = factories.new_ticket(world)
    with pytest.raises(ValidationFailed) as error:
        tickets.edit_ticket(world.agent, ticket, TicketFields(
            description=ticket.description, contract_id=world.other_contract.id))
    assert error.value.field == "contract_id"
    db.session.rollback()
    changed = tickets.edit_ticket(world.agent, ticket,
                                  _as_it_is(ticket, client_id=None, urgency="HIGH"))
    assert changed == ["urgency"] and ticket.client_id == world.client.id


def test_a_closed_ticket_cannot_be_edited(world):
    ticket = factories.ticket_in(world, TicketStatus.CLOSED)
    with pytest.raises(TicketClosed):
        tickets.edit_ticket(world.agent, ticket, TicketFields(client_id=world.client.id,
                                                              description="y"))


def _as_it_is(ticket, **changes) -> TicketFields:
    """The ticket's editable fields as they are, with some changed."""
    fields = dict(client_id=ticket.client_id, description=ticket.description,
                  subject=ticket.subject, urgency=ticket.urgency, type_id=ticket.type_id,
                  contact_id=ticket.contact_id, contract_id=ticket.contract_id,
                  project_id=ticket.project_id)
    fields.update(changes)
    return TicketFields(**fields)


def test_the_history_keeps_names_not_ids(world):
    ticket = factories.new_ticket(world)
    tickets.edit_ticket(world.agent, ticket, _as_it_is(
        ticket, type_id=world.ticket_type.id, contract_id=world.contract.id,
        contact_id=world.english_contact.id))
    db.session.commit()
    history = {c.field: (c.old_value, c.new_value) for c in ticket.changes}
    assert history["type"] == (None, "Incidente")
    assert history["contract"] == (None, "Licencias")
    assert history["contact"] == ("Carla Cliente <carla@acme.example>", "Eve <eve@acme.example>")


def test_inactive_references_the_ticket_has_may_stay(world):
    ticket = factories.new_ticket(world, type_id=world.ticket_type.id,
                                  contract_id=world.contract.id, project_id=world.project.id)
    for record in (world.ticket_type, world.contract, world.project, world.contact,
                   world.client):
        record.active = False
    db.session.commit()
    assert tickets.edit_ticket(world.agent, ticket, _as_it_is(ticket, urgency="HIGH")) == [
        "urgency"]


@pytest.mark.parametrize("field, record", [
    ("contact_id", "english_contact"), ("contract_id", "contract"),
    ("project_id", "project"), ("type_id", "ticket_type")])
def test_an_inactive_record_cannot_be_chosen_anew(world, field, record):
    ticket = factories.new_ticket(world, contact_id=None)
    getattr(world, record).active = False
    db.session.commit()
    with pytest.raises(ValidationFailed) as error:
        tickets.edit_ticket(world.agent, ticket,
                            _as_it_is(ticket, **{field: getattr(world, record).id}))
    assert error.value.field == field


def test_the_edit_offers_the_clients_active_records_and_the_ticket_own(world):
    ticket = factories.new_ticket(world, contract_id=world.contract.id)
    world.contract.active = False
    world.english_contact.active = False
    db.session.commit()
    options = tickets.edit_options(ticket)
    assert options.contracts == [world.contract, world.covering_contract]
    assert options.contacts == [world.contact]
    assert options.projects == [world.project] and options.types == [world.ticket_type]


def test_an_edit_read_before_another_save_is_refused(world):
    ticket = factories.new_ticket(world)
    read = ticket.lock_version
    tickets.edit_ticket(world.supervisor, ticket, _as_it_is(ticket, urgency="CRITICAL"))
    db.session.commit()
    with pytest.raises(Conflict):
        tickets.edit_ticket(world.agent, ticket, _as_it_is(ticket, subject="Mío"),
                            expected_version=read)
    db.session.rollback()
    assert ticket.subject == "Servidor caído" and ticket.urgency is Urgency.CRITICAL


def test_a_row_saved_by_another_transaction_meanwhile_is_a_conflict(world):
    ticket = factories.new_ticket(world)
    db.session.execute(update(Ticket).where(Ticket.id == ticket.id)
                       .values(lock_version=Ticket.lock_version + 1)
                       .execution_options(synchronize_session=False))
    with pytest.raises(Conflict):
        tickets.edit_ticket(world.agent, ticket, _as_it_is(ticket, urgency="HIGH"),
                            expected_version=ticket.lock_version)
    db.session.rollback()


def test_attachments_are_stored_under_their_hash(world, app, tmp_path):
    import hashlib
    import io

    data = b"%PDF-1.4 fake pdf body"
    ticket = tickets.create_ticket(world.agent, TicketFields(
        client_id=world.client.id, description="con adjunto"),
        uploads=[Upload("../../etc/\u202epasswd.pdf", io.BytesIO(data), "application/pdf")])
    db.session.commit()
    [attachment] = ticket.attachments
    digest = hashlib.sha256(data).hexdigest()
    assert attachment.sha256 == digest and attachment.size == len(data)
    assert attachment.filename == "passwd.pdf"
    assert attachment.sniffed_type == "application/pdf"
    stored = tmp_path / "attachments" / digest[:2] / digest[2:4] / digest
    assert stored.read_bytes() == data
