"""Graceful stop of the long-running workers (`flask mail send`, `flask webhooks send`,
`flask sla tick`): SIGTERM or SIGINT (Ctrl-C) asks the worker to stop; it finishes the message,
delivery or run in hand, starts no other and exits 0. Further signals change nothing (`make
run` and a terminal may each send one); SIGKILL ends it at once, and then the claim's lease
lets another worker send the item again."""
from __future__ import annotations

import logging
import signal
import threading

log = logging.getLogger(__name__)


def stop_on_signals(worker: str) -> threading.Event:
    """An event set by the first SIGTERM or SIGINT this process receives (main thread only);
    the worker's loop checks it between items and waits on it between passes."""
    stop = threading.Event()

    def request_stop(signum, _frame) -> None:
        if not stop.is_set():
            log.info("%s: %s received, stopping after the work in hand", worker,
                     signal.Signals(signum).name)
        stop.set()

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, request_stop)
    log.info("%s: running; SIGTERM or Ctrl-C stops it after the work in hand", worker)
    return stop
