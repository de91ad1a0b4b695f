"""Graceful stop of the long-running workers (`flask mail send`, `flask webhooks send`,
`flask sla tick`): SIGTERM or SIGINT (Ctrl-C) asks the worker to stop; it finishes the message,
delivery or run in hand, starts no other and exits 0. Further signals change nothing (`make
run` and a terminal may each send one); SIGKILL ends it at once, and then the claim's lease
lets another worker send the item again."""
from __future__ import annotations

import logging
import signal
import time

log = logging.getLogger(__name__)

STEP_S = 0.2  # how often a wait looks at the flag


class StopFlag:
    """Set by the first SIGTERM or SIGINT; read between items and between passes.

    A plain attribute, not a threading.Event: the handler runs in the main thread between two
    of its instructions, possibly while that thread is inside Event.wait holding the event's
    lock, where Event.set would wait for that lock forever. A wait here sleeps in short steps
    and looks at the flag between them."""

    def __init__(self) -> None:
        self._set = False

    def set(self) -> None:
        self._set = True

    def is_set(self) -> bool:
        return self._set

    def wait(self, seconds: float) -> bool:
        """Sleep up to `seconds`, less once the flag is set; returns whether it is."""
        deadline = time.monotonic() + seconds
        while not self._set and (left := deadline - time.monotonic()) > 0:
            time.sleep(min(STEP_S, left))
        return self._set


def stop_on_signals(worker: str) -> StopFlag:
    """A flag set by the first SIGTERM or SIGINT this process receives (main thread only);
    the worker's loop checks it between items and waits on it between passes."""
    stop = StopFlag()

    def request_stop(signum, _frame) -> None:
        if not stop.is_set():
            log.info("%s: %s received, stopping after the work in hand", worker,
                     signal.Signals(signum).name)
        stop.set()

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, request_stop)
    log.info("%s: running; SIGTERM or Ctrl-C stops it after the work in hand", worker)
    return stop
