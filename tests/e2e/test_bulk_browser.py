"""Bulk actions in the browser: a supervisor ticks two rows of the list, assigns both from the
toolbar and reads a result per ticket, then goes back to the list as it was. The toolbar and the
result page pass axe's WCAG 2 A/AA checks. Screenshot: test-artifacts/bulk-result.png."""
from sqlalchemy import select

from app.extensions import db
from app.models import OutboxMessage, Ticket
from tests import factories
from tests.e2e.accessibility import check_accessibility
from tests.e2e.browsing import shot, sign_in


def test_a_supervisor_assigns_two_tickets_from_the_list(live_server, page, world):
    first, second, untouched = (factories.new_ticket(world, subject=f"Equipo {n}")
                                for n in range(3))
    numbers = [first.number, second.number, untouched.number]
    supervisor, agent2, agent2_id = world.supervisor.email, world.agent2.name, world.agent2.id
    db.session.commit()  # no transaction held while the browser works (SQLite's lock)
    sign_in(page, live_server, supervisor)
    page.goto(f"{live_server}/operacion/ticket?sort=number")

    # the toolbar offers what a supervisor may do
    options = page.locator("#bulk-action option").evaluate_all("os => os.map(o => o.value)")
    assert options == ["", "assign", "status", "close"]
    check_accessibility(page, "the list with the bulk toolbar")
    shot(page, "bulk-toolbar")
    page.check(f"input[name=numbers][value='{numbers[0]}']")
    page.check(f"input[name=numbers][value='{numbers[1]}']")
    page.select_option("#bulk-action", "assign")
    assert page.is_visible("#bulk-assignee") and not page.is_visible("#bulk-note")
    page.select_option("#bulk-assignee", label=agent2)
    page.click("#bulk-submit")
    page.wait_for_selector("#bulk-results")

    done = page.locator("tr.bulk-done").evaluate_all("rows => rows.map(r => r.dataset.number)")
    assert done == numbers[:2]
    assert page.locator("tr.bulk-refused").count() == 0
    assert page.inner_text(f"tr[data-number='{numbers[0]}'] td:last-child") == \
        f"Asignado a {agent2}"
    check_accessibility(page, "the bulk result page")
    shot(page, "bulk-result")

    db.session.expire_all()
    assignees = {t.number: t.assignee_id for t in db.session.scalars(
        select(Ticket).where(Ticket.number.in_(numbers)))}
    assert assignees == {numbers[0]: agent2_id, numbers[1]: agent2_id, numbers[2]: None}
    mails = db.session.scalars(select(OutboxMessage.ticket_id).where(
        OutboxMessage.kind == "assignment")).all()
    assert len(mails) == 2
    db.session.commit()

    page.click("#bulk-back")
    page.wait_for_url("**/operacion/ticket?sort=number")
    assert page.is_visible("#bulk-form")
