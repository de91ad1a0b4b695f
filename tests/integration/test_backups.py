"""`flask backup create` and `flask backup restore`: a backup restored into an empty instance
gives the same ticket export and byte-identical store files, on SQLite and PostgreSQL; a
restore refuses a target that is not empty, a tampered archive and the other database's backup,
changing nothing."""
from __future__ import annotations

import contextlib
import io
import json
import os
import stat
import tarfile
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import inspect, select
from sqlalchemy.engine import make_url

from app.backups import archive, databases
from app.extensions import db
from app.models import Ticket, User
from app.services import notes
from app.services.notes import Upload
from mail_ingest.ingest import ingest
from tests import factories
from tests import mail_corpus as corpus
from tests.conftest import BACKENDS, PG_SERVER_URL, _recreate_pg_database, make_test_app, \
    on_backends


def _cli(app, *args):
    """Run a flask command in this app (its own app context: the runner would otherwise use the
    context already pushed, the source's)."""
    with app.app_context():
        return app.test_cli_runner().invoke(args=list(args))


def _store_files(app) -> dict[str, bytes]:
    """Every file of the app's attachment and raw-mail stores, by store and relative path."""
    roots = {"attachments": Path(app.config["SOPORTE_ATTACHMENT_DIR"]),
             "raw_mail": Path(app.config["SOPORTE_MAIL_DIR"]) / "raw"}
    return {f"{name}/{relative}": (root / relative).read_bytes()
            for name, root in roots.items() for relative in archive.store_files(root)}


def _export(app) -> list[dict]:
    result = _cli(app, "tickets", "export")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def _tables(app) -> list[str]:
    with app.app_context():
        return inspect(db.engine).get_table_names()


@pytest.fixture
def filled(app, world):
    """The source instance: a ticket with a note and an attached file, and one received by
    email with an attachment (its raw source kept in the raw-mail store)."""
    ticket = factories.new_ticket(world)
    notes.add_internal_note(world.agent, ticket, "Adjunto el registro del servidor",
                            [Upload("registro.txt", io.BytesIO(b"linea 1\nlinea 2\n"),
                                    "text/plain")])
    db.session.commit()
    ingest("test", 0, "1", corpus.with_attachment(data=b"%PDF-1.4 informe de prueba"))
    db.session.commit()
    return app


@contextlib.contextmanager
def _empty_instance(dialect: str, folder: Path):
    """A new app on an empty database of the dialect (never migrated) and empty store
    folders; the database is dropped afterwards."""
    folder.mkdir()
    if dialect == "sqlite":
        url = f"sqlite:///{folder / 'restored.db'}"
    else:
        url = str(make_url(PG_SERVER_URL).set(database=f"soporte_restore_{os.getpid()}"))
        _recreate_pg_database(url)
    target = make_test_app(url, folder)
    try:
        yield target
    finally:
        with target.app_context():
            db.engine.dispose()
        if dialect == "postgresql":
            _recreate_pg_database(url, create=False)


@pytest.fixture
def empty(backend, tmp_path):
    """An empty instance of the test's backend to restore into."""
    with _empty_instance(backend, tmp_path / "target") as target:
        yield target


@pytest.fixture
def backup_file(filled, tmp_path) -> Path:
    """A backup of the filled instance, made by `flask backup create`."""
    path = tmp_path / "soporte.backup.tgz"
    result = _cli(filled, "backup", "create", "--output", str(path))
    assert result.exit_code == 0, result.output
    return path


def test_a_restored_backup_has_the_same_tickets_and_files(filled, backup_file, empty):
    files = _store_files(filled)
    assert any(name.startswith("attachments/") for name in files)
    assert any(name.startswith("raw_mail/") for name in files)
    source_export = _export(filled)
    assert len(source_export) == 2 and source_export[0]["notes"]
    assert stat.S_IMODE(backup_file.stat().st_mode) == 0o600  # it holds customer data
    assert not [p for p in backup_file.parent.iterdir() if ".partial" in p.name]

    result = _cli(empty, "backup", "restore", str(backup_file))

    assert result.exit_code == 0, result.output
    assert _export(empty) == source_export
    assert _store_files(empty) == files
    with filled.app_context():
        revision = databases.alembic_revision(db.engine)
    with empty.app_context():
        assert databases.alembic_revision(db.engine) == revision
    with empty.app_context():  # it works on: a new ticket takes a new number (and row id)
        first = db.session.scalars(select(Ticket).order_by(Ticket.id)).first()
        agent = db.session.scalars(select(User).where(User.email == "agent@soporte.example")).one()
        ticket = factories.new_ticket(SimpleNamespace(client=first.client, contact=first.contact),
                                      agent)
        assert ticket.number not in {record["number"] for record in source_export}


def test_a_restore_refuses_an_instance_that_is_not_empty_unless_forced(backup_file, empty):
    assert _cli(empty, "backup", "restore", str(backup_file)).exit_code == 0
    with empty.app_context():
        ticket = db.session.scalars(select(Ticket)).first()
        ticket.subject = "Cambiado después de restaurar"
        db.session.commit()

    refused = _cli(empty, "backup", "restore", str(backup_file))

    assert refused.exit_code == 1
    assert "not empty" in refused.output and "--force" in refused.output
    assert "Traceback" not in refused.output
    assert "Cambiado después de restaurar" in {t["subject"] for t in _export(empty)}

    forced = _cli(empty, "backup", "restore", "--force", str(backup_file))

    assert forced.exit_code == 0, forced.output
    assert "Cambiado después de restaurar" not in {t["subject"] for t in _export(empty)}


def test_a_restore_refuses_files_stored_in_the_target_without_force(backup_file, empty):
    stray = Path(empty.config["SOPORTE_ATTACHMENT_DIR"]) / "ab" / "cd" / "algo"
    stray.parent.mkdir(parents=True)
    stray.write_bytes(b"de antes")

    refused = _cli(empty, "backup", "restore", str(backup_file))

    assert refused.exit_code == 1 and "holds 1 files" in refused.output
    assert _tables(empty) == []


def _rewritten(source: Path, target: Path, extra: tarfile.TarInfo, data: bytes = b"") -> Path:
    """A copy of a backup with one more member, its manifest counting it as an attachment (so
    only the member itself can be what a restore refuses)."""
    with tarfile.open(source, "r:gz") as old, tarfile.open(target, "w:gz") as new:
        for member in old.getmembers():
            content = old.extractfile(member).read()
            if member.name == archive.MANIFEST:
                manifest = json.loads(content)
                manifest["stores"]["attachments"]["files"] += 1
                content = json.dumps(manifest).encode()
                member.size = len(content)
            new.addfile(member, io.BytesIO(content))
        extra.size = len(data) if extra.isreg() else 0
        new.addfile(extra, io.BytesIO(data) if extra.isreg() else None)
    return target


def _link(name: str, to: str) -> tarfile.TarInfo:
    member = tarfile.TarInfo(name)
    member.type, member.linkname = tarfile.SYMTYPE, to
    return member


@pytest.mark.parametrize("member", [
    tarfile.TarInfo("attachments/../../../escaped"),
    tarfile.TarInfo("attachments/ab/../../../escaped"),
    _link("attachments/ab/cd/escaped", "/etc/passwd"),
], ids=["dot-dot", "dot-dot-inside", "symlink"])
def test_a_restore_refuses_a_tampered_archive_and_changes_nothing(backup_file, empty, tmp_path,
                                                                    member):
    tampered = _rewritten(backup_file, tmp_path / "tampered.tgz", member, b"malicioso")

    refused = _cli(empty, "backup", "restore", str(tampered))

    assert refused.exit_code == 1
    assert repr(member.name) in refused.output and "Nothing was restored" in refused.output
    assert _tables(empty) == []
    assert _store_files(empty) == {}
    assert not list(tmp_path.rglob("escaped")) and not (tmp_path.parent / "escaped").exists()


def test_a_restore_refuses_an_archive_without_a_manifest(backup_file, empty, tmp_path):
    stripped = tmp_path / "stripped.tgz"
    with tarfile.open(backup_file, "r:gz") as old, tarfile.open(stripped, "w:gz") as new:
        for member in old.getmembers():
            if member.name != archive.MANIFEST:
                new.addfile(member, old.extractfile(member))
    not_a_backup = tmp_path / "notes.txt"
    not_a_backup.write_text("hola")

    no_manifest = _cli(empty, "backup", "restore", str(stripped))
    not_a_tar = _cli(empty, "backup", "restore", str(not_a_backup))

    assert no_manifest.exit_code == 1 and "has no manifest.json" in no_manifest.output
    assert not_a_tar.exit_code == 1 and "not a backup" in not_a_tar.output
    assert _tables(empty) == []


def test_a_restore_refuses_the_other_databases_backup(backend, backup_file, tmp_path):
    other = "postgresql" if backend == "sqlite" else "sqlite"
    if other not in BACKENDS:
        pytest.skip(f"{other} is not among SOPORTE_TEST_DATABASES")
    with _empty_instance(other, tmp_path / "other") as target:
        refused = _cli(target, "backup", "restore", str(backup_file))

        assert refused.exit_code == 1
        names = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
        assert f"backup is of a {names[backend]} database" in refused.output
        assert f"DATABASE_URL set to an empty {names[backend]} database" in refused.output
        assert _tables(target) == []


def test_a_failed_backup_leaves_no_file_under_its_name(filled, tmp_path, monkeypatch):
    output = tmp_path / "nightly.tgz"
    output.write_bytes(b"last night's backup")

    def disk_full(tar, name, path):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(archive, "_add_file", disk_full)
    result = _cli(filled, "backup", "create", "--output", str(output))

    assert result.exit_code == 1 and "No space left on device" in result.output
    assert output.read_bytes() == b"last night's backup"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


@on_backends("postgresql")  # pg_dump is PostgreSQL's
def test_a_postgresql_backup_without_pg_dump_says_what_to_install(backend, app, tmp_path,
                                                                  monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no pg_dump to be found

    result = _cli(app, "backup", "create", "--output", str(tmp_path / "b.tgz"))

    assert result.exit_code == 1 and "postgresql-client" in result.output
    assert not (tmp_path / "b.tgz").exists()


def test_the_postgresql_password_goes_to_pg_dump_in_its_environment_only():
    url = make_url("postgresql+psycopg://soporte:s3cr%40to@db.example:5433/soporte"
                   "?sslmode=require")

    environment = databases.pg_environment(url)

    assert {name: environment[name] for name in
            ("PGHOST", "PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE", "PGSSLMODE")} == {
        "PGHOST": "db.example", "PGPORT": "5433", "PGUSER": "soporte",
        "PGPASSWORD": "s3cr@to", "PGDATABASE": "soporte", "PGSSLMODE": "require"}
    with pytest.raises(databases.BackupError, match="'unknown_option'"):
        databases.pg_environment(make_url("postgresql://u@h/d?unknown_option=1"))


def _flask(app, *args: str) -> str:
    """Run `flask …` as the operator does: a new process configured by the environment alone
    (DATABASE_URL and the store folders of this app)."""
    import subprocess
    import sys

    environment = dict(os.environ, FLASK_APP="wsgi.py",
                       DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
                       SOPORTE_ATTACHMENT_DIR=app.config["SOPORTE_ATTACHMENT_DIR"],
                       SOPORTE_MAIL_DIR=app.config["SOPORTE_MAIL_DIR"],
                       SOPORTE_INSTANCE_DIR=str(Path(app.config["SOPORTE_ATTACHMENT_DIR"]).parent
                                                / "instance"))
    result = subprocess.run([str(Path(sys.executable).parent / "flask"), *args],
                            cwd=Path(__file__).resolve().parents[2], env=environment,
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_the_commands_take_everything_from_the_environment(filled, empty, tmp_path):
    path = tmp_path / "from-cron.tgz"
    with filled.app_context():
        db.engine.dispose()

    _flask(filled, "backup", "create", "--output", str(path))
    restored = _flask(empty, "backup", "restore", str(path))

    assert "Restored" in restored
    assert _export(empty) == _export(filled)
    assert _store_files(empty) == _store_files(filled)


def test_a_backup_of_an_older_schema_is_restored_as_it_was_and_says_to_upgrade(tmp_path):
    from flask_migrate import upgrade

    from app.backups.operations import migration_scripts

    older = make_test_app(f"sqlite:///{tmp_path / 'older.db'}", tmp_path / "older")
    with older.app_context():
        first = migration_scripts().get_base()
        upgrade(revision=first)
        db.engine.dispose()
    path = tmp_path / "older.tgz"
    assert _cli(older, "backup", "create", "--output", str(path)).exit_code == 0
    with _empty_instance("sqlite", tmp_path / "newer") as newer:

        restored = _cli(newer, "backup", "restore", str(path))

        assert restored.exit_code == 0, restored.output
        assert f"schema revision {first}" in restored.output
        assert "run `flask db upgrade`" in restored.output
        assert _cli(newer, "db", "upgrade").exit_code == 0
        assert _export(newer) == []
