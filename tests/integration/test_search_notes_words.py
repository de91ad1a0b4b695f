"""A text search finds a ticket by the words of any of its notes (issue 15: a million tickets).

On PostgreSQL the notes' words are kept on their ticket (ticket.notes_vector, migration
5c6d7e8f90a1) by triggers, so a search is a condition on the ticket row; a phrase, which needs
the words' positions, and a ticket whose notes hold too many words to keep
(notes_vector_full) are still matched note by note. These tests hold the search to what it finds
whichever way it goes, and the triggers to every change a note can have."""
import random
import string

import pytest
from sqlalchemy import text

from app.extensions import db
from app.services import notes, ticket_list, ticket_search
from app.services.ticket_list import TicketFilters
from tests import factories
from tests.conftest import on_backends

BEFORE = "4b5c6d7e8f90"
NOTES_VECTOR_MAX_BYTES = 512 * 1024  # the migration's


def _found(world, words: str) -> list[str]:
    page = ticket_list.list_tickets(world.agent, TicketFilters(q=words, archived=True))
    return sorted(ticket.number for ticket in page.items)


def _notes_words(ticket_id: int) -> tuple[str | None, bool]:
    row = db.session.execute(text("SELECT notes_vector::text, notes_vector_full FROM ticket "
                                  "WHERE id = :id"), {"id": ticket_id}).one()
    return row[0], row[1]


def test_a_word_of_any_note_finds_its_ticket_and_no_other(world):
    printer = factories.new_ticket(world, subject="Otra cosa")
    notes.add_internal_note(world.agent, printer, "Primera revisión hecha")
    notes.add_internal_note(world.agent, printer, "El escáner no enciende")
    notes.reply_publicly(world.agent, printer, "Le enviamos un técnico mañana")
    other = factories.new_ticket(world, subject="Correo lento")
    notes.add_internal_note(world.agent, other, "Revisado el servidor de correo")
    db.session.commit()

    assert _found(world, "escáner") == [printer.number]
    assert _found(world, "técnico") == [printer.number]
    assert _found(world, "escáner enciende") == [printer.number]  # both words
    assert _found(world, "revisión correo") == []  # each word in another ticket
    assert _found(world, "correo") == [other.number]  # its subject and its note
    assert _found(world, "servidor") == sorted([printer.number, other.number])  # a description


@on_backends("postgresql")
def test_a_new_note_adds_its_words_to_its_ticket_and_the_others_keep_theirs(world):
    first, second = factories.new_ticket(world), factories.new_ticket(world)
    assert _notes_words(first.id) == (None, False)
    notes.add_internal_note(world.agent, first, "Impresoras atascadas")
    notes.add_internal_note(world.agent, first, "Cambiado el tóner")
    db.session.commit()

    vector, full = _notes_words(first.id)
    assert vector == "'atasc' 'cambi' 'impresor' 'ton'" and full is False  # no positions
    assert _notes_words(second.id) == (None, False)


@on_backends("postgresql")
def test_a_changed_moved_or_deleted_note_changes_its_tickets_words(world):
    first, second = factories.new_ticket(world), factories.new_ticket(world)
    note = notes.add_internal_note(world.agent, first, "Router averiado")
    notes.add_internal_note(world.agent, first, "Llamado el proveedor")
    db.session.commit()
    assert _found(world, "router") == [first.number]

    db.session.execute(text("UPDATE note SET body_text = 'Módem averiado' WHERE id = :id"),
                       {"id": note.id})
    assert _found(world, "router") == []
    assert _found(world, "módem") == [first.number]

    db.session.execute(text("UPDATE note SET ticket_id = :to WHERE id = :id"),
                       {"to": second.id, "id": note.id})
    assert _found(world, "módem") == [second.number]
    assert _found(world, "proveedor") == [first.number]

    db.session.execute(text("DELETE FROM note WHERE id = :id"), {"id": note.id})
    assert _found(world, "módem") == []
    assert _notes_words(second.id) == ("", False)
    assert _found(world, "proveedor") == [first.number]


@on_backends("postgresql")
def test_a_phrase_matches_words_side_by_side_in_one_note(world):
    together = factories.new_ticket(world, subject="Uno")
    notes.add_internal_note(world.agent, together, "La impresora rota otra vez")
    apart = factories.new_ticket(world, subject="Dos")
    notes.add_internal_note(world.agent, apart, "Rota la bandeja de la impresora")
    wifi = factories.new_ticket(world, subject="Tres")
    notes.add_internal_note(world.agent, wifi, "Sin wi-fi en la sala")
    db.session.commit()

    assert _found(world, '"impresora rota"') == [together.number]
    assert _found(world, "impresora rota") == sorted([together.number, apart.number])
    assert _found(world, "wi-fi") == [wifi.number]  # PostgreSQL reads it as a phrase
    assert _found(world, '"sala wi-fi"') == []


def _many_words(count: int) -> str:
    rng = random.Random(15)
    return " ".join("x" + "".join(rng.choices(string.ascii_lowercase, k=10))
                    for _ in range(count))


@on_backends("postgresql")
def test_a_ticket_whose_notes_hold_too_many_words_is_still_searched_note_by_note(world):
    ticket = factories.new_ticket(world, subject="Registro enorme")
    notes.add_internal_note(world.agent, ticket, "Primer aviso del cortafuegos")
    db.session.commit()
    # a log pasted into a note: more distinct words than a ticket keeps (about 14 bytes each)
    db.session.execute(text(
        "INSERT INTO note (ticket_id, kind, body_text, created_at) "
        "VALUES (:ticket, 'INTERNAL', :body, CURRENT_TIMESTAMP)"),
        {"ticket": ticket.id, "body": _many_words(NOTES_VECTOR_MAX_BYTES // 14 + 2000)})
    assert _notes_words(ticket.id) == (None, True)
    notes.add_internal_note(world.agent, ticket, "Reiniciado el cortafuegos ayer")
    other = factories.new_ticket(world, subject="Cortafuegos nuevo")
    db.session.commit()

    assert _notes_words(ticket.id) == (None, True)  # it stays full
    assert _found(world, "aviso") == [ticket.number]  # a note before it was full
    assert _found(world, "reiniciado") == [ticket.number]  # one after
    assert _found(world, "cortafuegos") == sorted([ticket.number, other.number])
    counts = ticket_list.status_counts(world.agent, TicketFilters(q="cortafuegos"))
    assert sum(counts.values()) == 2


@on_backends("postgresql")
def test_the_migration_gathers_the_words_of_the_notes_already_written(scratch_url, tmp_path):
    from flask_migrate import downgrade, upgrade

    from tests.conftest import make_test_app

    app = make_test_app(scratch_url, tmp_path)
    with app.app_context():
        upgrade(revision=BEFORE)
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO client (id, name, active, notes, created_at) "
                              "VALUES (1, 'Acme', true, '', CURRENT_TIMESTAMP)"))
            for number in (1, 2):
                conn.execute(text(
                    "INSERT INTO ticket (id, sequence, number, client_id, subject, description, "
                    "urgency, status, payment_status, total_minutes, source, created_at, "
                    "updated_at, lock_version) VALUES (:n, :n, :number, 1, 'Asunto', '', "
                    "'MEDIUM', 'NEW', 'UNPAID', 0, 'WEB', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, "
                    "1)"), {"n": number, "number": f"TCK-00000{number}"})
            for body in ("Pantalla parpadea", "Cable del monitor cambiado"):
                conn.execute(text("INSERT INTO note (ticket_id, kind, body_text, created_at) "
                                  "VALUES (1, 'INTERNAL', :body, CURRENT_TIMESTAMP)"),
                             {"body": body})
        upgrade()
        with db.engine.begin() as conn:
            words = dict(conn.execute(text(
                "SELECT id, notes_vector::text FROM ticket ORDER BY id")).all())
            assert words == {1: "'cabl' 'cambi' 'monitor' 'pantall' 'parpade'", 2: None}
            conn.execute(text("INSERT INTO note (ticket_id, kind, body_text, created_at) "
                              "VALUES (2, 'INTERNAL', 'Teclado', CURRENT_TIMESTAMP)"))
            assert conn.execute(text("SELECT notes_vector::text FROM ticket WHERE id = 2")
                                ).scalar() == "'tecl'"
        downgrade(revision=BEFORE)
        with db.engine.begin() as conn:
            columns = conn.execute(text(
                "SELECT column_name FROM information_schema.columns WHERE table_name = 'ticket' "
                "AND column_name LIKE 'notes_vector%'")).scalars().all()
            assert columns == []
            conn.execute(text("INSERT INTO note (ticket_id, kind, body_text, created_at) "
                              "VALUES (2, 'INTERNAL', 'Ratón', CURRENT_TIMESTAMP)"))
        upgrade()  # again: nothing of the first upgrade was left behind to stop it
        with db.engine.begin() as conn:
            assert conn.execute(text("SELECT notes_vector::text FROM ticket WHERE id = 2")
                                ).scalar() == "'raton' 'tecl'"
        db.engine.dispose()


@pytest.mark.parametrize("words", ["parpadea", '"cable del monitor"'])
def test_the_search_with_or_without_a_phrase_counts_the_same_tickets_as_it_lists(world, words):
    shown = factories.new_ticket(world, subject="Monitor")
    notes.add_internal_note(world.agent, shown, "La pantalla parpadea; cable del monitor flojo")
    factories.new_ticket(world, subject="Otro")
    db.session.commit()

    page = ticket_list.list_tickets(world.agent, TicketFilters(q=words))
    assert [ticket.number for ticket in page.items] == [shown.number]
    assert page.total == 1 and sum(page.counts.values()) == 1


def _four_full_disks(world) -> list:
    """Four tickets whose note says "disco", and one that does not (not committed)."""
    matching = []
    for n in range(4):
        ticket = factories.new_ticket(world, subject=f"Caso {n}")
        notes.add_internal_note(world.agent, ticket, "Disco lleno otra vez")
        matching.append(ticket)
    factories.new_ticket(world, subject="Sin relación")
    return matching


@pytest.mark.parametrize("sort", ["-created", "number", "-updated"])
def test_a_searched_page_keeps_the_sort_whether_its_matches_are_counted_or_not(
        world, monkeypatch, sort):
    matching = _four_full_disks(world)
    db.session.commit()
    column = {"-created": "id", "number": "sequence", "-updated": "updated_at"}[sort]
    expected = [t.number for t in sorted(matching, key=lambda t: (getattr(t, column), t.id),
                                         reverse=sort.startswith("-"))]

    page = ticket_list.list_tickets(world.agent, TicketFilters(q="disco", sort=sort))
    assert [t.number for t in page.items] == expected
    assert page.total == 4 and sum(page.counts.values()) == 4

    monkeypatch.setattr(ticket_list, "COUNT_CAP", 3)
    page = ticket_list.list_tickets(world.agent, TicketFilters(q="disco", sort=sort,
                                                               per_page=2, page=2))
    assert [t.number for t in page.items] == expected[2:]
    assert page.total == 4  # the cap + 1: "more than 3"
    if db.engine.dialect.name == "postgresql":
        assert page.counts is None  # a search on the ticket's row: not counted per status
    else:
        assert sum(page.counts.values()) == 4


@pytest.mark.parametrize("words, found", [(".", True), ('"', False)])
def test_a_search_without_words_finds_the_clients_whose_name_has_it(world, words, found):
    acme = [factories.new_ticket(world, subject=f"Caso {n}") for n in range(2)]
    factories.new_ticket(world, client_id=world.other_client.id,
                         contact_id=world.other_contact.id)
    db.session.commit()

    page = ticket_list.list_tickets(world.agent, TicketFilters(q=words))
    expected = sorted(t.number for t in acme) if found else []
    assert sorted(t.number for t in page.items) == expected
    assert page.total == len(expected) and sum(page.counts.values()) == len(expected)


@pytest.mark.parametrize("words", ["_", "%", "a_m", "\\"])
def test_a_wildcard_in_the_search_is_a_character_of_the_clients_name(world, words):
    factories.new_ticket(world)  # the world's clients: "Acme S.A." and "Otra Empresa"
    db.session.commit()

    page = ticket_list.list_tickets(world.agent, TicketFilters(q=words))
    assert page.items == [] and page.total == 0


def test_a_search_with_every_kind_of_filter_value_lists_its_match(world):
    """The search's plan is estimated with the filters' values bound as the list binds them
    (dates, enums, ids)."""
    import datetime as dt

    from app.models.enums import TicketStatus, Urgency

    ticket = factories.new_ticket(world, subject="Disco lleno")
    db.session.commit()
    today = dt.date.today()
    filters = TicketFilters(q="disco", date_from=today - dt.timedelta(days=1),
                            date_to=today + dt.timedelta(days=1), urgency=Urgency.MEDIUM,
                            statuses=[TicketStatus.NEW], client_id=world.client.id)
    page = ticket_list.list_tickets(world.agent, filters)
    assert [t.number for t in page.items] == [ticket.number]


@on_backends("postgresql")
@pytest.mark.parametrize("sort", ["-created", "status"])
@pytest.mark.parametrize("walks", [True, False])
def test_a_search_walked_or_gathered_lists_and_counts_the_same_tickets(world, monkeypatch, walks,
                                                                      sort):
    """Whichever way ticket_search.SearchPlan chooses (the count and, past the cap, the page of
    a sort whose index gives the list's order), the same tickets in the same order, a ticket
    whose notes' words are not kept included; the walk's planner setting ends with it."""
    matching = _four_full_disks(world)
    full = factories.new_ticket(world, subject="Registro enorme")
    notes.add_internal_note(world.agent, full, "El disco del servidor")
    db.session.commit()
    db.session.execute(text("UPDATE ticket SET notes_vector = NULL, notes_vector_full = true "
                            "WHERE id = :id"), {"id": full.id})
    # all NEW: by status, the tie-break (the id, newest first) orders them as by creation
    expected = [t.number for t in sorted([*matching, full], key=lambda t: t.id, reverse=True)]
    asked = []
    monkeypatch.setattr(ticket_search.SearchPlan, "walks",
                        lambda self, wanted: asked.append(wanted) or walks)
    monkeypatch.setattr(ticket_list, "COUNT_CAP", 3)

    first = ticket_list.list_tickets(world.agent, TicketFilters(q="disco", per_page=2,
                                                                sort=sort))
    second = ticket_list.list_tickets(world.agent, TicketFilters(q="disco", per_page=2, page=2,
                                                                 sort=sort))

    assert [t.number for t in first.items + second.items] == expected[:4]
    assert first.total == second.total == 4  # the cap + 1: "more than 3"
    # the count's cap + 1, then each page's last position where the sort's index gives the
    # list's order; a status is shared: its page is never walked, but drawn from each of the six
    # open statuses' newest matches when walking them to the page would cost less than
    # gathering (ticket_list._from_groups), so it asks for six times the page's last position
    assert asked == ([4, 2, 4, 4] if sort == "-created" else [4, 12, 4, 24])
    assert db.session.scalar(text("SHOW enable_bitmapscan")) == "on"


@on_backends("postgresql")
def test_a_walk_puts_the_planner_back_after_it_also_when_its_block_raises(world):
    def bitmap_scans() -> str:
        return db.session.scalar(text("SHOW enable_bitmapscan"))

    with ticket_search.walking():
        assert bitmap_scans() == "off"
    assert bitmap_scans() == "on"
    with pytest.raises(ZeroDivisionError), ticket_search.walking():
        assert bitmap_scans() == "off"
        _ = 1 / 0  # not the database's: the transaction goes on
    assert bitmap_scans() == "on"
