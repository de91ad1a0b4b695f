"""The reports page (/informes) in headless Chromium at a desktop's and a phone's width: every
report's chart is drawn by the vendored Chart.js (a chart on each canvas, painted pixels, the
table's rows as its labels), under the app's CSP with no error; axe finds no serious or critical
WCAG 2 A/AA violation; the header with its "Informes" link stays one line; screenshots go to
test-artifacts/reports-desktop.png and reports-phone.png."""
import pytest

from app.extensions import db
from tests import report_data
from tests.e2e.accessibility import check_accessibility
from tests.e2e.browsing import DESKTOP, PHONE, shot, sign_in

SIZES = {"desktop": DESKTOP, "phone": PHONE}
REPORTS = 7
HEADER_MAX_HEIGHT = 64  # one line of navbar, as tests/e2e/test_every_page_browser.py

CHARTS = """() => Array.from(document.querySelectorAll('canvas[data-chart]')).map(canvas => {
  const chart = window.Chart ? window.Chart.getChart(canvas) : undefined;
  const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < pixels.length; i += 4) { if (pixels[i] > 0) painted++; }
  const table = canvas.closest('section').querySelector('table');
  return {
    id: canvas.dataset.chart, drawn: Boolean(chart), painted: painted, width: canvas.width,
    labels: chart ? chart.data.labels : [],
    rows: Array.from(table.querySelectorAll('tbody tr')).length,
  };
})"""


@pytest.mark.parametrize("size", SIZES)
def test_the_reports_draw_every_chart_pass_axe_and_are_photographed(
        live_server, browser, world, app, backend, size):
    report_data.build(app, world)
    supervisor = world.supervisor.email
    db.session.commit()  # no transaction held while the browser works (SQLite's lock)
    page = browser.new_context(locale="es-ES", viewport=SIZES[size]).new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    page.on("console", lambda message: problems.append(f"console: {message.text}")
            if message.type == "error" else None)
    sign_in(page, live_server, supervisor)
    page.goto(f"{live_server}/informes?from=2026-10-01&to=2026-11-30")
    page.wait_for_load_state("load")
    page.wait_for_function("n => document.querySelectorAll('canvas[data-chart]').length === n "
                           "&& window.Chart && Array.from(document.querySelectorAll("
                           "'canvas[data-chart]')).every(c => window.Chart.getChart(c))",
                           arg=REPORTS)

    charts = page.evaluate(CHARTS)
    assert len(charts) == REPORTS
    for chart in charts:
        assert chart["drawn"] and chart["painted"] > 0, chart
        assert chart["rows"] == len(chart["labels"]) > 0, chart
    approvals = next(c for c in charts if c["id"] == "aprobaciones-data")
    assert approvals["labels"] == ["2026-10", "2026-11"]
    check_accessibility(page, f"the reports at the {size} width")
    header = page.locator("nav.navbar").bounding_box()["height"]
    assert header < HEADER_MAX_HEIGHT, f"the header is {header:.0f} px high (not one line)"
    shot(page, f"reports-{size}")
    assert not problems, "\n".join(problems)


def test_the_menu_leads_a_supervisor_to_the_reports(live_server, page, world, app, backend):
    app.config["SOPORTE_FIXED_NOW"] = report_data.TODAY
    supervisor = world.supervisor.email
    db.session.commit()  # no transaction held while the browser works (SQLite's lock)
    sign_in(page, live_server, supervisor)
    page.click("#reports-link")
    page.wait_for_url("**/informes")
    assert page.locator("h1").inner_text() == "Informes"
    # no data in the default period: the weeks and months still show (zeros, drawn); the
    # other reports say there is nothing instead of drawing an empty chart
    assert page.locator("section.report").count() == REPORTS
    assert page.locator("section.report .no-rows").count() == REPORTS - 2
    page.wait_for_function("() => window.Chart && Array.from(document.querySelectorAll("
                           "'canvas[data-chart]')).every(c => window.Chart.getChart(c))")
    assert page.evaluate(CHARTS)[0]["labels"][-1] == "2026-W48"
    check_accessibility(page, "the reports without data")
