"""The reports page (/informes) and its CSV downloads through Flask's test client: the numbers of
each report in its table, the filters carried by the CSV links, CSV files neutralised against
formulas, refusals (403 for an agent, 422 with a message for a value that does not fit)."""
import csv
import io
import json
import re

import pytest

from app.extensions import db
from tests import report_data
from tests.factories import PASSWORD

OCT_NOV = "from=2026-10-01&to=2026-11-30"
SECTIONS = ("tickets-por-semana", "tiempo-por-cliente", "tiempo-por-contrato",
            "tiempo-por-agente", "horas-cotizadas", "aprobaciones", "bolsas-de-horas")


def _sign_in(client, user):
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302


@pytest.fixture
def data(app, world, client):
    """The reports' known data, the supervisor signed in."""
    built = report_data.build(app, world)
    _sign_in(client, world.supervisor)
    return built


def _csv(client, report, query=OCT_NOV):
    response = client.get(f"/informes/{report}.csv?{query}")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment")
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def test_the_page_shows_every_report_with_its_chart_data_table_and_csv_link(data, client):
    page = client.get(f"/informes?{OCT_NOV}").get_data(as_text=True)
    for key in SECTIONS:
        assert f'id="{key}"' in page and f'data-chart="{key}-data"' in page
        assert f'href="/informes/{key}.csv?from=2026-10-01&amp;to=2026-11-30"' in page
    assert "Tiempo registrado por cliente" in page and "Descargar CSV" in page
    chart = json.loads(re.search(r'<script type="application/json" id="aprobaciones-data">(.*?)'
                                 r'</script>', page, re.S).group(1))
    assert chart["labels"] == ["2026-10", "2026-11"]
    assert [d["data"] for d in chart["datasets"]] == [[100.0, 75.0], [48.0, 30.0], [48.0, 42.0]]
    # the table beside it: the same numbers in Spanish
    table = page[page.index('id="aprobaciones"'):page.index('id="bolsas-de-horas"')]
    assert "75 %" in table and "30 h" in table and "42 h" in table


def test_the_page_uses_no_inline_script(data, client):
    page = client.get(f"/informes?{OCT_NOV}").get_data(as_text=True)
    for tag in re.findall(r"<script[^>]*>", page):
        assert "src=" in tag or 'type="application/json"' in tag, tag
    assert "/static/vendor/chart.umd.min.js" in page and "/static/reports.js" in page


def test_the_default_period_is_the_last_three_months(data, client):
    page = client.get("/informes").get_data(as_text=True)
    assert 'name="from" value="2026-09-01"' in page and 'name="to" value="2026-11-26"' in page


def test_a_time_report_as_csv(data, client):
    assert _csv(client, "tiempo-por-cliente") == [
        ["month", "client", "billable_hours", "non_billable_hours", "total_hours"],
        ["2026-10", "Acme S.A.", "2.50", "1.00", "3.50"],
        ["2026-10", "Otra Empresa", "0.00", "0.75", "0.75"],
        ["2026-11", "Acme S.A.", "2.50", "1.00", "3.50"]]


def test_every_report_downloads_with_the_page_numbers(data, client):
    weeks = _csv(client, "tickets-por-semana")
    assert weeks[0] == ["week", "first_day", "opened", "closed"] and len(weeks) == 11
    assert ["2026-W42", "2026-10-12", "1", "2"] in weeks
    assert _csv(client, "horas-cotizadas")[1:] == [
        ["Incidente", "2", "5.00", "4.50", "-0.50"], ["Sin tipo", "2", "3.50", "1.00", "-2.50"]]
    assert _csv(client, "aprobaciones")[1:] == [
        ["2026-10", "1", "1", "100.00", "48.00", "48.00"],
        ["2026-11", "4", "3", "75.00", "30.00", "42.00"]]
    assert _csv(client, "bolsas-de-horas")[3] == [
        "Otra Empresa", "Contrato ajeno", "Plazo del contrato", "5.00", "0.75", "4.25", "0.00",
        "15"]


def test_the_csv_keeps_the_filters(data, client, world):
    rows = _csv(client, "tiempo-por-agente", f"{OCT_NOV}&agent={world.agent2.id}")
    assert rows[1:] == [["2026-11", "Agente Dos", "2.50", "0.00", "2.50"]]
    page = client.get(f"/informes?{OCT_NOV}&agent={world.agent2.id}").get_data(as_text=True)
    assert ("/informes/tiempo-por-agente.csv?from=2026-10-01&amp;to=2026-11-30&amp;"
            f"agent={world.agent2.id}") in page


@pytest.mark.parametrize("name", ["=HYPERLINK(\"http://x\")", "+1", "-1", "@SUM(A1)",
                                  "\tTab", "\rCR"])
def test_csv_text_cells_cannot_become_formulas(data, client, world, name):
    world.other_client.name = name
    db.session.commit()
    rows = _csv(client, "tiempo-por-cliente")
    assert ["2026-10", "'" + name, "0.00", "0.75", "0.75"] in rows


def test_an_agent_may_not_see_reports(world, client):
    _sign_in(client, world.agent)
    assert client.get("/informes").status_code == 403
    assert client.get(f"/informes/tiempo-por-cliente.csv?{OCT_NOV}").status_code == 403
    assert client.get("/informes/tiempo-por-cliente.csv?from=bad").status_code == 403
    assert 'href="/informes"' not in client.get("/operacion/ticket").get_data(as_text=True)


def test_the_menu_links_the_reports_for_a_supervisor(data, client):
    assert 'href="/informes"' in client.get("/operacion/ticket").get_data(as_text=True)


@pytest.mark.parametrize("query, words", [
    ("from=2026-13-01", "Desde: escriba una fecha"),
    ("to=yesterday", "Hasta: escriba una fecha"),
    ("from=2026-11-30&to=2026-10-01", "termina antes de empezar"),
    ("from=2020-01-01&to=2026-11-30", "como máximo tres años"),
    ("client=abc", "Cliente: elija una de las opciones"),
    ("contract=99999999999", "Contrato: elija una de las opciones"),
    ("agent=999999", "Agente: elija una de las opciones"),
])
def test_a_value_that_does_not_fit_is_a_422_saying_what_to_send(data, client, query, words):
    page = client.get(f"/informes?{query}")
    assert page.status_code == 422
    assert words in page.get_data(as_text=True)
    assert 'id="report-filters"' in page.get_data(as_text=True)
    download = client.get(f"/informes/tiempo-por-cliente.csv?{query}")
    assert download.status_code == 422 and words in download.get_data(as_text=True)


def test_an_unknown_report_is_not_found(data, client):
    assert client.get(f"/informes/nada.csv?{OCT_NOV}").status_code == 404
