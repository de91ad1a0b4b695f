"""A ticket's files and timeline over the JSON API, with each role: upload (an internal note or
a reply mailed with the files), the list, the download with the dashboard's safety (an HTML or
SVG file is never shown inline, a file of another ticket is not served, a file whose bytes are
gone is a 404), the limits of count and size, the timeline in order; errors in JSON, Spanish by
default and English on request, never a 500."""
import io

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Attachment, Note, NoteKind, TicketStatus
from app.models.mail import OutboxMessage
from app.services import customer_mail, notes, worklog
from app.services.attachments import attachment_store
from app.services.customer_mail import CustomerEmail
from app.services.notes import Upload
from tests import factories
from tests.api_calls import API, ROLES, assert_error, bearer
from tests.browsers import browser
from tests.factories import PASSWORD

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
       b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N"
       b"\x00\x00\x00\x00IEND\xaeB`\x82")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">'
       b'<script>alert(2)</script></svg>')


@pytest.fixture
def client(app):
    """A client whose every request picks its language and user afresh, as on a server."""
    return browser(app)


@pytest.fixture
def tokens(world):
    """A whole-role token of each role's user."""
    return {role: bearer(getattr(world, role)) for role in ROLES}


def _upload(client, headers, number, files, **form):
    data = {**form, "file": [(io.BytesIO(content), name) for name, content in files]}
    return client.post(f"{API}/tickets/{number}/attachments", data=data, headers=headers,
                       content_type="multipart/form-data")


def _notes(ticket) -> list[Note]:
    db.session.rollback()
    return list(db.session.scalars(select(Note).where(Note.ticket_id == ticket.id)
                                   .order_by(Note.id)))


@pytest.mark.parametrize("role", ("agent", "supervisor", "admin"))
def test_staff_upload_a_file_as_a_note_and_download_the_same_bytes(world, tokens, client, role):
    ticket = factories.new_ticket(world)
    made = _upload(client, tokens[role], ticket.number, [("informe.pdf", PDF)],
                   text="El informe del técnico")
    assert made.status_code == 201, made.get_data(as_text=True)
    body = made.get_json()
    assert body["kind"] == "internal_note" and len(body["attachments"]) == 1
    assert made.headers["ETag"] == '"2"'
    [note] = _notes(ticket)
    assert note.id == body["note_id"] and note.kind is NoteKind.INTERNAL
    assert note.body_text == "El informe del técnico"
    assert note.author_user_id == getattr(world, role).id
    [attachment] = note.attachments
    listed = client.get(f"{API}/tickets/{ticket.number}/attachments", headers=tokens[role])
    assert listed.status_code == 200
    [item] = listed.get_json()["items"]
    assert item == body["attachments"][0]
    assert (item["id"], item["filename"], item["size"], item["note_id"]) == \
        (attachment.id, "informe.pdf", len(PDF), note.id)
    assert item["content_type"] == "application/pdf" and item["inline"] is False
    download = client.get(item["download_url"], headers=tokens[role])
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert "informe.pdf" in download.headers["Content-Disposition"]
    assert download.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("role", ROLES)
def test_every_role_reads_the_files_and_the_timeline(world, tokens, client, role):
    ticket = factories.new_ticket(world)
    notes.add_internal_note(world.agent, ticket, "con foto", [Upload("foto.png", io.BytesIO(PNG))])
    db.session.commit()
    [item] = client.get(f"{API}/tickets/{ticket.number}/attachments",
                        headers=tokens[role]).get_json()["items"]
    image = client.get(item["download_url"], headers=tokens[role])
    assert image.status_code == 200 and image.data == PNG
    assert image.mimetype == "image/png"  # a known image type (from its bytes) is shown inline
    assert image.headers["Content-Disposition"].startswith("inline")
    assert image.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    timeline = client.get(f"{API}/tickets/{ticket.number}/timeline", headers=tokens[role])
    assert timeline.status_code == 200
    assert [event["kind"] for event in timeline.get_json()["items"]] == ["change",
                                                                          "internal_note"]


def test_a_viewer_may_not_upload_in_spanish_by_default_and_english_on_request(world, tokens,
                                                                             client):
    ticket = factories.new_ticket(world)
    refused = assert_error(_upload(client, tokens["viewer"], ticket.number, [("a.txt", b"a")],
                                   text="no"), 403, "not_permitted")
    assert refused["message"].startswith("No tiene permiso")
    english = _upload(client, {**tokens["viewer"], "Accept-Language": "en"}, ticket.number,
                      [("a.txt", b"a")], text="no")
    assert assert_error(english, 403, "not_permitted")["message"].startswith(
        "You do not have permission")
    assert _notes(ticket) == [] and db.session.scalar(select(Attachment)) is None


def test_a_reply_with_a_file_mails_it_to_the_customer(world, tokens, client):
    ticket = factories.new_ticket(world)
    made = _upload(client, tokens["agent"], ticket.number, [("presupuesto.pdf", PDF)],
                   text="Le adjunto el presupuesto.", reply="true")
    assert made.status_code == 201, made.get_data(as_text=True)
    assert made.get_json()["kind"] == "public_reply"
    [note] = _notes(ticket)
    assert note.kind is NoteKind.PUBLIC_REPLY
    mail = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "public_reply"))
    assert mail.to_address == world.contact.email and mail.ticket_id == ticket.id
    assert mail.attachment_ids == [note.attachments[0].id]
    assert "Le adjunto el presupuesto." in mail.body_text


def test_a_reply_needs_text_and_a_note_without_text_names_its_files(world, tokens, client):
    ticket = factories.new_ticket(world)
    refused = assert_error(_upload(client, tokens["agent"], ticket.number, [("a.pdf", PDF)],
                                   reply="true"), 422, "validation_failed")
    assert refused["field"] == "text"
    assert db.session.scalar(select(OutboxMessage).where(
        OutboxMessage.kind == "public_reply")) is None
    spanish = _upload(client, tokens["agent"], ticket.number, [("a.pdf", PDF), ("b.png", PNG)])
    english = _upload(client, {**tokens["agent"], "Accept-Language": "en"}, ticket.number,
                      [("c.pdf", PDF)], text="   ")
    assert spanish.status_code == english.status_code == 201
    assert [note.body_text for note in _notes(ticket)] == ["Archivos adjuntos: a.pdf, b.png",
                                                           "Files attached: c.pdf"]


def test_hostile_file_names_are_cleaned_and_html_or_svg_is_never_inline(world, tokens, client):
    ticket = factories.new_ticket(world)
    hostile = [("../../etc/passwd", b"root:x:0:0"), ("page.html", HTML),
               ("dibujo.svg", SVG), ("factura\u202efdp.exe", b"MZ\x90\x00"),
               ("nul\x00\x07.png", HTML), ("\u200b\u2066.", b"empty name")]
    made = _upload(client, tokens["agent"], ticket.number, hostile, text="archivos raros")
    assert made.status_code == 201, made.get_data(as_text=True)
    names = [item["filename"] for item in made.get_json()["attachments"]]
    assert names == ["passwd", "page.html", "dibujo.svg", "facturafdp.exe", "nul.png",
                     "attachment"]
    for item in made.get_json()["attachments"]:
        download = client.get(item["download_url"], headers=tokens["agent"])
        assert download.status_code == 200
        assert download.headers["Content-Disposition"].startswith("attachment")
        assert download.mimetype == "application/octet-stream"
        assert download.headers["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in download.headers["Content-Security-Policy"]


def test_a_file_of_another_ticket_or_whose_bytes_are_gone_is_404_not_500(world, tokens, client):
    mine, other = factories.new_ticket(world), factories.new_ticket(world)
    notes.add_internal_note(world.agent, other, "ajeno", [Upload("ajeno.pdf", io.BytesIO(PDF))])
    notes.add_internal_note(world.agent, mine, "mío", [Upload("mio.txt", io.BytesIO(b"mio"))])
    db.session.commit()
    theirs = db.session.scalar(select(Attachment).where(Attachment.ticket_id == other.id))
    own = db.session.scalar(select(Attachment).where(Attachment.ticket_id == mine.id))
    for attachment_id in (theirs.id, 99999, 2**40):
        body = assert_error(client.get(f"{API}/tickets/{mine.number}/attachments/{attachment_id}",
                                       headers=tokens["agent"]), 404, "not_found")
        assert body["field"] == "attachment"
    assert_error(client.get(f"{API}/tickets/TCK-999999/attachments/{own.id}",
                            headers=tokens["agent"]), 404, "not_found")
    attachment_store().path_for(own.sha256).unlink()
    gone = assert_error(client.get(f"{API}/tickets/{mine.number}/attachments/{own.id}",
                                   headers=tokens["agent"]), 404, "not_found")
    assert "ya no" in gone["message"]
    assert client.post("/login", data={"email": world.agent.email,
                                       "password": PASSWORD}).status_code == 302
    assert client.get(f"/operacion/adjunto/{own.id}").status_code == 404  # the dashboard's too


def test_no_token_is_401_and_nothing_is_served(world, client):
    ticket = factories.new_ticket(world)
    notes.add_internal_note(world.agent, ticket, "x", [Upload("x.txt", io.BytesIO(b"x"))])
    db.session.commit()
    attachment = db.session.scalar(select(Attachment))
    for path in ("attachments", f"attachments/{attachment.id}", "timeline"):
        assert_error(client.get(f"{API}/tickets/{ticket.number}/{path}"), 401,
                     "not_authenticated")
    assert_error(_upload(client, {}, ticket.number, [("a.txt", b"a")], text="x"), 401,
                 "not_authenticated")


def test_too_many_files_or_too_large_ones_are_refused_and_nothing_is_kept(world, tokens, client,
                                                                           app):
    app.config["SOPORTE_ATTACHMENT_MAX_COUNT"] = 2
    app.config["SOPORTE_ATTACHMENT_MAX_BYTES"] = 1024 * 1024
    ticket = factories.new_ticket(world)
    many = assert_error(_upload(client, tokens["agent"], ticket.number,
                                [(f"f{i}.txt", b"x") for i in range(3)], text="muchos"),
                        422, "validation_failed")
    assert many["field"] == "attachments" and "2" in many["message"]
    large = assert_error(_upload(client, tokens["agent"], ticket.number,
                                 [("ok.txt", b"x"), ("grande.bin", b"x" * (1024 * 1024 + 1))],
                                 text="grande"), 422, "validation_failed")
    assert "grande.bin" in large["message"] and "1 MB" in large["message"]
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    whole = _upload(client, {**tokens["agent"], "Accept-Language": "en"}, ticket.number,
                    [("big.bin", b"x" * (128 * 1024))], text="demasiado")
    assert assert_error(whole, 413, "too_large")["message"].startswith("The request is larger")
    assert _notes(ticket) == [] and db.session.scalar(select(Attachment)) is None
    assert ticket.lock_version == 1


def test_an_upload_without_a_file_or_with_text_as_a_file_is_422(world, tokens, client):
    ticket = factories.new_ticket(world)
    for data in ({"text": "sin archivo"}, {"text": "x", "file": "no soy un archivo"}):
        body = assert_error(client.post(f"{API}/tickets/{ticket.number}/attachments", data=data,
                                        headers=tokens["agent"],
                                        content_type="multipart/form-data"),
                            422, "validation_failed")
        assert body["field"] == "file"
    as_json = client.post(f"{API}/tickets/{ticket.number}/attachments", json={"text": "x"},
                          headers=tokens["agent"])
    assert_error(as_json, 422, "validation_failed")
    empty_part = client.post(f"{API}/tickets/{ticket.number}/attachments",
                             data={"text": "x", "file": (io.BytesIO(b""), "")},
                             headers=tokens["agent"], content_type="multipart/form-data")
    assert assert_error(empty_part, 422, "validation_failed")["field"] == "file"
    assert _notes(ticket) == []


def test_if_match_is_optional_and_a_stale_one_is_412(world, tokens, client):
    ticket = factories.new_ticket(world)
    stale = _upload(client, {**tokens["agent"], "If-Match": '"7"'}, ticket.number,
                    [("a.txt", b"a")], text="tarde")
    assert_error(stale, 412, "precondition_failed")
    fresh = _upload(client, {**tokens["agent"], "If-Match": '"1"'}, ticket.number,
                    [("a.txt", b"a")], text="a tiempo")
    assert fresh.status_code == 201 and fresh.headers["ETag"] == '"2"'
    assert [note.body_text for note in _notes(ticket)] == ["a tiempo"]


def test_a_closed_ticket_takes_no_files(world, tokens, client):
    ticket = factories.ticket_in(world, TicketStatus.CLOSED)
    refused = _upload(client, tokens["agent"], ticket.number, [("a.txt", b"a")], text="x")
    assert_error(refused, 409, "ticket_closed")
    assert db.session.scalar(select(Attachment)) is None


def test_the_timeline_holds_everything_in_order_internal_notes_included(world, tokens, client):
    ticket = factories.ticket_in(world, TicketStatus.IN_PROGRESS)
    customer_mail.receive(world.contact, CustomerEmail(
        "Re: Servidor caído", "Sigue sin arrancar", None,
        [Upload("error.png", io.BytesIO(PNG), "image/png")]), ticket)
    db.session.commit()
    notes.add_internal_note(world.agent, ticket, "Revisé el disco",
                            [Upload("smart.txt", io.BytesIO(b"ok"))])
    db.session.commit()
    worklog.log_time(world.agent, ticket, 1, 30, "Cambio de disco")
    db.session.commit()
    notes.reply_publicly(world.agent, ticket, "Ya está arreglado")
    db.session.commit()
    answer = client.get(f"{API}/tickets/{ticket.number}/timeline", headers=tokens["viewer"])
    assert answer.status_code == 200
    items = answer.get_json()["items"]
    assert [item["at"] for item in items] == sorted(item["at"] for item in items)
    kinds = [item["kind"] for item in items]
    assert kinds[:3] == ["change", "quote", "change"]
    assert kinds[-4:] == ["customer_email", "internal_note", "time", "public_reply"]
    created, quote, quoted = items[:3]
    mail, note, time, reply = items[-4:]
    assert created["text"] == f"Creó el ticket {ticket.number}"
    assert created["who"] == {"user_id": world.agent.id, "contact_id": None,
                              "name": world.agent.name}
    assert quote["quote"]["version"] == 1 and quote["quote"]["price"] == "100.00"
    assert quote["text"] == "Presupuesto" and quote["quote"]["status"] == "APPROVED"
    assert quoted["change"] == {"field": "status", "old_value": "NEW", "new_value": "QUOTED"}
    assert quoted["text"] == "Estado: Nuevo → Cotizado"
    by_name = {a.filename: a.id for a in db.session.scalars(select(Attachment))}
    assert mail["text"] == "Sigue sin arrancar" and mail["note_kind"] == "CUSTOMER_EMAIL"
    assert mail["who"] == {"user_id": None, "contact_id": world.contact.id,
                           "name": world.contact.name}
    assert mail["attachment_ids"] == [by_name["error.png"]]
    assert note["text"] == "Revisé el disco" and note["note_kind"] == "INTERNAL"
    assert note["attachment_ids"] == [by_name["smart.txt"]]
    assert time["time"] == {"minutes": 90, "work_date": time["time"]["work_date"]}
    assert time["text"] == "Cambio de disco" and time["who"]["user_id"] == world.agent.id
    assert reply["text"] == "Ya está arreglado" and reply["who"]["user_id"] == world.agent.id
    english = client.get(f"{API}/tickets/{ticket.number}/timeline",
                         headers={**tokens["viewer"], "Accept-Language": "en"})
    assert [item["text"] for item in english.get_json()["items"][:3:2]] == [
        f"Created the ticket {ticket.number}", "Status: New → Quoted"]


def test_unknown_or_hostile_ticket_numbers_are_404_never_500(world, tokens, client):
    for number in ("TCK-999999", "x" * 300, "TCK%00", "%C3%B1"):
        for path in ("attachments", "timeline", "attachments/1"):
            answer = client.get(f"{API}/tickets/{number}/{path}", headers=tokens["agent"])
            assert_error(answer, 404, "not_found")
        assert_error(_upload(client, tokens["agent"], number, [("a.txt", b"a")], text="x"),
                     404, "not_found")


def test_the_document_describes_the_multipart_upload_and_the_answers(client):
    document = client.get(f"{API}/openapi.json").get_json()
    upload = document["paths"][f"{API}/tickets/{{number}}/attachments"]["post"]
    body = upload["requestBody"]["content"]["multipart/form-data"]["schema"]
    form = document["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]
    assert form["properties"]["file"]["items"]["format"] == "binary"
    assert set(form["properties"]) == {"file", "text", "reply"}
    assert {"201", "401", "403", "404", "409", "412", "413", "422"} <= set(upload["responses"])
    assert any(p["name"] == "If-Match" for p in upload["parameters"])
    timeline = document["paths"][f"{API}/tickets/{{number}}/timeline"]["get"]
    assert timeline["responses"]["200"]["content"]["application/json"]["schema"]["$ref"] \
        .endswith("/Timeline")
    download = document["paths"][f"{API}/tickets/{{number}}/attachments/{{attachment_id}}"]
    assert "application/octet-stream" in download["get"]["responses"]["200"]["content"]


def test_text_a_database_cannot_hold_is_kept_not_a_500(world, tokens, client):
    ticket = factories.new_ticket(world)
    made = _upload(client, tokens["agent"], ticket.number, [("a.txt", b"a")],
                   text="antes\x00después", reply="on")
    assert made.status_code == 201, made.get_data(as_text=True)
    assert _notes(ticket)[0].body_text == "antes\ufffddespués"
    not_a_flag = _upload(client, tokens["agent"], ticket.number, [("a.txt", b"a")], text="x",
                         reply="quizá")
    assert assert_error(not_a_flag, 422, "validation_failed")["field"] == "reply"
