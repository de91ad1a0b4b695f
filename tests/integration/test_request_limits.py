"""A request has a total size and a file count limit (from the configuration); a refusal states
the limit in the user's language and loses nothing typed that can be kept."""
from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Attachment, Language, Note, Ticket
from app.services import notes
from app.services.errors import ValidationFailed
from app.services.notes import Upload
from config import BASE_DIR
from tests import factories
from tests.factories import PASSWORD

MIB = 1024 * 1024


def _login(client, user):
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302


def _files(count: int, size: int = 10) -> list:
    return [(io.BytesIO(b"x" * size), f"f{i}.txt") for i in range(count)]


def _count(model) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


def _note(client, ticket, files, text="Lo que escribí"):
    return client.post(f"/operacion/ticket/{ticket.number}/note",
                       data={"text": text, "files": files}, content_type="multipart/form-data")


def test_a_body_over_the_limit_gets_a_413_that_states_the_limit_in_spanish(world, client, app):
    app.config["MAX_CONTENT_LENGTH"] = 1 * MIB
    ticket = factories.new_ticket(world)
    notes_before = _count(Note)
    _login(client, world.agent)
    refused = _note(client, ticket, _files(1, 2 * MIB))
    page = refused.get_data(as_text=True)
    assert refused.status_code == 413
    assert "el límite de 1 MB" in page and "Vuelva al formulario" in page
    assert _count(Note) == notes_before and _count(Attachment) == 0


def test_an_english_user_reads_the_limit_in_english(world, client, app):
    app.config["MAX_CONTENT_LENGTH"] = 3 * MIB
    world.agent.language = Language.EN
    db.session.commit()
    ticket = factories.new_ticket(world)
    _login(client, world.agent)
    refused = _note(client, ticket, _files(2, 2 * MIB))
    assert refused.status_code == 413
    assert "the limit of 3 MB" in refused.get_data(as_text=True)


def test_too_many_files_on_a_note_are_refused_naming_the_maximum_and_the_text_is_kept(
        world, client, app):
    app.config["SOPORTE_ATTACHMENT_MAX_COUNT"] = 3
    ticket = factories.new_ticket(world)
    notes_before = _count(Note)
    _login(client, world.agent)
    refused = _note(client, ticket, _files(4), text="Diagnóstico largo que no se pierde")
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "Adjunte como máximo 3 archivos a la vez" in page
    assert "Diagnóstico largo que no se pierde</textarea>" in page
    assert _count(Note) == notes_before and _count(Attachment) == 0
    accepted = _note(client, ticket, _files(3))
    assert accepted.status_code == 303 and _count(Attachment) == 3


def test_too_many_files_on_a_new_ticket_show_the_form_again_with_what_was_typed(
        world, client, app):
    app.config["SOPORTE_ATTACHMENT_MAX_COUNT"] = 2
    _login(client, world.agent)
    refused = client.post("/operacion/ticket/nuevo", data={
        "client_id": world.client.id, "description": "No imprime la oficina",
        "subject": "Impresora", "files": _files(3)}, content_type="multipart/form-data")
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "Adjunte como máximo 2 archivos a la vez" in page
    assert "No imprime la oficina" in page and 'value="Impresora"' in page
    assert _count(Ticket) == 0 and _count(Attachment) == 0


def test_the_file_count_is_a_rule_of_the_services_not_only_of_the_form(world, app):
    app.config["SOPORTE_ATTACHMENT_MAX_COUNT"] = 1
    ticket = factories.new_ticket(world)
    uploads = [Upload(f"{i}.txt", io.BytesIO(b"x"), "text/plain") for i in range(2)]
    with pytest.raises(ValidationFailed) as refused:
        notes.add_internal_note(world.agent, ticket, "dos archivos", uploads)
    assert refused.value.field == "attachments"
    db.session.rollback()


def test_more_parts_than_a_form_may_have_get_a_413_naming_the_file_maximum(world, client, app):
    app.config["MAX_FORM_PARTS"] = 10
    app.config["SOPORTE_ATTACHMENT_MAX_COUNT"] = 5
    ticket = factories.new_ticket(world)
    _login(client, world.agent)
    refused = _note(client, ticket, _files(30))
    page = refused.get_data(as_text=True)
    assert refused.status_code == 413 and "como máximo 5 archivos" in page
    assert _count(Attachment) == 0


def test_the_limits_come_from_the_environment():
    env = {**os.environ, "SOPORTE_REQUEST_MAX_BYTES": "12345", "SOPORTE_REQUEST_MAX_PARTS": "77",
           "SOPORTE_ATTACHMENT_MAX_COUNT": "4"}
    out = subprocess.run(
        [sys.executable, "-c", "from config import Config as C; "
         "print(C.MAX_CONTENT_LENGTH, C.MAX_FORM_PARTS, C.SOPORTE_ATTACHMENT_MAX_COUNT)"],
        cwd=BASE_DIR, env=env, capture_output=True, text=True, check=True).stdout.split()
    assert out == ["12345", "77", "4"]
