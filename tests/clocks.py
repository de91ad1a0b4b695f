"""Moments of the service-level tests: November 2026 in Madrid (the company's zone), as the
`at` fixture of tests/conftest.py fixes the app's clock at one of them."""
import datetime as dt
from zoneinfo import ZoneInfo

MADRID = ZoneInfo("Europe/Madrid")


def madrid(day: int, hour: int, minute: int = 0, month: int = 11) -> dt.datetime:
    """A wall-clock moment of 2026 in Madrid, aware."""
    return dt.datetime(2026, month, day, hour, minute, tzinfo=MADRID)
