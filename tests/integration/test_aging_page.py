"""The aging page at /operacion/antiguedad (issue 14), read by a Spanish-speaking agent at the
fixed clock: the counts by age in business days and urgency linking to their tickets, the
tickets oldest first with the clock ticket_clocks computes, the filters in the URL (a value
that does not parse is flashed and left out, never a 500), and the link from the ticket
list's sidebar. The default calendar: Monday to Friday 09:00-18:00 in Europe/Madrid; Monday
16 November 2026 starts a week without holidays."""
import html
import re

from flask_babel import force_locale

from app.models.enums import Urgency
from app.services.sla.clocks import pressing_clock, ticket_clocks
from app.web.local_time import local_datetime
from tests import factories
from tests.factories import PASSWORD

URL = "/operacion/antiguedad"


def _login(client, user):
    assert client.post("/login", data={"email": user.email,
                                       "password": PASSWORD}).status_code == 302


def _page(client, query: str = "") -> str:
    response = client.get(URL + query)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _numbers(page: str) -> list[str]:
    """The ticket numbers of the table's rows, in order."""
    return re.findall(r'<tr class="aging-row" data-number="([^"]+)"', page)


def _cell(page: str, urgency: str, bucket: str) -> str:
    """The matrix cell of an urgency's row and a bucket's column, as HTML."""
    row = page.split(f'<tr data-urgency="{urgency}">', 1)[1].split("</tr>", 1)[0]
    return row.split(f'data-bucket="{bucket}">', 1)[1].split("</td>", 1)[0]


def _tickets(world, at):
    """Friday's High ticket of the world's client (1 business day on Monday) and Monday's
    Medium one of the other client (0)."""
    at(13, 17)
    friday = factories.new_ticket(world, urgency=Urgency.HIGH, subject="Correo caído")
    at(16, 9)
    monday = factories.new_ticket(world, client_id=world.other_client.id,
                                  contact_id=world.other_contact.id, subject="Impresora")
    at(16, 13)
    return friday, monday


def test_the_page_shows_the_counts_and_the_tickets_in_spanish_with_their_clocks(
        app, world, client, at):
    friday, monday = _tickets(world, at)
    _login(client, world.agent)
    page = _page(client)
    assert "<h1 class=\"h4\">Antigüedad de los tickets abiertos</h1>" in page
    assert "1 día hábil" in page and "2–3 días hábiles" in page
    assert _numbers(page) == [friday.number, monday.number]  # oldest first
    cell = _cell(page, "HIGH", "1")
    assert ">1</a>" in cell and html.escape("urgency=HIGH&bucket=1") in cell
    assert ">0<" in _cell(page, "HIGH", "0")
    row = page.split(f'data-number="{friday.number}"', 1)[1].split("</tr>", 1)[0]
    assert f'href="/operacion/ticket/{friday.number}"' in row
    assert '<td class="age text-end">1</td>' in row
    assert "nunca" in row  # neither the customer nor staff wrote since the opening
    name, clock = pressing_clock(ticket_clocks(friday))
    with app.test_request_context(), force_locale("es"):
        due = local_datetime(clock.due, "Europe/Madrid")
    assert f'datetime="{clock.due.isoformat()}" data-clock="{name}"' in row
    assert html.escape(due) in row  # in the reader's zone and language
    # High: 4 business hours from Friday 17:00, due Monday 12:00; read at 13:00
    assert "excedido en 1 h 0 min" in row.split('class="time-left"', 1)[1]


def test_a_cell_and_the_filters_narrow_the_tickets(world, client, at):
    friday, monday = _tickets(world, at)
    _login(client, world.agent)
    assert _numbers(_page(client, "?urgency=HIGH&bucket=1")) == [friday.number]
    assert _numbers(_page(client, "?bucket=0")) == [monday.number]
    only_other = _page(client, f"?client={world.other_client.id}")
    assert _numbers(only_other) == [monday.number]
    assert 'id="aging-grand-total"><a' in only_other and ">1</a></td>" in only_other
    assert f'<option value="{world.other_client.id}" selected>' in only_other


def test_a_bad_filter_value_is_flashed_and_left_out(world, client, at):
    friday, monday = _tickets(world, at)
    _login(client, world.agent)
    page = _page(client, "?client=abc&urgency=NOPE&bucket=9&page=x&assignee=99999999999")
    flashes = re.findall(r'<div class="flash error[^"]*"[^>]*>(.*?)</div>', page)
    assert len(flashes) == 5
    assert any(text.startswith("Antigüedad: elija uno de los intervalos") for text in flashes)
    assert any(text.startswith("Urgencia:") for text in flashes)
    assert _numbers(page) == [friday.number, monday.number]  # nothing was filtered


def test_the_ticket_list_links_to_the_page_and_it_needs_a_sign_in(world, client):
    assert client.get(URL).status_code == 302  # to the sign-in page
    _login(client, world.agent)
    listing = client.get("/operacion/ticket").get_data(as_text=True)
    assert (f'<a href="{URL}" id="aging-link">Antigüedad de los tickets abiertos</a>'
            in listing)
