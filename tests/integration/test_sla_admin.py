"""Service levels in /admin (app/admin/sla.py): calendars and targets are saved through
app.services.sla, so its rules hold there: the hours' grammar, holidays seeded from the
`holidays` package, one target per urgency and contract; administrators only."""
import datetime as dt

from sqlalchemy import select

from app.extensions import db
from app.models import BusinessCalendar, SlaTarget
from app.models.enums import Urgency
from app.services.sla import calendars
from tests.factories import PASSWORD


def _login(client, user):
    client.post("/login", data={"email": user.email, "password": PASSWORD})


def _calendar(name: str) -> BusinessCalendar | None:
    db.session.expire_all()
    return db.session.scalars(select(BusinessCalendar).where(BusinessCalendar.name == name)).first()


def test_only_administrators_manage_service_levels(world, client):
    for role in ("agent", "supervisor"):
        _login(client, getattr(world, role))
        assert client.get("/admin/businesscalendar/").status_code == 403, role
        assert client.post("/admin/slatarget/new/", data={"urgency": "HIGH"}).status_code == 403
        client.post("/logout")
    _login(client, world.admin)
    assert client.get("/admin/businesscalendar/").status_code == 200
    assert client.get("/admin/slatarget/").status_code == 200


def test_a_calendar_is_saved_with_its_hours_holidays_and_a_seeded_year(world, client):
    _login(client, world.admin)
    created = client.post("/admin/businesscalendar/new/", data={
        "name": "Madrid", "time_zone": "Europe/Madrid", "active": "y",
        "business_hours": "mon-fri 08:00-15:00; sat 10:00-13:00",
        "holidays-0-day": "2026-05-15", "holidays-0-name": "San Isidro",
        "seed_country": "ES", "seed_subdivision": "MD", "seed_year": "2026"})
    assert created.status_code == 302, created.get_data(as_text=True)
    saved = _calendar("Madrid")
    assert calendars.format_business_hours(calendars.week_of(saved)) == \
        "mon-fri 08:00-15:00; sat 10:00-13:00"
    days = {holiday.day: holiday.name for holiday in saved.holidays}
    assert days[dt.date(2026, 5, 15)] == "San Isidro"  # typed by hand
    assert dt.date(2026, 5, 2) in days and dt.date(2026, 1, 6) in days  # seeded: Madrid, Spain
    page = client.get(f"/admin/businesscalendar/edit/?id={saved.id}").get_data(as_text=True)
    assert "mon-fri 08:00-15:00; sat 10:00-13:00" in page  # the hours shown as typed


def test_malformed_hours_or_an_unknown_region_come_back_with_the_error(world, client):
    _login(client, world.admin)
    bad_hours = client.post("/admin/businesscalendar/new/", data={
        "name": "Mal", "time_zone": "Europe/Madrid", "active": "y",
        "business_hours": "lunes 9-18"})
    assert bad_hours.status_code == 200
    assert _invalid(bad_hours, "business_hours", "lunes")  # said under the field
    assert _calendar("Mal") is None
    bad_region = client.post("/admin/businesscalendar/new/", data={
        "name": "Mal", "time_zone": "Europe/Madrid", "active": "y",
        "business_hours": "mon-fri 09:00-18:00", "seed_country": "XX", "seed_year": "2026"})
    assert bad_region.status_code == 200 and _invalid(bad_region, "seed_country", "XX")
    assert _calendar("Mal") is None  # the whole save is refused, calendar included
    bad_zone = client.post("/admin/businesscalendar/new/", data={
        "name": "Mal", "time_zone": "Europe/Atlantis", "active": "y",
        "business_hours": "mon-fri 09:00-18:00"})
    assert bad_zone.status_code == 200 and _calendar("Mal") is None
    assert _invalid(bad_zone, "time_zone", "IANA")


def _invalid(response, field: str, text: str) -> bool:
    """The page shows the field marked invalid, followed by a message containing the text."""
    page = response.get_data(as_text=True)
    marked = page.find(f'is-invalid" id="{field}"')
    message = page[marked:marked + 800].partition("<li>")[2].partition("</li>")[0]
    return marked >= 0 and text in message


def test_targets_are_saved_once_per_urgency_and_contract_and_deleted_back_to_the_default(
        world, client):
    _login(client, world.admin)
    first = client.post("/admin/slatarget/new/", data={
        "urgency": "HIGH", "contract": "__None", "first_response_minutes": "120",
        "next_response_minutes": "120", "resolution_minutes": "600"})
    assert first.status_code == 302, first.get_data(as_text=True)
    again = client.post("/admin/slatarget/new/", data={
        "urgency": "HIGH", "contract": "__None", "first_response_minutes": "60",
        "next_response_minutes": "60", "resolution_minutes": "600"})
    assert again.status_code == 200  # a second one for High is refused
    for_contract = client.post("/admin/slatarget/new/", data={
        "urgency": "HIGH", "contract": str(world.contract.id), "first_response_minutes": "30",
        "next_response_minutes": "30", "resolution_minutes": "240"})
    assert for_contract.status_code == 302
    zero = client.post("/admin/slatarget/new/", data={
        "urgency": "LOW", "contract": "__None", "first_response_minutes": "0",
        "next_response_minutes": "60", "resolution_minutes": "600"})
    assert zero.status_code == 200
    db.session.expire_all()
    rows = db.session.scalars(select(SlaTarget).order_by(SlaTarget.id)).all()
    assert [(r.urgency, r.contract_id, r.first_response_minutes) for r in rows] == [
        (Urgency.HIGH, None, 120), (Urgency.HIGH, world.contract.id, 30)]
    deleted = client.post("/admin/slatarget/delete/", data={"id": str(rows[0].id)})
    assert deleted.status_code == 302
    db.session.expire_all()
    assert db.session.scalars(select(SlaTarget.contract_id)).all() == [world.contract.id]
