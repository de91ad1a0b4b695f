"""One webhook POST (the standard library's http.client): to the address the guard vetted,
never to a fresh lookup of the name; redirects are answers, not followed; the whole exchange
(connect, TLS, request, status line, headers, the body's start) has one deadline, so an endpoint
that trickles its answer a byte at a time is cut when it is reached, and at most READ_MAX bytes
of the answer are read; only the start of the body is kept."""
from __future__ import annotations

import http.client
import io
import re
import socket
import ssl
import time
from dataclasses import dataclass

from app.services.webhooks.addresses import IPAddress, Target

EXCERPT_BYTES = 1024
READ_MAX = 64 * 1024  # the status line, headers and body start an endpoint may send us
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


class _TooLong(Exception):
    """The answer's start ran past READ_MAX bytes."""


class _DeadlineReader(io.RawIOBase):
    """The socket's bytes, each read waiting only for what is left of the deadline and all of
    them together at most READ_MAX: http.client's timeout is per read, which a trickling
    endpoint would stretch without end."""

    def __init__(self, sock: socket.socket, deadline: float):
        super().__init__()
        self._sock, self._deadline, self._left = sock, deadline, READ_MAX
        self._raw = sock.makefile("rb", buffering=0)  # keeps the socket open until closed

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int | None:
        if self._left <= 0:
            raise _TooLong()
        self._sock.settimeout(_remaining(self._deadline))
        with memoryview(buffer) as view:
            count = self._raw.readinto(view[:min(len(view), self._left)])
        self._left -= count or 0
        return count

    def close(self) -> None:
        self._raw.close()
        super().close()


class _DeadlineSocket:
    """What http.client's response reads from: the connection's socket, through a
    _DeadlineReader."""

    def __init__(self, sock: socket.socket, deadline: float):
        self._sock, self._deadline = sock, deadline

    def makefile(self, mode: str = "rb", *args, **kwargs):
        return io.BufferedReader(_DeadlineReader(self._sock, self._deadline))


class _PinnedConnection:
    """The shared part of both connections: a given address, whatever the host name now
    resolves to, and one deadline for every step."""

    def _pin(self, address: IPAddress, deadline: float) -> None:
        self._address, self._deadline = str(address), deadline
        self.response_class = lambda sock, *args, **kwargs: http.client.HTTPResponse(
            _DeadlineSocket(sock, deadline), *args, **kwargs)

    def _open(self) -> socket.socket:
        sock = socket.create_connection((self._address, self.port), _remaining(self._deadline))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock


class _PinnedHTTPConnection(_PinnedConnection, http.client.HTTPConnection):
    """An HTTP connection to a given address."""

    def __init__(self, host: str, port: int, address: IPAddress, deadline: float):
        super().__init__(host, port, timeout=_remaining(deadline))
        self._pin(address, deadline)

    def connect(self):
        self.sock = self._open()


class _PinnedHTTPSConnection(_PinnedConnection, http.client.HTTPSConnection):
    """An HTTPS connection to a given address; the certificate must name the URL's host."""

    def __init__(self, host: str, port: int, address: IPAddress, deadline: float):
        super().__init__(host, port, timeout=_remaining(deadline),
                         context=ssl.create_default_context())
        self._pin(address, deadline)

    def connect(self):
        sock = self._open()
        sock.settimeout(_remaining(self._deadline))  # bounds the whole handshake, not each read
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def post(target: Target, address: IPAddress, headers: dict[str, str], body: bytes,
         timeout: float) -> Answer:
    """POST the body to the target at this address, the whole exchange within `timeout`
    seconds; PostFailed when no (complete enough) answer came by then."""
    deadline = time.monotonic() + timeout
    kind = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    connection = None
    try:
        connection = kind(target.host, target.port, address, deadline)
        connection.request("POST", target.path, body=body, headers={
            "Content-Type": "application/json", "User-Agent": USER_AGENT, **headers})
        response = connection.getresponse()
        start = response.read(EXCERPT_BYTES)
        return Answer(response.status, excerpt(start))
    except _TooLong:
        raise PostFailed(f"the answer's start was longer than {READ_MAX} bytes") from None
    except (OSError, http.client.HTTPException, ValueError) as error:
        raise PostFailed(_describe(error)) from None
    finally:
        if connection is not None:
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


def _remaining(deadline: float) -> float:
    """Seconds left until the deadline; TimeoutError when none are."""
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError("the deadline passed")
    return left


def _describe(error: Exception) -> str:
    """A short English line for the delivery log."""
    if isinstance(error, socket.timeout) or isinstance(error, TimeoutError):
        return "timed out waiting for the endpoint"
    if isinstance(error, ssl.SSLError):
        return f"TLS failed: {error}"[:300]
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    return f"{type(error).__name__}: {error}"[:300]
