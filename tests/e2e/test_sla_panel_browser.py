"""The ticket page's "Service levels" panel in the browser (issue 14), at a fixed clock
(SOPORTE_FIXED_NOW): every state's badge (running, paused, met, breached) is coloured apart and
passes axe's contrast check with the rest of the page. Screenshot:
test-artifacts/sla-panel-desktop.png."""
import datetime as dt
from zoneinfo import ZoneInfo

from app.extensions import db
from app.models.enums import TicketStatus, Urgency
from app.services import notes, status_changes
from tests import factories
from tests.e2e.accessibility import check_accessibility
from tests.e2e.browsing import shot, sign_in

MADRID = ZoneInfo("Europe/Madrid")


def _at(app, day: int, hour: int, minute: int = 0) -> None:
    app.config["SOPORTE_FIXED_NOW"] = dt.datetime(2026, 11, day, hour, minute, tzinfo=MADRID)


def _states(page) -> dict[str, tuple[str, str]]:
    """Each clock's state and its badge's background colour."""
    shown = {}
    for line in page.locator("#ticket-service-levels dd").all():
        badge = line.locator(".sla-state")
        shown[line.get_attribute("id")] = (
            line.get_attribute("data-state"),
            badge.evaluate("e => getComputedStyle(e).backgroundColor"))
    return shown


def test_every_clock_state_is_coloured_apart_and_readable(app, live_server, browser, world):
    _at(app, 16, 10)
    late = factories.new_ticket(world, urgency=Urgency.CRITICAL)
    waiting = factories.new_ticket(world, contract_id=world.covering_contract.id)
    status_changes.change_status(world.agent, waiting, TicketStatus.IN_PROGRESS, "Empiezo")
    db.session.commit()
    _at(app, 16, 10, 30)
    notes.reply_publicly(world.agent, waiting, "Lo estamos mirando")
    db.session.commit()
    _at(app, 16, 11)
    status_changes.change_status(world.agent, waiting, TicketStatus.ON_HOLD, "Esperamos datos")
    db.session.commit()
    _at(app, 16, 12)
    running = factories.new_ticket(world)
    _at(app, 16, 13)
    numbers = late.number, waiting.number, running.number
    db.session.commit()  # no transaction held while the browser works
    page = browser.new_context(locale="es-ES", viewport={"width": 1366, "height": 900}).new_page()
    sign_in(page, live_server, world.agent.email)

    colours = {}
    for number in numbers:
        page.goto(f"{live_server}/operacion/ticket/{number}")
        for name, (state, colour) in _states(page).items():
            colours.setdefault(state, set()).add(colour)
        check_accessibility(page, f"ticket {number}")
    assert _states(page)["sla-first_response"][0] == "RUNNING"
    assert set(colours) == {"RUNNING", "PAUSED", "MET", "BREACHED"}
    assert all(len(found) == 1 for found in colours.values())  # one colour per state
    assert len({found.pop() for found in colours.values()}) == 4  # and each its own
    page.goto(f"{live_server}/operacion/ticket/{numbers[1]}")
    shot(page, "sla-panel-desktop")
