"""Mailbox passwords: encrypted at rest (Fernet, rotating keys), write-only in /admin, decrypted
only when the poller connects to a real Dovecot, never in lists, pages, logs or errors."""
import logging
import os
import re
import stat

import pytest
from cryptography.fernet import Fernet
from flask import Flask
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select, text

from app import ConfigurationError, create_app, encryption
from app.extensions import db
from app.models import InboundMessage, Mailbox, Ticket
from mail_ingest.poller import poll_all
from tests import factories
from tests import mail_corpus as corpus
from tests.dovecot import PASSWORD as IMAP_PASSWORD

SECRET = "clave-muy-secreta-ñ:@/%"


def _login(client, user):
    client.post("/login", data={"email": user.email, "password": factories.PASSWORD})


def _use_keys(app, *keys: bytes) -> None:
    """Restart the app's encryption with these keys (as a restart with a new environment would)."""
    app.config["SOPORTE_ENCRYPTION_KEYS"] = ",".join(key.decode() for key in keys)
    encryption.init_app(app)


def _stored_rows() -> list[tuple]:
    """Every mailbox row as the database holds it (no ORM in between)."""
    db.session.commit()
    return db.session.execute(text("SELECT name, url, password_encrypted FROM mailbox")).all()


def _bare(url: str) -> str:
    return url.replace(f":{IMAP_PASSWORD}@", "@")


def test_a_password_given_in_the_url_or_the_field_is_stored_encrypted_and_nowhere_in_plain(
        world, client):
    _login(client, world.admin)
    in_url = client.post("/admin/mailbox/new/", data={
        "name": "Ventas", "active": "y",
        "url": "imaps://ventas:clave-muy-secreta-%C3%B1%3A%40%2F%25@mail.example:993/INBOX"})
    in_field = client.post("/admin/mailbox/new/", data={
        "name": "Compras", "active": "y", "url": "imap://compras@mail.example/INBOX",
        "password": SECRET})
    assert in_url.status_code == in_field.status_code == 302
    rows = _stored_rows()
    assert [row.url for row in rows] == ["imaps://ventas@mail.example:993/INBOX",
                                         "imap://compras@mail.example/INBOX"]
    for row in rows:
        assert "clave" not in row.url and "clave" not in row.password_encrypted
        assert encryption.decrypt(row.password_encrypted) == SECRET
    listing = client.get("/admin/mailbox/").get_data(as_text=True)
    assert "clave" not in listing and rows[0].password_encrypted not in listing


def test_the_edit_page_never_shows_the_password_and_saving_without_one_keeps_it(world, client):
    _login(client, world.admin)
    client.post("/admin/mailbox/new/", data={
        "name": "Ventas", "active": "y", "url": "imap://ventas@mail.example/INBOX",
        "password": SECRET})
    mailbox = db.session.scalars(select(Mailbox)).one()
    page = client.get(f"/admin/mailbox/edit/?id={mailbox.id}").get_data(as_text=True)
    assert "clave-muy-secreta" not in page and mailbox.password_encrypted not in page
    [field] = re.findall(r'<input[^>]*name="password"[^>]*>', page)
    assert 'type="password"' in field and 'value=""' in field
    assert "Déjela vacía para conservar la actual" in page  # the hint, in Spanish
    saved = client.post(f"/admin/mailbox/edit/?id={mailbox.id}", data={
        "name": "Ventas 2", "active": "y", "url": "imap://ventas@mail.example/INBOX",
        "password": ""})
    assert saved.status_code == 302
    db.session.expire_all()
    assert mailbox.name == "Ventas 2" and mailbox.password() == SECRET
    changed = client.post(f"/admin/mailbox/edit/?id={mailbox.id}", data={
        "name": "Ventas 2", "active": "y", "url": "imap://ventas@mail.example/INBOX",
        "password": "otra-clave"})
    assert changed.status_code == 302, changed.get_data(as_text=True)
    db.session.expire_all()
    assert mailbox.password() == "otra-clave"


def test_a_row_stored_before_encryption_is_not_rendered_back_either(world, client):
    db.session.add(Mailbox(name="Vieja", url="imap://vieja:clave-antigua@mail.example/INBOX"))
    db.session.commit()
    _login(client, world.admin)
    mailbox_id = db.session.scalars(select(Mailbox.id)).one()
    page = client.get(f"/admin/mailbox/edit/?id={mailbox_id}").get_data(as_text=True)
    assert "clave-antigua" not in page
    assert "imap://vieja@mail.example/INBOX" in page


def test_the_poller_reads_a_dovecot_mailbox_set_up_in_admin_without_showing_its_password(
        world, client, dovecot, imap_user, caplog):
    _login(client, world.admin)
    client.post("/admin/mailbox/new/", data={
        "name": "Soporte IMAP", "active": "y", "url": _bare(dovecot.url(imap_user)),
        "password": IMAP_PASSWORD})
    client.post("/admin/mailbox/new/", data={  # another whose password is wrong
        "name": "Equivocada", "active": "y", "url": _bare(dovecot.url(dovecot.new_user())),
        "password": "clave-equivocada"})
    assert all(IMAP_PASSWORD not in row.url for row in _stored_rows())
    dovecot.append(imap_user, corpus.simple(subject="Impresora rota"))
    with caplog.at_level(logging.DEBUG):
        reports = poll_all()
    by_mailbox = {report.mailbox: report for report in reports}
    read = by_mailbox[_bare(dovecot.url(imap_user))]
    assert read.error is None and read.processed == 1
    assert db.session.scalars(select(Ticket.subject)).all() == ["Impresora rota"]
    failed = [report for report in reports if report.error]
    assert len(failed) == 1 and "clave-equivocada" not in failed[0].error
    for secret in (IMAP_PASSWORD, "clave-equivocada"):
        assert secret not in caplog.text
        assert not any(secret in str(report) for report in reports)


def test_a_password_whose_key_was_rotated_away_is_reported_and_the_other_mailboxes_are_read(
        app, world, runner, dovecot, imap_user):
    old, new = Fernet.generate_key(), Fernet.generate_key()
    _use_keys(app, old)
    lost = Mailbox(name="Perdida", url="imap://perdida@mail.example/INBOX")
    lost.set_password("clave-perdida")
    db.session.add(lost)
    db.session.commit()
    _use_keys(app, new)  # the old key is gone before the rotation
    readable = Mailbox(name="Soporte IMAP", url=_bare(dovecot.url(imap_user)))
    readable.set_password(IMAP_PASSWORD)
    db.session.add(readable)
    db.session.commit()
    dovecot.append(imap_user, corpus.simple(subject="Impresora rota"))
    result = runner.invoke(args=["mail", "poll", "--once"])
    assert result.exit_code == 1
    assert "'Perdida'" in result.output and "SOPORTE_ENCRYPTION_KEYS" in result.output
    assert "clave-perdida" not in result.output
    assert db.session.scalars(select(Ticket.subject)).all() == ["Impresora rota"]
    assert db.session.scalar(select(func.count()).select_from(InboundMessage)) == 1


def test_rotate_keys_reencrypts_every_password_under_the_newest_key(app, world, runner):
    old, new = Fernet.generate_key(), Fernet.generate_key()
    _use_keys(app, old)
    for name in ("Ventas", "Compras"):
        mailbox = Mailbox(name=name, url=f"imap://{name.lower()}@mail.example/INBOX")
        mailbox.set_password(f"clave-{name}")
        db.session.add(mailbox)
    db.session.add(Mailbox(name="Local", url="maildir:///var/mail/soporte"))  # no password
    db.session.commit()
    _use_keys(app, new, old)  # the new key first: it encrypts, both decrypt
    result = runner.invoke(args=["mail", "rotate-keys"])
    assert result.exit_code == 0, result.output
    assert "2" in result.output
    _use_keys(app, new)  # the old key can go now
    db.session.expire_all()
    assert {m.name: m.password() for m in db.session.scalars(select(Mailbox))} == {
        "Ventas": "clave-Ventas", "Compras": "clave-Compras", "Local": ""}


def test_rotate_keys_says_which_password_it_cannot_decrypt_and_rotates_the_rest(app, world,
                                                                               runner):
    lost_key, old, new = Fernet.generate_key(), Fernet.generate_key(), Fernet.generate_key()
    _use_keys(app, lost_key)
    lost = Mailbox(name="Perdida", url="imap://perdida@mail.example/INBOX")
    lost.set_password("clave-perdida")
    _use_keys(app, old)
    kept = Mailbox(name="Ventas", url="imap://ventas@mail.example/INBOX")
    kept.set_password("clave-ventas")
    db.session.add_all([lost, kept])
    db.session.commit()
    _use_keys(app, new, old)
    result = runner.invoke(args=["mail", "rotate-keys"])
    assert result.exit_code == 1
    assert "'Perdida'" in result.output and "clave-perdida" not in result.output
    _use_keys(app, new)
    db.session.expire_all()
    assert kept.password() == "clave-ventas"


def test_without_keys_one_is_generated_once_in_the_instance_folder_readable_only_by_us(
        tmp_path):
    def fresh_app():
        app = Flask(__name__, instance_path=str(tmp_path / "instance"))
        app.config.update(SOPORTE_ENCRYPTION_KEYS="", SOPORTE_ENCRYPTION_KEY_FROM_INSTANCE=True)
        encryption.init_app(app)
        return app

    first = fresh_app()
    key_file = tmp_path / "instance" / encryption.KEY_FILE
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    with first.app_context():
        token = encryption.encrypt(SECRET)
    with fresh_app().app_context():  # a restart reads the same key
        assert encryption.decrypt(token) == SECRET
    assert [p.name for p in key_file.parent.iterdir()] == [encryption.KEY_FILE]


def test_production_refuses_to_start_without_keys_and_with_a_key_that_is_not_one():
    with pytest.raises(ConfigurationError, match="SOPORTE_ENCRYPTION_KEYS"):
        create_app("production", {"SECRET_KEY": "x" * 40, "SOPORTE_ENCRYPTION_KEYS": ""})
    with pytest.raises(ConfigurationError, match="Fernet key"):
        create_app("production", {"SECRET_KEY": "x" * 40,
                                  "SOPORTE_ENCRYPTION_KEYS": "not-a-key"})


def test_a_tampered_token_is_unreadable_not_a_crash(app):
    token = encryption.encrypt(SECRET)
    with pytest.raises(encryption.SecretUnreadable, match="SOPORTE_ENCRYPTION_KEYS"):
        encryption.decrypt(token[:-4] + "AAAA")
    with pytest.raises(encryption.SecretUnreadable):
        encryption.decrypt("not a token at all")


def test_the_migration_moves_passwords_out_of_stored_urls_and_back_on_downgrade(
        scratch_url, tmp_path):
    from flask_migrate import downgrade, upgrade

    from tests.conftest import make_test_app

    old_urls = {"Ventas": "imaps://ventas:clave%40vieja@mail.example:993/INBOX?cafile=/ca.pem",
                "Local": "maildir:///var/mail/soporte", "Sin clave": "imap://nadie@mail.example/INBOX"}
    app = make_test_app(scratch_url, tmp_path)
    with app.app_context():
        upgrade(revision="8c555ca431ad")
        with db.engine.begin() as conn:
            for name, url in old_urls.items():
                conn.execute(text("INSERT INTO mailbox (name, url, active, created_at) "
                                  "VALUES (:name, :url, :active, CURRENT_TIMESTAMP)"),
                             {"name": name, "url": url, "active": True})
        upgrade()
        with db.engine.connect() as conn:
            rows = {row.name: row for row in conn.execute(
                text("SELECT name, url, password_encrypted FROM mailbox"))}
        assert rows["Ventas"].url == "imaps://ventas@mail.example:993/INBOX?cafile=/ca.pem"
        assert "clave" not in rows["Ventas"].password_encrypted
        assert encryption.decrypt(rows["Ventas"].password_encrypted) == "clave@vieja"
        for name in ("Local", "Sin clave"):
            assert (rows[name].url, rows[name].password_encrypted) == (old_urls[name], None)
        downgrade(revision="8c555ca431ad")
        with db.engine.connect() as conn:
            assert dict(conn.execute(text("SELECT name, url FROM mailbox")).all()) == old_urls
        db.engine.dispose()


@given(password=st.text(st.characters(exclude_categories=("Cs",)), min_size=1),
       user=st.from_regex(r"[a-z0-9._-]{1,20}", fullmatch=True),
       scheme=st.sampled_from(["imap", "imaps", "imap+starttls"]))
def test_any_password_goes_out_of_the_url_and_back_unchanged(password, user, scheme):
    from mail_ingest.sources import parse_inbox_url, split_password, with_password

    bare = f"{scheme}://{user}@mail.example:993/INBOX?cafile=/ca.pem"
    url = with_password(bare, password)
    assert parse_inbox_url(url).password == password
    assert parse_inbox_url(url).name == parse_inbox_url(bare).name  # records never change
    assert split_password(url) == (bare, password)


@pytest.mark.parametrize("elsewhere", [
    "imap://ventas@attacker.example/INBOX",       # another host
    "imap://ventas@mail.example:2143/INBOX",      # another port
    "imap://otro@mail.example/INBOX",             # another user
    "imap+starttls://ventas@mail.example/INBOX",  # another way in
])
def test_a_kept_password_is_never_sent_to_a_server_it_was_not_given_for(world, client, elsewhere):
    _login(client, world.admin)
    client.post("/admin/mailbox/new/", data={
        "name": "Ventas", "active": "y", "url": "imaps://ventas@mail.example/INBOX",
        "password": SECRET})
    mailbox = db.session.scalars(select(Mailbox)).one()
    moved = client.post(f"/admin/mailbox/edit/?id={mailbox.id}", data={
        "name": "Ventas", "active": "y", "url": elsewhere, "password": ""}, follow_redirects=True)
    assert "escriba de nuevo su contraseña" in moved.get_data(as_text=True)
    db.session.expire_all()
    assert mailbox.url == "imaps://ventas@mail.example/INBOX" and mailbox.password() == SECRET
    folder = client.post(f"/admin/mailbox/edit/?id={mailbox.id}", data={
        "name": "Ventas", "active": "y", "url": "imaps://ventas@MAIL.example:993/Soporte",
        "password": ""})
    assert folder.status_code == 302  # another folder of the same account keeps the password
    db.session.expire_all()
    assert mailbox.url.endswith("/Soporte") and mailbox.password() == SECRET
