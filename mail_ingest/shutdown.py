"""Stopping the poller gracefully: on SIGTERM or SIGINT the message in hand is finished (its
outcome committed, its flag set on the server, the high-water mark moved), the poller stops
before the next message and `flask mail poll` exits 0.

A signal only sets a flag, which the poller reads between messages and between mailboxes; it
interrupts nothing but the wait between polls (IMAP IDLE or a sleep), where no message is in
hand. Signals are for the whole process, so the flag is one for the process (`STOP`).
"""
from __future__ import annotations

import contextlib
import logging
import signal

log = logging.getLogger(__name__)


class StopPolling(BaseException):
    """Ends the wait between polls once a stop was asked for (a BaseException, like
    KeyboardInterrupt, so that the poller's `except Exception` retry does not swallow it)."""


class StopRequest:
    """Whether a stop was asked for, and whether the poller is waiting (so may be interrupted)."""

    def __init__(self) -> None:
        self.requested = False
        self._waiting = False

    def ask(self, signum: int | None = None, _frame=None) -> None:
        """Ask the poller to stop (the signal handler): at once when it waits, else after the
        message in hand."""
        if not self.requested and signum is not None:
            log.info("%s: stopping after the message in hand", signal.Signals(signum).name)
        self.requested = True
        if self._waiting:
            self._waiting = False
            raise StopPolling

    @contextlib.contextmanager
    def waiting(self):
        """A block the stop may interrupt (the wait between polls): StopPolling out of it when a
        stop is asked for before or during it."""
        self._waiting = True  # before the check: a signal between the two still ends the wait
        try:
            if self.requested:
                raise StopPolling
            yield
        finally:
            self._waiting = False

    def reset(self) -> None:
        """Forget an earlier request (a new poller in the same process)."""
        self.requested = False
        self._waiting = False


STOP = StopRequest()


def install() -> None:
    """Let SIGTERM and SIGINT stop the poller gracefully (see the module doc)."""
    STOP.reset()
    signal.signal(signal.SIGTERM, STOP.ask)
    signal.signal(signal.SIGINT, STOP.ask)
