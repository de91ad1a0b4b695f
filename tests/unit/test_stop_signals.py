"""The workers' stop flag (app.stop_signals): set by SIGTERM, it ends a wait at once, and its
handler takes no lock (a threading.Event's set, called by a handler while the main thread is
inside the event's wait, could wait for the event's lock forever)."""
import os
import signal
import threading
import time

import pytest

from app import stop_signals


@pytest.fixture
def handlers():
    saved = {signum: signal.getsignal(signum) for signum in (signal.SIGTERM, signal.SIGINT)}
    yield
    for signum, handler in saved.items():
        signal.signal(signum, handler)


def test_sigterm_ends_the_wait_at_once(handlers):
    stop = stop_signals.stop_on_signals("test")
    threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGTERM)).start()
    started = time.monotonic()
    assert stop.wait(30) is True
    assert time.monotonic() - started < 10  # not the 30 s: the flag ended it
    assert stop.is_set()


def test_a_wait_without_a_signal_lasts_its_time_and_says_so(handlers):
    stop = stop_signals.stop_on_signals("test")
    assert stop.wait(0.3) is False and not stop.is_set()


def test_the_handler_runs_inside_the_wait_without_blocking(handlers, monkeypatch):
    """The signal comes while the main thread is inside wait (here: in its sleep)."""
    stop = stop_signals.stop_on_signals("test")
    handler = signal.getsignal(signal.SIGTERM)
    real_sleep = time.sleep

    def sleep_then_signal(seconds):
        handler(signal.SIGTERM, None)  # as the interpreter would run it, in this thread
        real_sleep(seconds)

    monkeypatch.setattr(stop_signals.time, "sleep", sleep_then_signal)
    assert stop.wait(30) is True
