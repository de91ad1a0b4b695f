"""An administrator chooses a business calendar for a client and for a contract in /admin
(app/admin/reference.py), given through app.services.sla.calendars.use_calendar: the edit form
shows the one chosen, empty returns to the next in line, an inactive calendar is refused under
the field and nothing changes; the ticket's clocks then follow it (calendar_for)."""
from app.extensions import db
from app.models import Client, Contract
from app.services.sla import calendars
from app.services.sla.clocks import ticket_clocks
from tests import factories
from tests.factories import PASSWORD


def _calendar(world, name: str, active: bool = True):
    row = calendars.save_calendar(world.admin, None, calendars.CalendarFields(
        name, "Europe/Madrid", "mon-sun 00:00-24:00", active))
    db.session.commit()
    return row


def _contract_form(world, **fields) -> dict:
    return {"client": str(world.client.id), "name": "Licencias", "active": "y", **fields}


def _selected(page: str) -> str | None:
    """The value of the calendar field's selected option."""
    field = page.split('id="calendar"', 1)[1].split("</select>", 1)[0]
    chosen = [part.split('value="', 1)[1].split('"', 1)[0]
              for part in field.split("<option")[1:] if "selected" in part.split(">", 1)[0]]
    return chosen[0] if chosen else None


def test_an_administrator_gives_a_contract_and_a_client_a_calendar(world, client):
    always = _calendar(world, "24/7")
    client.post("/login", data={"email": world.admin.email, "password": PASSWORD})
    url = f"/admin/contract/edit/?id={world.contract.id}"
    saved = client.post(url, data=_contract_form(world, calendar=str(always.id)))
    assert saved.status_code == 302, saved.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Contract, world.contract.id).calendar_id == always.id
    assert _selected(client.get(url).get_data(as_text=True)) == str(always.id)
    ticket = factories.new_ticket(world, contract_id=world.contract.id)
    assert ticket_clocks(ticket).calendar == "24/7"

    cleared = client.post(url, data=_contract_form(world, calendar="__None"))
    assert cleared.status_code == 302, cleared.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Contract, world.contract.id).calendar_id is None

    client_url = f"/admin/client/edit/?id={world.client.id}"
    saved = client.post(client_url, data={"name": "Acme S.A.", "active": "y", "notes": "",
                                          "domains-0-domain": "acme.example",
                                          "calendar": str(always.id)})
    assert saved.status_code == 302, saved.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Client, world.client.id).calendar_id == always.id
    assert _selected(client.get(client_url).get_data(as_text=True)) == str(always.id)


def test_an_inactive_calendar_is_refused_under_the_field_and_nothing_is_saved(world, client):
    old = _calendar(world, "Antiguo", active=False)
    client.post("/login", data={"email": world.admin.email, "password": PASSWORD})
    refused = client.post(f"/admin/contract/edit/?id={world.contract.id}",
                          data=_contract_form(world, name="Renombrado", calendar=str(old.id)))
    assert refused.status_code == 200
    page = refused.get_data(as_text=True)
    field = page.split('id="calendar"', 1)[0].rsplit("<select", 1)[1]
    assert "is-invalid" in field  # marked under the field, with what to do
    assert "no está activo: actívelo primero o elija otro" in page.split('id="calendar"', 1)[1]
    db.session.expire_all()
    contract = db.session.get(Contract, world.contract.id)
    assert (contract.name, contract.calendar_id) == ("Licencias", None)


def test_a_contract_keeps_a_calendar_deactivated_since_when_saved_for_another_reason(
        world, client):
    kept = _calendar(world, "Viejo")
    calendars.use_calendar(world.admin, world.contract, kept)
    kept.active = False
    db.session.commit()
    client.post("/login", data={"email": world.admin.email, "password": PASSWORD})
    saved = client.post(f"/admin/contract/edit/?id={world.contract.id}",
                        data=_contract_form(world, name="Renombrado", calendar=str(kept.id)))
    assert saved.status_code == 302, saved.get_data(as_text=True)
    db.session.expire_all()
    contract = db.session.get(Contract, world.contract.id)
    assert (contract.name, contract.calendar_id) == ("Renombrado", kept.id)
