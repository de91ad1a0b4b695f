"""Mailboxes as an administrator saves them (app.services.mailboxes): the URL is one the poller
reads, its password is kept encrypted and apart, goes only to the server it was given for, a
maildir has none, names are unique in any case, and only reference managers save or delete."""
import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Mailbox
from app.services.errors import NotPermitted, ValidationFailed
from app.services.mailboxes import MailboxFields, delete_mailbox, save_mailbox
from app.services.permissions import CONSOLE

URL = "imaps://ventas@mail.example:993/INBOX"


def _saved(world, url=URL, password="", name="Ventas", mailbox=None) -> Mailbox:
    return save_mailbox(world.admin, mailbox, MailboxFields(name, url, password))


def test_only_reference_managers_save_or_delete_mailboxes(world):
    for actor in (world.supervisor, world.agent, world.viewer, CONSOLE):
        with pytest.raises(NotPermitted):
            save_mailbox(actor, None, MailboxFields("Ventas", URL, "clave"))
    mailbox = _saved(world)
    with pytest.raises(NotPermitted):
        delete_mailbox(world.supervisor, mailbox)
    delete_mailbox(world.admin, mailbox)
    assert db.session.scalars(select(Mailbox)).all() == []


def test_a_password_in_the_url_is_taken_out_and_kept_encrypted_the_typed_one_winning(world):
    in_url = _saved(world, "imaps://ventas:clave%40vieja@mail.example:993/INBOX")
    assert in_url.url == URL and in_url.password() == "clave@vieja"
    assert "clave" not in in_url.password_encrypted
    both = _saved(world, "imap://compras:en-la-url@mail.example/INBOX", "escrita", "Compras")
    assert both.url == "imap://compras@mail.example/INBOX" and both.password() == "escrita"


def test_saving_without_a_password_keeps_the_stored_one_on_the_same_account(world):
    mailbox = _saved(world, password="clave")
    _saved(world, "  imaps://ventas@MAIL.example:993/Soporte ", name="Ventas 2", mailbox=mailbox)
    assert (mailbox.name, mailbox.url) == ("Ventas 2", "imaps://ventas@MAIL.example:993/Soporte")
    assert mailbox.password() == "clave"


@pytest.mark.parametrize("elsewhere", ["imaps://ventas@attacker.example:993/INBOX",
                                       "imaps://ventas@mail.example:2993/INBOX",
                                       "imaps://otro@mail.example:993/INBOX",
                                       "imap://ventas@mail.example:993/INBOX"])
def test_a_stored_password_is_not_sent_to_another_server_without_typing_it_again(world,
                                                                                 elsewhere):
    mailbox = _saved(world, password="clave")
    with pytest.raises(ValidationFailed) as moved:
        _saved(world, elsewhere, mailbox=mailbox)
    assert moved.value.field == "password"
    assert "escriba de nuevo su contraseña" in str(moved.value)
    retyped = _saved(world, elsewhere, "clave-nueva", mailbox=mailbox)
    assert (retyped.url, retyped.password()) == (elsewhere, "clave-nueva")


def test_a_mailbox_without_a_stored_password_may_point_anywhere(world):
    mailbox = _saved(world)
    assert _saved(world, "imap://otro@otro.example/INBOX", mailbox=mailbox).password() == ""


def test_a_maildir_has_no_password(world):
    mailbox = _saved(world, password="clave")
    _saved(world, "maildir:///var/mail/ventas", mailbox=mailbox)
    assert (mailbox.url, mailbox.password_encrypted) == ("maildir:///var/mail/ventas", None)
    typed = _saved(world, "maildir:///var/mail/otro", "clave", "Local")
    assert typed.password_encrypted is None


@pytest.mark.parametrize("url", [
    "pop3://ventas:clave@mail.example/INBOX", "imap:///INBOX", "maildir://", "",
    pytest.param("imap://a@mail.example/" + "x" * 1000, id="too-long")])
def test_a_url_the_poller_cannot_read_is_refused_saying_how_to_write_one(world, url):
    with pytest.raises(ValidationFailed) as refused:
        _saved(world, url, "clave")
    assert refused.value.field == "url"
    assert "clave" not in str(refused.value)
    assert db.session.scalars(select(Mailbox)).all() == []


def test_a_name_is_required_and_unique_whatever_its_case(world):
    with pytest.raises(ValidationFailed) as empty:
        _saved(world, name="   ")
    assert empty.value.field == "name"
    mailbox = _saved(world, name="  Ventas   Norte ")
    assert mailbox.name == "Ventas Norte"
    with pytest.raises(ValidationFailed) as taken:
        _saved(world, "maildir:///var/mail/otro", name="VENTAS norte")
    assert taken.value.field == "name"
    assert "Ya existe un buzón llamado VENTAS norte" in str(taken.value)
    assert _saved(world, name="ventas NORTE", mailbox=mailbox).name == "ventas NORTE"


def test_a_mailbox_can_be_saved_inactive(world):
    mailbox = save_mailbox(world.admin, None, MailboxFields("Ventas", URL, active=False))
    assert mailbox.active is False and mailbox.id is not None
