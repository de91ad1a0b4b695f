"""Flask-Admin at /admin: administrators only; reference data and users; no tickets there."""
import re

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
