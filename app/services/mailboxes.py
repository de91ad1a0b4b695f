"""Mailboxes the poller reads besides SOPORTE_INBOX_URL, as an administrator saves them.

The rules, whichever door a mailbox comes through: its URL is one the poller can read
(mailbox_urls.parse_inbox_url); a password written into the URL is taken out of it and kept
encrypted, like one typed apart (the typed one wins); a stored password goes only to the server
it was given for, so pointing the URL at another scheme, host, port or user asks for it again; a
maildir (a folder on this machine) has no password; a name is unique whatever its case. Only a
role that manages reference data saves or deletes mailboxes. Functions flush, never commit.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models.mail import Mailbox
from app.services.errors import ValidationFailed
from app.services.mailbox_urls import (InboxURL, SourceError, parse_inbox_url, same_server,
                                       split_password)
from app.services.permissions import Actor, Permission, require
from app.services.uniqueness import taken_by_another

NAME_MAX = 100
URL_MAX = 1000


@dataclass(frozen=True)
class MailboxFields:
    """What an administrator types about a mailbox; an empty password keeps the stored one."""

    name: str
    url: str
    password: str = ""
    active: bool = True


def save_mailbox(actor: Actor, mailbox: Mailbox | None, fields: MailboxFields) -> Mailbox:
    """Create (mailbox None) or change a mailbox, its password kept encrypted and out of the URL.
    Raises NotPermitted, ValidationFailed (name: none or taken; url: not one the poller reads, or
    too long; password: the server changed and the stored one would go to it)."""
    require(actor, Permission.MANAGE_REFERENCE)
    name = _free_name(fields.name, mailbox)
    url, in_url = split_password((fields.url or "").strip())
    inbox = _readable(url)
    password = "" if inbox.scheme == "maildir" else (fields.password or in_url)
    if mailbox is None:
        mailbox = Mailbox()
        db.session.add(mailbox)
    elif not password and mailbox.password_encrypted and inbox.scheme != "maildir":
        _keep_password_on_its_server(mailbox.url, url)
    mailbox.name, mailbox.url, mailbox.active = name, url, fields.active
    if password or inbox.scheme == "maildir":
        mailbox.set_password(password)  # a folder on this machine has none
    db.session.flush()
    return mailbox


def delete_mailbox(actor: Actor, mailbox: Mailbox) -> None:
    """Stop reading a mailbox and forget it (records keep its name, not a reference to the row).
    Raises NotPermitted."""
    require(actor, Permission.MANAGE_REFERENCE)
    db.session.delete(mailbox)
    db.session.flush()


def _free_name(value: str, mailbox: Mailbox | None) -> str:
    """The name with its spaces tidied; ValidationFailed when empty or another mailbox has it."""
    name = " ".join((value or "").split())[:NAME_MAX]
    if not name:
        raise ValidationFailed(_l("Write a name."), field="name")
    if taken_by_another(Mailbox.name, name, mailbox):
        raise ValidationFailed(_l("A mailbox named %(name)s already exists: edit that one.",
                                  name=name), field="name")
    return name


def _readable(url: str) -> InboxURL:
    """The URL read as the poller reads it; ValidationFailed (url) saying how to write one."""
    if len(url) > URL_MAX:
        raise ValidationFailed(_l("The inbox URL is too long: at most %(max)d characters.",
                                  max=URL_MAX), field="url")
    try:
        return parse_inbox_url(url)
    except SourceError as error:
        raise ValidationFailed(_l("This is not a mailbox URL the poller can read (%(error)s). "
                                  "Write it as imap://user:password@host:143/INBOX, "
                                  "imaps://…:993/INBOX, imap+starttls://… or maildir:///path.",
                                  error=str(error)), field="url") from None


def _keep_password_on_its_server(stored_url: str, url: str) -> None:
    """Refuse (ValidationFailed, password) pointing a stored password at another server: another
    host, port, user, or no TLS would receive it."""
    if not same_server(stored_url, url):
        raise ValidationFailed(_l("The server, port, user or security of the inbox changed: "
                                  "type its password again."), field="password")
