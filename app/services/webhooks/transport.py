"""One webhook POST (the standard library's http.client): to the address the guard vetted,
never to a fresh lookup of the name; redirects are answers, not followed; every step of the
connection has a timeout; only the start of the answer's body is read and kept."""
from __future__ import annotations

import http.client
import re
import socket
import ssl
import time
from dataclasses import dataclass

from app.services.webhooks.addresses import IPAddress, Target

EXCERPT_BYTES = 1024
EXCERPT_CHARS = 300
USER_AGENT = "Soporte-Webhooks/1"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class Answer:
    """What the endpoint answered: its status code and the start of its body."""

    status: int
    excerpt: str


class PostFailed(Exception):
    """No answer: the connection, TLS or the wait for an answer failed (its message says how)."""


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """An HTTP connection to a given address, whatever the host name now resolves to."""

    def __init__(self, host: str, port: int, address: IPAddress, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self._address = str(address)

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """An HTTPS connection to a given address; the certificate must name the URL's host."""

    def __init__(self, host: str, port: int, address: IPAddress, timeout: float):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = str(address)

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def post(target: Target, address: IPAddress, headers: dict[str, str], body: bytes,
         timeout: float) -> Answer:
    """POST the body to the target at this address; PostFailed when no answer came."""
    kind = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    connection = kind(target.host, target.port, address, timeout)
    try:
        connection.request("POST", target.path, body=body, headers={
            "Content-Type": "application/json", "User-Agent": USER_AGENT, **headers})
        response = connection.getresponse()
        start = response.read(EXCERPT_BYTES)
        return Answer(response.status, excerpt(start))
    except (OSError, http.client.HTTPException, ValueError) as error:
        raise PostFailed(_describe(error)) from None
    finally:
        connection.close()


def timed_post(target: Target, address: IPAddress, headers: dict[str, str], body: bytes,
               timeout: float) -> tuple[Answer | None, str | None, int]:
    """post(), as (answer or None, error or None, milliseconds taken)."""
    started = time.monotonic()
    try:
        answer, error = post(target, address, headers, body, timeout), None
    except PostFailed as failure:
        answer, error = None, str(failure)
    return answer, error, int((time.monotonic() - started) * 1000)


def excerpt(raw: bytes) -> str:
    """The start of an answer's body as short, printable text."""
    text = _CONTROL.sub(" ", raw.decode("utf-8", errors="replace"))
    return " ".join(text.split())[:EXCERPT_CHARS]


def _describe(error: Exception) -> str:
    """A short English line for the delivery log."""
    if isinstance(error, socket.timeout) or isinstance(error, TimeoutError):
        return "timed out waiting for the endpoint"
    if isinstance(error, ssl.SSLError):
        return f"TLS failed: {error}"[:300]
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    return f"{type(error).__name__}: {error}"[:300]
