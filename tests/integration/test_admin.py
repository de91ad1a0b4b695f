"""Flask-Admin at /admin: administrators only; reference data and users; no tickets there."""
import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import ClientDomain, User
from tests.factories import PASSWORD


def _login(client, user):
    client.post("/login", data={"email": user.email, "password": PASSWORD})


def test_only_administrators_get_in(world, client):
    assert client.get("/admin/client/").status_code == 302  # to sign-in
    for role in ("viewer", "agent", "supervisor"):
        _login(client, getattr(world, role))
        assert client.get("/admin/client/").status_code == 403, role
        assert client.post("/admin/client/new/", data={"name": "X"}).status_code == 403, role
        client.post("/logout")
    _login(client, world.admin)
    assert client.get("/admin/client/").status_code == 200


def test_admin_manages_clients_with_domains_and_users(world, client):
    _login(client, world.admin)
    created = client.post("/admin/client/new/", data={
        "name": "Nuevo Cliente", "active": "y", "notes": "",
        "domains-0-domain": "NUEVO.example"})
    assert created.status_code == 302
    assert db.session.scalars(select(ClientDomain.domain).where(
        ClientDomain.domain == "nuevo.example")).one()
    user = client.post("/admin/user/new/", data={
        "email": "Tecnico@Soporte.example", "name": "Técnico", "role": "AGENT", "language": "ES",
        "active": "y", "new_password": "clave de prueba"})
    assert user.status_code == 302
    saved = db.session.scalars(select(User).where(User.email == "tecnico@soporte.example")).one()
    assert saved.check_password("clave de prueba")
    short = client.post("/admin/user/new/", data={
        "email": "otro@soporte.example", "name": "Otro", "role": "AGENT", "language": "ES",
        "active": "y", "new_password": "corta"})
    assert short.status_code == 200  # the form comes back with the error
    assert not db.session.scalars(select(User).where(User.email == "otro@soporte.example")).all()


def test_tickets_are_not_edited_in_admin(world, client):
    _login(client, world.admin)
    menu = client.get("/admin/").get_data(as_text=True)
    assert not re.search(r'href="/admin/(ticket|quote|timeentry)/"', menu)
    assert client.get("/admin/ticket/").status_code == 404


def test_admin_adds_a_mailbox_whose_url_is_checked_and_whose_password_is_never_listed(
        world, client):
    from app.models import Mailbox

    _login(client, world.admin)
    wrong = client.post("/admin/mailbox/new/", data={
        "name": "Ventas", "url": "pop3://ventas:clave@mail.example/INBOX", "active": "y"})
    assert wrong.status_code == 200
    assert "no es una URL de buzón" in wrong.get_data(as_text=True)  # says how, in Spanish
    assert not db.session.scalars(select(Mailbox)).all()
    saved = client.post("/admin/mailbox/new/", data={
        "name": "Ventas", "url": "imaps://ventas:clave-secreta@mail.example:993/INBOX",
        "active": "y"})
    assert saved.status_code == 302
    assert db.session.scalars(select(Mailbox.url)).one().endswith("@mail.example:993/INBOX")
    listing = client.get("/admin/mailbox/").get_data(as_text=True)
    assert "imaps://ventas@mail.example:993/INBOX" in listing
    assert "clave-secreta" not in listing


def test_a_row_saved_unchanged_is_not_refused_as_already_existing(world, client):
    from app.models import Mailbox

    _login(client, world.admin)
    client.post("/admin/mailbox/new/", data={
        "name": "Ventas", "url": "maildir:///var/mail/ventas", "active": "y"})
    mailbox_id = db.session.scalars(select(Mailbox.id)).one()
    saved = client.post(f"/admin/mailbox/edit/?id={mailbox_id}", data={
        "name": "Ventas", "url": "maildir:///var/mail/ventas", "active": ""})
    assert saved.status_code == 302
    db.session.expire_all()
    assert db.session.get(Mailbox, mailbox_id).active is False
    other = client.post("/admin/mailbox/new/", data={
        "name": "Ventas", "url": "maildir:///var/mail/otro", "active": "y"})
    assert other.status_code == 200  # a second row with the name is still refused


def test_admin_pages_carry_no_inline_script_for_the_csp_to_block(world, client):
    # The CSP runs scripts from our origin only: an inline <script> or on…= handler would be
    # dead code (a delete that asks nothing). app/static/admin.js does their work instead.
    from flask import current_app

    from app.models import Mailbox

    db.session.add(Mailbox(name="Local", url="maildir:///var/mail/soporte"))
    db.session.commit()
    _login(client, world.admin)
    paths = ["/admin/"]
    for view in current_app.extensions["admin"][0]._views:
        if getattr(view, "model", None) is None:
            continue
        assert not (view.create_modal or view.edit_modal or view.details_modal), (
            f"{view.name}: Flask-Admin's modal templates carry inline scripts; override them in "
            "templates/admin/model/modals/ before turning modals on")
        first = db.session.scalars(select(view.model)).first()
        paths += [view.url + "/", view.url + "/new/"]
        if first is not None:
            paths.append(f"{view.url}/edit/?id={view.get_pk_value(first)}")
    for path in paths:
        response = client.get(path)
        html = response.get_data(as_text=True)
        assert response.status_code == 200, path
        assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"].split(
            "script-src")[1].split(";")[0]
        assert re.findall(r"<[^>]*\son[a-z]+\s*=", html) == [], path
        assert re.findall(r"<script(?![^>]*\ssrc=)[^>]*>", html) == [], path
    assert "/static/admin.js" in html
    mailboxes = client.get("/admin/mailbox/").get_data(as_text=True)
    assert 'data-confirm="' in mailboxes and 'data-action="delete"' in mailboxes


def test_a_bulk_delete_of_mailboxes_works_on_every_database_and_ignores_ids_that_are_none(
        world, client):
    # Flask-Admin passes the ids as text: PostgreSQL compares no integer with text (a 500).
    from app.models import Mailbox

    db.session.add_all([Mailbox(name="Uno", url="maildir:///var/mail/uno"),
                        Mailbox(name="Dos", url="maildir:///var/mail/dos"),
                        Mailbox(name="Tres", url="maildir:///var/mail/tres")])
    db.session.commit()
    ids = db.session.scalars(select(Mailbox.id).where(Mailbox.name != "Tres")).all()
    db.session.commit()
    _login(client, world.admin)
    response = client.post("/admin/mailbox/action/", data={
        "action": "delete", "url": "/admin/mailbox/",
        "rowid": [str(i) for i in ids] + ["abc", "1.5", str(2**63), "-1"]})
    assert response.status_code == 302
    assert db.session.scalars(select(Mailbox.name)).all() == ["Tres"]


def _user_form(user, **changes) -> dict:
    """The users edit form as the browser sends it, with some values changed."""
    data = {"email": user.email, "name": user.name, "role": user.role.value,
            "language": user.language.name, "time_zone": user.time_zone or "",
            "active": "y" if user.active else "", "new_password": ""}
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def _errors(response) -> str:
    """The page's text, for the messages an administrator reads."""
    return response.get_data(as_text=True)


def test_the_users_admin_asks_for_manage_users_not_manage_reference(world, client, monkeypatch):
    from app.models import Role
    from app.services import permissions
    from app.services.permissions import Permission

    granted = dict(permissions.ROLE_PERMISSIONS)
    granted[Role.SUPERVISOR] = granted[Role.SUPERVISOR] | {Permission.MANAGE_REFERENCE}
    monkeypatch.setattr(permissions, "ROLE_PERMISSIONS", granted)
    _login(client, world.supervisor)
    assert client.get("/admin/client/").status_code == 200
    assert client.get("/admin/user/").status_code == 403
    assert client.post(f"/admin/user/edit/?id={world.agent.id}",
                       data=_user_form(world.agent, active="")).status_code == 403
    db.session.expire_all()
    assert world.agent.active


def test_deactivating_in_admin_says_which_tickets_need_a_new_assignee(world, client):
    from app.models import TicketStatus
    from tests.factories import ticket_in

    ticket = ticket_in(world, TicketStatus.IN_PROGRESS, free=True)
    ticket.assignee_id = world.agent.id
    db.session.commit()
    _login(client, world.admin)
    saved = client.post(f"/admin/user/edit/?id={world.agent.id}",
                        data=_user_form(world.agent, active=""), follow_redirects=True)
    page = _errors(saved)
    assert saved.status_code == 200
    assert "agent@soporte.example tiene 1 ticket abierto que necesita un nuevo asignado" in page
    assert 'href="/operacion/ticket?needs_assignee=1"' in page
    db.session.expire_all()
    assert not world.agent.active and ticket.assignee_id == world.agent.id
    again = client.post(f"/admin/user/edit/?id={world.agent.id}",
                        data=_user_form(world.agent, active="y"), follow_redirects=True)
    assert again.status_code == 200 and "needs_assignee" not in _errors(again)
    db.session.expire_all()
    assert world.agent.active


def test_admin_refusals_come_back_as_form_errors_in_spanish(world, client):
    _login(client, world.admin)
    last = client.post(f"/admin/user/edit/?id={world.admin.id}",
                       data=_user_form(world.admin, role="AGENT"))
    assert last.status_code == 200 and "último administrador activo" in _errors(last)
    taken = client.post(f"/admin/user/edit/?id={world.agent.id}",
                        data=_user_form(world.agent, email="SUPER@soporte.example"))
    assert "Ya existe un usuario con ese correo" in _errors(taken)
    weak = client.post(f"/admin/user/edit/?id={world.agent.id}",
                       data=_user_form(world.agent, new_password="agent"))
    assert weak.status_code == 200 and "8 caracteres" in _errors(weak)
    no_password = client.post("/admin/user/new/", data=_user_form(
        world.agent, email="nuevo@soporte.example"))
    assert no_password.status_code == 200 and "8 caracteres" in _errors(no_password)
    db.session.expire_all()
    assert world.admin.role.value == "ADMIN" and world.agent.email == "agent@soporte.example"
    assert world.agent.check_password(PASSWORD)


def test_a_password_reset_in_admin_sets_it_and_ends_the_users_sessions(world, client):
    session = world.agent.get_id()
    _login(client, world.admin)
    saved = client.post(f"/admin/user/edit/?id={world.agent.id}",
                        data=_user_form(world.agent, new_password="otra clave larga"))
    assert saved.status_code == 302
    db.session.expire_all()
    assert world.agent.check_password("otra clave larga") and world.agent.get_id() != session


def test_a_contact_with_tickets_stays_with_its_client_and_addresses_stay_unique(world, client):
    from app.models import Contact
    from tests.factories import new_ticket

    new_ticket(world)
    _login(client, world.admin)
    form = {"client": str(world.other_client.id), "name": "Carla", "language": "ES",
            "email": "carla@acme.example", "active": "y"}
    moved = client.post(f"/admin/contact/edit/?id={world.contact.id}", data=form)
    assert moved.status_code == 200
    assert "es el solicitante de 1 ticket(s) de Acme S.A." in _errors(moved)
    free = client.post(f"/admin/contact/edit/?id={world.english_contact.id}",
                       data=dict(form, email=" EVE@acme.example "))
    assert free.status_code == 302  # no tickets: it may move
    taken = client.post(f"/admin/contact/edit/?id={world.other_contact.id}",
                        data=dict(form, email="Carla@ACME.example"))
    assert "Ya existe un contacto con ese correo" in _errors(taken)
    db.session.expire_all()
    assert world.contact.client_id == world.client.id
    assert (world.english_contact.client_id, world.english_contact.email) == (
        world.other_client.id, "eve@acme.example")
    assert db.session.get(Contact, world.other_contact.id).email == "omar@otra.example"


def test_clients_domains_contracts_projects_and_types_keep_their_rules_in_admin(world, client):
    from app.models import Client, Contract, Project, TicketType
    from tests.factories import new_ticket

    new_ticket(world, contract_id=world.contract.id, project_id=world.project.id)
    _login(client, world.admin)
    taken_domain = client.post(f"/admin/client/edit/?id={world.other_client.id}", data={
        "name": "Otra Empresa", "active": "y", "notes": "",
        "domains-0-id": str(world.other_client.domains[0].id),
        "domains-0-domain": "otra.example", "domains-1-domain": " ACME.example"})
    assert "El dominio acme.example ya es de Acme S.A." in _errors(taken_domain)
    not_a_domain = client.post("/admin/client/new/", data={
        "name": "Tercera", "active": "y", "notes": "", "domains-0-domain": "ventas@tercera"})
    assert "no es un dominio de correo" in _errors(not_a_domain)
    same_name = client.post("/admin/client/new/", data={"name": "  acme   s.a. ", "active": "y",
                                                        "notes": ""})
    assert "Ya existe un cliente llamado acme s.a." in _errors(same_name)
    contract = client.post(f"/admin/contract/edit/?id={world.contract.id}", data={
        "client": str(world.other_client.id), "name": "Licencias", "active": "y"})
    assert "se usa en 1 ticket(s) de Acme S.A." in _errors(contract)
    project = client.post(f"/admin/project/edit/?id={world.project.id}", data={
        "client": str(world.other_client.id), "name": "Red nueva", "active": "y"})
    assert "se usa en 1 ticket(s) de Acme S.A." in _errors(project)
    dates = client.post(f"/admin/contract/edit/?id={world.contract.id}", data={
        "client": str(world.client.id), "name": "Licencias", "active": "y",
        "starts_on": "2027-02-01", "ends_on": "2027-01-01"})
    assert "termina antes de empezar" in _errors(dates)
    free_project = client.post(f"/admin/project/edit/?id={world.other_project.id}", data={
        "client": str(world.client.id), "name": "Proyecto traído", "active": "y"})
    assert free_project.status_code == 302
    same_type = client.post("/admin/tickettype/new/", data={"name": "INCIDENTE", "active": "y"})
    assert "Ya existe un tipo de ticket llamado INCIDENTE" in _errors(same_type)
    db.session.expire_all()
    assert db.session.scalars(select(ClientDomain.domain).where(
        ClientDomain.client_id == world.other_client.id)).all() == ["otra.example"]
    assert len(db.session.scalars(select(Client)).all()) == 2
    assert db.session.get(Contract, world.contract.id).client_id == world.client.id
    assert db.session.get(Project, world.project.id).client_id == world.client.id
    assert db.session.get(Project, world.other_project.id).client_id == world.client.id
    assert len(db.session.scalars(select(TicketType)).all()) == 1


def test_a_taken_name_is_refused_once_by_the_service_whatever_its_case(world, client):
    _login(client, world.admin)
    exact = client.post(f"/admin/contact/edit/?id={world.other_contact.id}", data={
        "client": str(world.other_client.id), "name": "Omar", "language": "ES",
        "email": "carla@acme.example", "active": "y"})
    page = _errors(exact)
    assert "Ya existe un contacto con ese correo: edite ese." in page
    assert "Ya existe.<" not in page and "Ya existe.\\n" not in page  # no second, vaguer copy


def _zone_select(page: str) -> tuple[list[str], list[str]]:
    """The values of the time zone select of a page, and those selected."""
    select = re.search(r'<select[^>]*name="time_zone"[^>]*>(.*?)</select>', page, re.S)
    assert select, "no time zone select on the page"
    options = re.findall(r"<option([^>]*)>", select.group(1))
    values = [re.search(r'value="([^"]*)"', option).group(1) for option in options]
    return values, [value for value, option in zip(values, options) if "selected" in option]


def test_the_users_admin_offers_the_account_pages_zones_keeping_one_not_in_the_list(world,
                                                                                   client):
    world.agent.time_zone = "US/Eastern"  # a legacy alias, typed in the older free-text field
    db.session.commit()
    _login(client, world.admin)
    admin_page = _errors(client.get(f"/admin/user/edit/?id={world.agent.id}"))
    admin_zones, admin_chosen = _zone_select(admin_page)
    assert "La de la empresa (Europe/Madrid)" in admin_page
    new_zones, new_chosen = _zone_select(_errors(client.get("/admin/user/new/")))
    client.post("/logout")
    _login(client, world.agent)
    account_zones, account_chosen = _zone_select(_errors(client.get("/preferencias/zona-horaria")))
    assert admin_zones == account_zones and admin_chosen == account_chosen == ["US/Eastern"]
    assert admin_zones[0] == "" and "America/Bogota" in admin_zones
    assert new_zones == [zone for zone in admin_zones if zone != "US/Eastern"]
    assert new_chosen in ([], [""])  # the company's zone
    client.post("/logout")
    _login(client, world.admin)
    kept = client.post(f"/admin/user/edit/?id={world.agent.id}", data=_user_form(world.agent))
    assert kept.status_code == 302
    db.session.expire_all()
    assert world.agent.time_zone == "US/Eastern"
    unknown = client.post(f"/admin/user/edit/?id={world.agent.id}",
                          data=_user_form(world.agent, time_zone="Marte/Olimpo"))
    assert unknown.status_code == 200 and "Elija una zona horaria de la lista" in _errors(unknown)
    for chosen, stored in (("America/Bogota", "America/Bogota"), ("", None)):
        saved = client.post(f"/admin/user/edit/?id={world.agent.id}",
                            data=_user_form(world.agent, time_zone=chosen))
        assert saved.status_code == 302
        db.session.expire_all()
        assert world.agent.time_zone == stored


def test_a_refused_mailbox_comes_back_without_the_password_typed_in_its_url(world, client):
    from app.models import Mailbox

    _login(client, world.admin)
    client.post("/admin/mailbox/new/", data={
        "name": "Ventas", "url": "maildir:///var/mail/ventas", "active": "y"})
    again = client.post("/admin/mailbox/new/", data={
        "name": " VENTAS ", "url": "imaps://ventas:clave-secreta@mail.example:993/INBOX",
        "active": "y"})
    page = _errors(again)
    assert again.status_code == 200 and "Ya existe un buzón llamado VENTAS" in page
    assert "clave-secreta" not in page and "imaps://ventas@mail.example:993/INBOX" in page
    wrong = _errors(client.post("/admin/mailbox/new/", data={
        "name": "Otro", "url": "pop3://otro:clave-secreta@mail.example/INBOX", "active": "y"}))
    assert "no es una URL de buzón" in wrong and "clave-secreta" not in wrong
    assert db.session.scalars(select(Mailbox.name)).all() == ["Ventas"]


ADMIN_PAGES = ("/admin/", "/admin/client/", "/admin/client/new/", "/admin/contact/",
               "/admin/contact/new/", "/admin/contract/", "/admin/contract/new/",
               "/admin/project/new/", "/admin/tickettype/new/", "/admin/user/",
               "/admin/user/new/", "/admin/mailbox/new/")
# Words Flask-Admin or the models would show in English (labels, its "Salvar", codes).
ENGLISH = ("Name", "Active", "Client", "Email", "Language", "Role", "Notes", "Domains",
           "Covers Support", "Covers support", "Starts On", "Ends On", "Save", "Salvar",
           "Failed to save record", "Back to the tickets", "ADMIN", "VIEWER")


def _visible_text(page: str) -> str:
    """The page's text as a reader sees it: no scripts, no tags, no attribute values."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return re.sub(r"<[^>]*>", " ", page)


def test_a_spanish_administrator_sees_no_english_in_admin(world, client):
    _login(client, world.admin)
    for url in ADMIN_PAGES:
        text = _visible_text(client.get(url).get_data(as_text=True))
        for word in ENGLISH:
            assert not re.search(rf"\b{re.escape(word)}\b", text), (url, word)
    form = client.get("/admin/tickettype/new/").get_data(as_text=True)
    assert 'value="Guardar"' in form
    refused = client.post(f"/admin/tickettype/edit/?id={world.ticket_type.id}", data={"name": ""})
    refused_text = _visible_text(refused.get_data(as_text=True))
    assert "No se pudo guardar" in refused_text and "Failed" not in refused_text


def test_the_admin_home_says_what_each_section_is_for_and_leads_back_to_the_tickets(
        world, client):
    _login(client, world.admin)
    home = client.get("/admin/").get_data(as_text=True)
    assert 'href="/admin/contract/"' in home
    assert "un contrato que cubre soporte hace gratuitos los tickets nuevos" in home
    assert 'href="/admin/mailbox/"' in home and "Los buzones" in home
    for url in ("/admin/", "/admin/client/", "/admin/user/new/"):
        page = client.get(url).get_data(as_text=True)
        assert re.search(r'<a [^>]*href="/operacion/ticket"[^>]*>\s*Volver a los tickets', page), url


def test_an_admin_view_without_a_service_cannot_be_defined():
    """ServiceView saves only through a service: a view that names none is refused when the
    class is written, not when an administrator first presses Save."""
    from app.admin.base import ServiceView

    with pytest.raises(TypeError, match="save"):
        class _Writes(ServiceView):  # noqa: F841 - defining it is the test
            pass


def test_every_admin_search_takes_a_search_of_any_length(app, world, client):
    """A list's search becomes a LIKE pattern: its first characters only (SQLite refuses a
    pattern over 50,000 bytes, which was a 500)."""
    client.post("/login", data={"email": world.admin.email, "password": PASSWORD})
    searchable = [view.url for view in app.extensions["admin"][0]._views
                  if getattr(view, "column_searchable_list", None)]
    assert len(searchable) >= 5
    for url in searchable:
        for search in ("x" * 100_000, "%_\\" * 20_000, "Acme"):
            response = client.get(url + "/", query_string={"search": search})
            assert response.status_code == 200, (url, len(search), response.status_code)
