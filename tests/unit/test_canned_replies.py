"""The team's canned replies (app.services.canned_replies): only supervisors and administrators
manage them; titles are unique whatever their case; an unknown placeholder is refused with the
known ones; filling replaces each placeholder and its alias and nothing else; deactivated
replies are not offered."""
import pytest

from app.extensions import db
from app.models.workspace import CannedReply
from app.services import canned_replies
from app.services.errors import NotFound, NotPermitted, ValidationFailed
from tests.factories import new_ticket


def _reply(world, title="Saludo", body="Hola {solicitante}"):
    reply = canned_replies.create_reply(world.supervisor, title, body)
    db.session.commit()
    return reply


def test_supervisors_and_administrators_manage_replies_agents_and_viewers_do_not(world):
    for user in (world.agent, world.viewer):
        with pytest.raises(NotPermitted):
            canned_replies.create_reply(user, "Saludo", "Hola")
        with pytest.raises(NotPermitted):
            canned_replies.all_replies(user)
    reply = _reply(world)
    for change in (lambda: canned_replies.update_reply(world.agent, reply, "Otro", "Texto"),
                   lambda: canned_replies.deactivate(world.agent, reply),
                   lambda: canned_replies.get_reply(world.agent, reply.id)):
        with pytest.raises(NotPermitted):
            change()
    assert (reply.title, reply.body, reply.active) == ("Saludo", "Hola {solicitante}", True)
    assert reply.created_by_id == world.supervisor.id
    by_admin = canned_replies.create_reply(world.admin, "  Cierre   amable ", "  Gracias.\n")
    assert (by_admin.title, by_admin.body) == ("Cierre amable", "Gracias.")


def test_a_title_and_a_text_are_required_and_titles_are_unique_in_any_case(world):
    reply = _reply(world)
    with pytest.raises(ValidationFailed) as twin:
        canned_replies.create_reply(world.supervisor, "  SALUDO ", "Buenos días")
    assert twin.value.field == "title" and "SALUDO" in str(twin.value)
    other = _reply(world, "Despedida", "Saludos")
    with pytest.raises(ValidationFailed) as renamed:
        canned_replies.update_reply(world.supervisor, other, "saludo", "Saludos")
    assert renamed.value.field == "title"
    assert canned_replies.update_reply(world.supervisor, reply, "Saludo", "Hola de nuevo").body \
        == "Hola de nuevo"  # its own title is not another's
    with pytest.raises(ValidationFailed) as untitled:
        canned_replies.create_reply(world.supervisor, "   ", "Texto")
    assert untitled.value.field == "title"
    with pytest.raises(ValidationFailed) as empty:
        canned_replies.create_reply(world.supervisor, "Vacía", " \n ")
    assert empty.value.field == "body"
    with pytest.raises(ValidationFailed) as long_title:
        canned_replies.create_reply(world.supervisor, "x" * 121, "Texto")
    assert long_title.value.field == "title"


def test_an_unknown_placeholder_is_refused_with_the_known_ones(world):
    with pytest.raises(ValidationFailed) as refused:
        canned_replies.create_reply(world.supervisor, "Saludo",
                                    "Hola {nombre}, su {ticket} de {empresa}")
    message = str(refused.value)
    assert refused.value.field == "body"
    assert "{empresa}, {nombre}" in message and "{ticket}" not in message.split(".")[0]
    for known in ("{cliente}", "{solicitante}", "{ticket}", "{agente}", "{client}",
                  "{requester}", "{number}", "{agent}"):
        assert known in message
    reply = _reply(world)
    with pytest.raises(ValidationFailed):
        canned_replies.update_reply(world.supervisor, reply, "Saludo", "Hola {número}")
    db.session.rollback()
    assert db.session.get(CannedReply, reply.id).body == "Hola {solicitante}"


def test_fill_replaces_each_placeholder_and_its_alias(world):
    ticket = new_ticket(world)
    reply = _reply(world, "Todo", "{cliente}|{client}|{solicitante}|{requester}|{ticket}|"
                                  "{number}|{agente}|{agent}|{CLIENTE}")
    filled = canned_replies.fill(reply, ticket, world.agent)
    assert filled == (f"Acme S.A.|Acme S.A.|Carla Cliente|Carla Cliente|{ticket.number}|"
                      f"{ticket.number}|Agente Uno|Agente Uno|Acme S.A.")


def test_a_missing_requester_fills_empty_and_a_nameless_one_by_address(world):
    ticket = new_ticket(world, contact_id=None)
    reply = _reply(world, "Saludo", "Hola {solicitante}, sobre {ticket}")
    assert canned_replies.fill(reply, ticket, world.agent) == f"Hola , sobre {ticket.number}"
    world.contact.name = ""
    named_by_address = new_ticket(world)
    assert canned_replies.fill(reply, named_by_address, world.agent).startswith(
        "Hola carla@acme.example,")


def test_braces_that_are_not_placeholders_stay_as_written(world):
    ticket = new_ticket(world)
    body = ('Config: {"modo": 1} { cliente } {} {1} {{cliente}} {0.__class__} '
            '{ticket.client.contacts} %(number)s {cliente}')
    reply = _reply(world, "Llaves", body)
    filled = canned_replies.fill(reply, ticket, world.agent)
    assert filled == ('Config: {"modo": 1} { cliente } {} {1} {Acme S.A.} {0.__class__} '
                      '{ticket.client.contacts} %(number)s Acme S.A.')
    # a name the save would refuse (written before, or straight into the database) is kept
    reply.body = "Hola {desconocido} {agente}"
    assert canned_replies.fill(reply, ticket, None) == "Hola {desconocido} "


def test_values_with_braces_are_not_filled_again(world):
    world.client.name = "Acme {agente}"
    ticket = new_ticket(world)
    reply = _reply(world, "Cliente", "{cliente} / {agente}")
    assert canned_replies.fill(reply, ticket, world.agent) == "Acme {agente} / Agente Uno"


def test_deactivated_replies_are_not_offered_and_come_back_when_reactivated(world):
    ticket = new_ticket(world)
    greeting, farewell = _reply(world), _reply(world, "Despedida", "Saludos, {agente}")
    canned_replies.deactivate(world.supervisor, greeting)
    db.session.commit()
    assert canned_replies.active_replies(world.agent) == [farewell]
    assert [r.title for r in canned_replies.all_replies(world.supervisor)] == ["Despedida",
                                                                               "Saludo"]
    with pytest.raises(NotFound):
        canned_replies.filled_for(world.agent, greeting.id, ticket)
    assert canned_replies.filled_for(world.agent, farewell.id, ticket) == "Saludos, Agente Uno"
    canned_replies.reactivate(world.admin, greeting)
    assert canned_replies.active_replies(world.agent) == [farewell, greeting]
    with pytest.raises(NotPermitted):
        canned_replies.active_replies(world.viewer)
    with pytest.raises(NotPermitted):
        canned_replies.filled_for(world.viewer, farewell.id, ticket)
    with pytest.raises(NotFound):
        canned_replies.filled_for(world.agent, 999_999, ticket)
