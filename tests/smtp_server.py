"""A real SMTP server on loopback for the tests (aiosmtpd), with faults on demand."""
from __future__ import annotations

from email import message_from_bytes, policy

from aiosmtpd.controller import Controller

from tests.dovecot import free_port


class RecordingHandler:
    """Keeps every accepted message; `mode` makes it refuse or vanish instead."""

    def __init__(self):
        self.messages = []
        self.mode = "ok"  # ok | tempfail | permfail | vanish
        self.attempts = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.attempts += 1
        if self.mode == "tempfail":
            return "451 4.3.0 Try again later"
        if self.mode == "permfail":
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.mode == "vanish":
            server.transport.close()  # the server goes away mid-send
            return "421 closing"
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted"


class SmtpServer:
    """Start and stop an aiosmtpd server on a free loopback port."""

    def __init__(self):
        self.handler = RecordingHandler()
        self.port = free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    @property
    def messages(self):
        return self.handler.messages

    def start(self) -> "SmtpServer":
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()
