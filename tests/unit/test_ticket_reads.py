"""The read services every adapter shares (app/services/ticket_list.py, ticket_view.py,
attachment_downloads.py): their permission checks, not_found, the timeline's order and folding,
the filters' choices, "needs a new assignee", and date filters that mean local days across
Madrid's October 2026 daylight-saving change (25 October: 03:00 CEST becomes 02:00 CET)."""
import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest

from app.extensions import db
from app.models import Client, Role, TicketStatus, TicketType, User
from app.services import assignment, attachments, notes, status_changes, worklog
from app.services.attachment_downloads import attachment_for_download
from app.services.customer_mail import CustomerEmail, receive
from app.services.errors import NotFound, NotPermitted
from app.services.notes import Upload
from app.services.reassignment import AssigneeNeed
from app.services.ticket_list import TicketFilters, list_choices, list_tickets
from app.services.ticket_view import ticket_view
from tests import factories

UTC = dt.timezone.utc
MADRID = ZoneInfo("Europe/Madrid")
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
       b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N"
       b"\x00\x00\x00\x00IEND\xaeB`\x82")


def _numbers(page) -> set[str]:
    return {ticket.number for ticket in page.items}


def _file(ticket, name="plano.pdf"):
    stored = attachments.store_file(ticket, name, io.BytesIO(b"%PDF-1.4 plano"), "application/pdf")
    db.session.commit()
    return stored


# --- permissions and not_found ----------------------------------------------------------------

READS = {
    "list": lambda actor, ticket, file: list_tickets(actor, TicketFilters()),
    "choices": lambda actor, ticket, file: list_choices(actor),
    "ticket": lambda actor, ticket, file: ticket_view(actor, ticket.number),
    "download": lambda actor, ticket, file: attachment_for_download(actor, file.id),
}


@pytest.mark.parametrize("read", sorted(READS))
def test_every_read_refuses_an_inactive_user_and_no_one(world, read):
    ticket = factories.new_ticket(world)
    file = _file(ticket)
    for actor in (world.inactive, None):
        with pytest.raises(NotPermitted) as refused:
            READS[read](actor, ticket, file)
        assert refused.value.code == "not_permitted"


@pytest.mark.parametrize("read", sorted(READS))
def test_every_role_may_read(world, read):
    ticket = factories.new_ticket(world)
    file = _file(ticket)
    for role in ("viewer", "agent", "supervisor", "admin"):
        assert READS[read](getattr(world, role), ticket, file) is not None


def test_an_unknown_ticket_number_is_not_found(world):
    factories.new_ticket(world)
    with pytest.raises(NotFound) as missing:
        ticket_view(world.viewer, "TCK-999999")
    assert missing.value.code == "not_found" and "TCK-999999" in str(missing.value)


@pytest.mark.parametrize("attachment_id", [10**6, 0, -1, 2**31, 2**63])
def test_an_unknown_attachment_is_not_found(world, attachment_id):
    with pytest.raises(NotFound) as missing:
        attachment_for_download(world.agent, attachment_id)
    assert missing.value.code == "not_found"


def test_a_download_is_the_stored_file_and_only_a_real_image_is_shown_inline(world):
    ticket = factories.new_ticket(world)
    pdf = _file(ticket)
    fake = attachments.store_file(ticket, "foto.png", io.BytesIO(b"<script>x</script>"),
                                  "image/png")
    image = attachments.store_file(ticket, "foto.png", io.BytesIO(PNG), "text/plain")
    db.session.commit()
    download = attachment_for_download(world.viewer, pdf.id)
    assert download.attachment == pdf and download.path.read_bytes() == b"%PDF-1.4 plano"
    assert download.image_type is None
    assert attachment_for_download(world.viewer, fake.id).image_type is None  # declared only
    assert attachment_for_download(world.viewer, image.id).image_type == "image/png"


def test_a_file_asked_for_through_another_ticket_is_not_found(world):
    ticket, other = factories.new_ticket(world), factories.new_ticket(world)
    file = _file(ticket)
    assert attachment_for_download(world.viewer, file.id, ticket=ticket).attachment == file
    with pytest.raises(NotFound) as missing:
        attachment_for_download(world.viewer, file.id, ticket=other)
    assert missing.value.field == "attachment" and other.number in str(missing.value)


# --- the ticket with its timeline ---------------------------------------------------------------

def _at(hours: float) -> dt.datetime:
    return dt.datetime(2026, 5, 4, 9, 0, tzinfo=UTC) + dt.timedelta(hours=hours)


def test_the_timeline_is_oldest_first_whatever_the_order_things_were_saved(world):
    ticket = factories.ticket_in(world, TicketStatus.IN_PROGRESS)  # created, quoted, approved
    entry = worklog.log_time(world.agent, ticket, "1", "0", "Diagnóstico")
    note = notes.add_internal_note(world.agent, ticket, "Pedir repuesto")
    db.session.commit()
    # saved: history lines, quote, the notes of the moves, time, note;
    # happened: note, quote, history, the other notes, time
    note.created_at = _at(-48)
    ticket.quotes[0].created_at = _at(-24)
    for index, change in enumerate(ticket.changes):
        change.created_at = _at(index)
    others = [other for other in ticket.notes if other is not note]
    assert others  # the moves left notes of their own
    for index, other in enumerate(reversed(others)):
        other.created_at = _at(50 + index)
    entry.created_at = _at(100)
    db.session.commit()
    events = ticket_view(world.agent, ticket.number).timeline
    assert [event.at for event in events] == sorted(event.at for event in events)
    assert (events[0].kind, events[0].note) == ("note", note)
    assert (events[1].kind, events[1].quote) == ("quote", ticket.quotes[0])
    # the time entry and the quote version say these themselves
    shown = [change for change in ticket.changes if change.field not in ("time", "quote")]
    changes = len(shown)
    assert [event.change for event in events[2:2 + changes]] == shown
    assert [event.note for event in events[2 + changes:-1]] == list(reversed(others))
    assert (events[-1].kind, events[-1].entry) == ("time", entry)


def test_a_saved_quote_is_one_line_its_version_not_a_second_history_line(world):
    ticket = factories.ticket_in(world, TicketStatus.QUOTED)
    events = ticket_view(world.agent, ticket.number).timeline
    assert [event.quote for event in events if event.kind == "quote"] == ticket.quotes
    assert "quote" in {change.field for change in ticket.changes}  # still in the history
    assert not [event for event in events if event.kind == "change"
                and event.change.field == "quote"]


def test_a_customer_email_is_one_note_with_its_files_not_a_second_history_line(world):
    ticket = factories.new_ticket(world)
    email = CustomerEmail(
        subject="Re: Servidor caído", text="Adjunto captura", html='<p><img src="cid:img1"></p>',
        uploads=[Upload("informe.pdf", io.BytesIO(b"%PDF-1.4 informe"), "application/pdf"),
                 Upload("captura.png", io.BytesIO(PNG), "image/png", content_id="img1",
                        inline=True)])
    received = receive(world.contact, email, ticket)
    db.session.commit()
    assert any(change.field == "customer_email" for change in ticket.changes)
    view = ticket_view(world.agent, ticket.number)
    assert [event.change.field for event in view.timeline if event.kind == "change"] == ["created"]
    (shown,) = [event for event in view.timeline if event.kind == "note"]
    assert shown.note == received.note
    assert [a.filename for a in shown.attachments] == ["informe.pdf", "captura.png"]
    assert [a.filename for a in shown.files] == ["informe.pdf"]  # the image is in the body
    assert view.loose_files == []


def test_files_outside_any_note_are_the_loose_files(world):
    ticket = factories.new_ticket(world)
    loose = _file(ticket, "contrato.pdf")
    notes.add_internal_note(world.agent, ticket, "Con archivo",
                            [Upload("nota.txt", io.BytesIO(b"texto"), "text/plain")])
    db.session.commit()
    view = ticket_view(world.viewer, ticket.number)
    assert view.ticket == ticket and view.loose_files == [loose]


# --- the filters' choices -----------------------------------------------------------------------

def test_the_choices_are_sorted_by_name_with_inactive_users_last(world):
    db.session.add_all([Client(name="Zeta Ltd."), Client(name="Beta SL"),
                        TicketType(name="Consulta")])
    db.session.commit()
    choices = list_choices(world.viewer)
    assert [c.name for c in choices.clients] == ["Acme S.A.", "Beta SL", "Otra Empresa",
                                                 "Zeta Ltd."]
    assert [t.name for t in choices.types] == ["Consulta", "Incidente"]
    # a deactivated user's tickets can still be listed: they are offered after the active ones
    assert [(u.name, u.active) for u in choices.staff] == [
        ("Admin", True), ("Agente Dos", True), ("Agente Uno", True), ("Supervisor", True),
        ("Viewer", True), (world.inactive.name, False)]
    assert [c.name for c in choices.contracts] == ["Contrato ajeno", "Licencias",
                                                   "Soporte anual"]
    assert choices.statuses == list(TicketStatus) and len(choices.urgencies) == 4


# --- needs a new assignee -----------------------------------------------------------------------

def _assigned(world, user: User):
    ticket = factories.new_ticket(world)
    assignment.assign(world.supervisor, ticket, user.id)
    db.session.commit()
    return ticket


def test_open_tickets_without_someone_who_can_work_them_need_a_new_assignee(world):
    working = _assigned(world, world.agent)
    unassigned = factories.new_ticket(world)
    left = _assigned(world, world.agent2)
    demoted_user = factories.make_user(Role.AGENT, "demoted@soporte.example", "Degradado")
    demoted = _assigned(world, demoted_user)
    closed_unassigned = factories.ticket_in(world, TicketStatus.CLOSED)
    world.agent2.active = False
    demoted_user.role = Role.VIEWER
    db.session.commit()
    page = list_tickets(world.viewer, TicketFilters(needs_assignee=True, archived=True))
    assert _numbers(page) == {unassigned.number, left.number, demoted.number}
    assert page.total == 3 and page.counts == {TicketStatus.NEW: 3}
    # the marker says why each one is listed: never assigned, or assigned to someone who left
    assert page.assignee_needs == {unassigned.id: AssigneeNeed.UNASSIGNED,
                                   left.id: AssigneeNeed.REASSIGN,
                                   demoted.id: AssigneeNeed.REASSIGN}
    everything = list_tickets(world.viewer, TicketFilters(archived=True))
    assert _numbers(everything) >= {working.number, closed_unassigned.number}
    assert {i: n for i, n in everything.assignee_needs.items()
            if i in {t.id for t in (working, unassigned, left, demoted, closed_unassigned)}} \
        == page.assignee_needs
    assert ticket_view(world.viewer, unassigned.number).assignee_need is AssigneeNeed.UNASSIGNED
    assert ticket_view(world.viewer, working.number).assignee_need is None
    assert ticket_view(world.viewer, left.number).needs_new_assignee
    assert ticket_view(world.viewer, demoted.number).needs_new_assignee
    assert not ticket_view(world.viewer, working.number).needs_new_assignee
    assert not ticket_view(world.viewer, unassigned.number).needs_new_assignee


def test_a_closed_ticket_of_a_deactivated_user_needs_no_one(world):
    ticket = factories.ticket_in(world, TicketStatus.CLOSED)
    ticket.assignee_id = world.inactive.id
    db.session.commit()
    page = list_tickets(world.viewer, TicketFilters(needs_assignee=True, archived=True))
    assert page.items == [] and not ticket_view(world.viewer, ticket.number).needs_new_assignee


# --- date filters are local days ----------------------------------------------------------------

def _created(world, moment: dt.datetime):
    ticket = factories.new_ticket(world)
    ticket.created_at = moment
    db.session.commit()
    return ticket


def _on(day: str, zone=MADRID, until: str | None = None) -> TicketFilters:
    return TicketFilters(date_from=dt.date.fromisoformat(day),
                         date_to=dt.date.fromisoformat(until or day), zone=zone)


def test_date_filters_are_local_days_across_the_october_change(world):
    last_of_24th = _created(world, dt.datetime(2026, 10, 24, 21, 59, tzinfo=UTC))  # 23:59 CEST
    first_of_25th = _created(world, dt.datetime(2026, 10, 24, 22, 30, tzinfo=UTC))  # 00:30 CEST
    # the 25th has 25 hours: 23:30 CET is 22:30 UTC, midnight CET 23:00 UTC
    last_of_25th = _created(world, dt.datetime(2026, 10, 25, 22, 30, tzinfo=UTC))
    first_of_26th = _created(world, dt.datetime(2026, 10, 25, 23, 0, tzinfo=UTC))
    on = lambda *args: _numbers(list_tickets(world.agent, _on(*args)))  # noqa: E731
    assert on("2026-10-25") == {first_of_25th.number, last_of_25th.number}
    assert on("2026-10-24") == {last_of_24th.number}
    assert on("2026-10-26") == {first_of_26th.number}
    assert on("2026-10-24", MADRID, "2026-10-26") == {
        last_of_24th.number, first_of_25th.number, last_of_25th.number, first_of_26th.number}
    # the same moments in UTC days
    assert on("2026-10-24", UTC) == {last_of_24th.number, first_of_25th.number}


def test_date_filters_without_a_zone_use_the_companys(world, app):
    app.config["SOPORTE_TIMEZONE"] = "Europe/Madrid"
    ticket = _created(world, dt.datetime(2026, 10, 24, 22, 30, tzinfo=UTC))
    assert _numbers(list_tickets(world.agent, _on("2026-10-25", None))) == {ticket.number}
    assert list_tickets(world.agent, _on("2026-10-24", None)).items == []


def test_the_days_at_the_ends_of_the_calendar_are_before_and_after_every_ticket(world):
    ticket = _created(world, dt.datetime(2026, 10, 24, 22, 30, tzinfo=UTC))
    tokyo = ZoneInfo("Asia/Tokyo")
    first, last = dt.date.min, dt.date.max
    assert _numbers(list_tickets(world.agent, TicketFilters(date_from=first, date_to=last,
                                                            zone=tokyo))) == {ticket.number}
    assert list_tickets(world.agent, TicketFilters(date_from=last, zone=tokyo)).items == []
    assert list_tickets(world.agent, TicketFilters(date_to=first, zone=tokyo)).items == []


# --- a number search finds its ticket in any state --------------------------------------------

@pytest.mark.parametrize("query", ["TCK-000007", "000007", "7", "tck-7", " Tck-000007 "])
def test_a_number_search_finds_its_ticket_even_closed(world, query):
    for _ in range(6):
        factories.new_ticket(world, description="Otro asunto")
    seventh = factories.ticket_in(world, TicketStatus.CLOSED)
    assert seventh.number == "TCK-000007"
    page = list_tickets(world.agent, TicketFilters(q=query))
    assert _numbers(page) == {seventh.number} and page.total == 1
    # the other filters still apply
    assert list_tickets(world.agent, TicketFilters(q=query, client_id=world.other_client.id)) \
        .items == []
    assert list_tickets(world.agent, TicketFilters(q=query, statuses=[TicketStatus.NEW])) \
        .items == []
    assert _numbers(list_tickets(world.agent, TicketFilters(q=query, archived=True))) \
        == {seventh.number}


def test_a_number_search_shows_no_other_closed_ticket(world):
    closed = factories.ticket_in(world, TicketStatus.CLOSED)  # TCK-000001, closed
    mentioning = factories.new_ticket(world, description="Falla la impresora 1")
    closed_mentioning = factories.new_ticket(world, description="Falla el router 1")
    status_changes.close_ticket(world.agent, closed_mentioning, "Cerrado")
    db.session.commit()
    page = list_tickets(world.agent, TicketFilters(q="1"))
    assert _numbers(page) == {closed.number, mentioning.number} and page.total == 2
