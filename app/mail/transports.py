"""Where outgoing mail goes, named by SOPORTE_SMTP_URL: an SMTP server, or a folder of .eml files.

`smtp://user:pass@host:587` (STARTTLS when the server offers it),
`smtps://user:pass@host:465` (TLS), `file:///path/outbox` (the embedded default).
`?cafile=/path.pem` trusts a private CA.
"""
from __future__ import annotations

import os
import re
import smtplib
import socket
import ssl
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit


class DeliveryError(Exception):
    """Sending failed; `temporary` says whether to try again later."""

    def __init__(self, message: str, temporary: bool):
        super().__init__(message)
        self.temporary = temporary


class FileTransport:
    """Writes each message to <folder>/<message-id>.eml (atomically; the same message, the same file)."""

    def __init__(self, folder: str):
        self.folder = Path(folder)

    def send(self, message: EmailMessage, sender: str, recipients: list[str]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9._@-]", "_", message["Message-ID"].strip("<>"))
        tmp = self.folder / f".{name}.tmp"
        tmp.write_bytes(message.as_bytes())
        os.replace(tmp, self.folder / f"{name}.eml")


class SmtpTransport:
    """SMTP with STARTTLS when offered (smtp://) or TLS from the start (smtps://)."""

    def __init__(self, url: str, timeout: float = 30):
        parts = urlsplit(url)
        self.tls = parts.scheme == "smtps"
        self.host = parts.hostname or "localhost"
        self.port = parts.port or (465 if self.tls else 25)
        self.user = unquote(parts.username or "")
        self.password = unquote(parts.password or "")
        self.cafile = (parse_qs(parts.query).get("cafile") or [None])[0]
        self.timeout = timeout

    def _context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.cafile)

    def send(self, message: EmailMessage, sender: str, recipients: list[str]) -> None:
        """Deliver one message; DeliveryError(temporary=…) when the server or network refuses."""
        try:
            if self.tls:
                client = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout,
                                          context=self._context())
            else:
                client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            with client:
                client.ehlo()
                if not self.tls and client.has_extn("starttls"):
                    client.starttls(context=self._context())
                    client.ehlo()
                if self.user:
                    client.login(self.user, self.password)
                refused = client.send_message(message, from_addr=sender, to_addrs=recipients)
            if refused:
                codes = [code for code, _text in refused.values()]
                raise DeliveryError(f"refused: {refused}", temporary=all(400 <= c < 500 for c in codes))
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _text in error.recipients.values()]
            raise DeliveryError(f"recipients refused: {error.recipients}",
                                temporary=all(400 <= c < 500 for c in codes)) from error
        except smtplib.SMTPResponseException as error:
            raise DeliveryError(f"{error.smtp_code} {error.smtp_error!r}",
                                temporary=400 <= error.smtp_code < 500) from error
        except (smtplib.SMTPException, OSError, socket.timeout) as error:
            raise DeliveryError(f"{type(error).__name__}: {error}", temporary=True) from error


def open_transport(url: str):
    """The transport for a SOPORTE_SMTP_URL; ValueError for an unknown scheme."""
    scheme = urlsplit(url).scheme.lower()
    if scheme == "file":
        parts = urlsplit(url)
        return FileTransport(unquote(parts.netloc + parts.path))
    if scheme in ("smtp", "smtps"):
        return SmtpTransport(url)
    raise ValueError(f"unknown SOPORTE_SMTP_URL scheme {scheme!r}: use smtp, smtps or file")
