"""Mailbox URLs, read and written: which inbox a URL names, its name in records and logs,
and its password kept apart from it. The one reading of a URL that administration (checking
a mailbox it saves) and the poller (opening it) share.

`imap://user:pass@host:143/INBOX` plain, `imap+starttls://…` STARTTLS,
`imaps://…:993/INBOX` TLS (`?cafile=/path.pem` trusts a private CA);
`maildir:///absolute/path`.
"""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, quote, unquote, urlsplit, urlunsplit


class SourceError(Exception):
    """The mailbox cannot be configured or reached."""


@dataclass(frozen=True)
class InboxURL:
    """A parsed SOPORTE_INBOX_URL."""

    scheme: str
    host: str
    port: int | None
    user: str
    password: str
    folder: str
    path: str
    cafile: str | None

    @property
    def name(self) -> str:
        """The mailbox's name in records and logs (never the password)."""
        if self.scheme == "maildir":
            return f"maildir:{self.path}"
        return f"{self.scheme}://{self.user}@{self.host}:{self.port}/{self.folder}"


def parse_inbox_url(url: str) -> InboxURL:
    """Split an inbox URL into its parts; SourceError when it is not one we understand."""
    parts = urlsplit(url or "")
    scheme = parts.scheme.lower()
    if scheme == "maildir":
        path = unquote(parts.netloc + parts.path)
        if not path:
            raise SourceError("maildir URL needs a path: maildir:///var/mail/soporte")
        return InboxURL("maildir", "", None, "", "", "", path, None)
    if scheme not in ("imap", "imap+starttls", "imaps"):
        raise SourceError(f"unknown inbox URL scheme {scheme!r}: use imap, imap+starttls, imaps "
                          "or maildir")
    if not parts.hostname:
        raise SourceError("IMAP URL needs a host: imap://user:pass@host:143/INBOX")
    query = parse_qs(parts.query)
    return InboxURL(
        scheme=scheme,
        host=parts.hostname,
        port=parts.port or (993 if scheme == "imaps" else 143),
        user=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        folder=unquote(parts.path.lstrip("/")) or "INBOX",
        path="",
        cafile=(query.get("cafile") or [None])[0],
    )


def same_server(url: str, other: str) -> bool:
    """Whether two inbox URLs reach the same account the same way (scheme, host, port, user):
    a password kept for one may be sent to the other."""
    try:
        a, b = parse_inbox_url(url), parse_inbox_url(other)
    except SourceError:
        return False
    return (a.scheme, a.host.lower(), a.port, a.user) == (b.scheme, b.host.lower(), b.port, b.user)


def mailbox_name(url: str) -> str:
    """The name of the mailbox at this URL, for records and logs (never its password)."""
    try:
        return parse_inbox_url(url).name
    except SourceError:
        return "(an inbox URL that cannot be read)"


def split_password(url: str) -> tuple[str, str]:
    """The URL without its password, and the password (decoded; "" when there is none), so that
    the two can be stored apart (the password encrypted)."""
    parts = urlsplit(url or "")
    userinfo, at, hostport = parts.netloc.rpartition("@")
    user, colon, password = userinfo.partition(":")
    if not colon:
        return url, ""
    return urlunsplit(parts._replace(netloc=f"{user}{at}{hostport}")), unquote(password)


def with_password(url: str, password: str) -> str:
    """The URL to connect with: a stored URL with its (decrypted) password put back; the URL as
    it is when there is no password to add."""
    if not password:
        return url
    bare, _old = split_password(url)
    parts = urlsplit(bare)
    user, _at, hostport = parts.netloc.rpartition("@")
    return urlunsplit(parts._replace(netloc=f"{user}:{quote(password, safe='')}@{hostport}"))
