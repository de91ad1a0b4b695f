"""Making a backup of this instance, and restoring one into an empty instance.

create_backup dumps the database first and lists the store files after: a file is written
before the row that names it and never removed, so every file a dumped row names is in the
archive. restore_backup checks the whole archive and the target before changing anything,
then writes the store files first and the database last (in one transaction on PostgreSQL),
so a failure never leaves a database naming files that are not there.
"""
from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path

from alembic.script import ScriptDirectory
from alembic.util import CommandError
from flask import current_app

from app.backups import BackupError, archive, databases
from app.extensions import db
from app.services import clock
from app.services.attachments import attachment_store
from app.storage import raw_mail_store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BackupReport:
    """What a backup or restore did: the archive, the database (dialect and schema revision),
    how many files of each store, the archive's size (create) and the code's revision."""

    path: Path
    dialect: str
    revision: str | None
    files: dict[str, int]
    size: int = 0
    code_revision: str = ""

    @property
    def needs_upgrade(self) -> bool:
        """The restored schema is older than this code's: `flask db upgrade` is due."""
        return self.revision != self.code_revision


def store_roots() -> dict[str, Path]:
    """Each store of the backup and its folder (SOPORTE_ATTACHMENT_DIR, SOPORTE_RAW_MAIL_DIR)."""
    return {"attachments": attachment_store().root, "raw_mail": raw_mail_store().root}


def migration_scripts() -> ScriptDirectory:
    """This code's Alembic migrations (the folder Flask-Migrate was given)."""
    migrate = current_app.extensions["migrate"]
    return ScriptDirectory.from_config(migrate.migrate.get_config(migrate.directory))


def code_revision() -> str:
    """The newest schema revision this code's migrations know (heads joined by commas)."""
    return ",".join(sorted(migration_scripts().get_heads()))


def create_backup(output: Path) -> BackupReport:
    """Write a backup of the database and the attachment and raw-mail stores to output (one
    gzipped tar, mode 0600, replaced whole or not at all). Raises BackupError."""
    if output.is_dir():
        raise BackupError(f"{output} is a folder: give the backup's file name.")
    if not output.parent.is_dir():
        raise BackupError(f"The folder {output.parent} does not exist: create it first.")
    engine = db.engine
    dialect = databases.dialect_of(engine)
    revision = databases.alembic_revision(engine)
    try:
        with tempfile.TemporaryDirectory(dir=output.parent, prefix=".soporte-backup-") as work:
            dump = Path(work) / "database"
            databases.dump(engine, dump)
            stores = {name: (root, archive.store_files(root))
                      for name, root in store_roots().items()}
            manifest = archive.new_manifest(dialect, revision, code_revision(),
                                            clock.now().isoformat(), archive.file_sha256(dump),
                                            stores)
            size = archive.write_archive(output, manifest, dump, stores)
    except OSError as error:  # a folder we may not write in, a full disk
        raise BackupError(f"The backup failed: {error}. Nothing was written to {output}.") \
            from None
    files = {name: len(found) for name, (_root, found) in stores.items()}
    log.info("backup written to %s: %s database at %s, files %s", output, dialect, revision,
             files)
    return BackupReport(output, dialect, revision, files, size, manifest["code_revision"])


def restore_backup(path: Path, force: bool = False) -> BackupReport:
    """Restore a backup into this instance's database and stores, which must be empty unless
    force (then the database's contents are replaced; store files are added, none removed).
    Raises BackupError, having changed nothing, for an archive that is not a whole backup of
    ours, a backup of the other kind of database, a schema newer than this code, or a target
    that is not empty."""
    try:
        return _restore(path, force)
    except OSError as error:  # before any change: those are reported by _restore itself
        raise BackupError(f"The restore failed before changing anything: {error}.") from None


def _restore(path: Path, force: bool) -> BackupReport:
    engine = db.engine
    dialect = databases.dialect_of(engine)
    roots = store_roots()
    with archive.open_archive(path) as backup:
        if backup.dialect != dialect:
            raise BackupError(_mismatch(backup.dialect, dialect))
        _check_known_revision(backup.revision)
        if not force:
            _check_empty(engine, roots)
        with tempfile.TemporaryDirectory(dir=current_app.instance_path,
                                         prefix=".restore-") as work:
            dump = backup.extract_dump(Path(work))
            databases.check_dump(dialect, dump)
            db.session.remove()  # no transaction of ours holds a table pg_restore drops
            try:
                files = backup.extract_stores(roots)
                databases.load(engine, dump)
            except (BackupError, OSError) as error:
                raise BackupError(f"The restore stopped part way: {error}\nThe database is "
                                  "as it was; store files may have been added. Fix the cause "
                                  "and run the restore again with --force.") from None
    revision = databases.alembic_revision(engine)
    log.info("backup %s restored: %s database at %s, files %s", path, dialect, revision, files)
    return BackupReport(path, dialect, revision, files, code_revision=code_revision())


def _mismatch(backup_dialect: str, dialect: str) -> str:
    names = {databases.SQLITE: "SQLite", databases.POSTGRESQL: "PostgreSQL"}
    example = {databases.SQLITE: "sqlite:////var/lib/soporte/soporte.db",
               databases.POSTGRESQL: "postgresql://soporte@localhost/soporte"}
    return (f"This backup is of a {names[backup_dialect]} database and DATABASE_URL names a "
            f"{names[dialect]} one: restore it with DATABASE_URL set to an empty "
            f"{names[backup_dialect]} database (for example {example[backup_dialect]}). A "
            "backup does not move data between SQLite and PostgreSQL.")


def _check_known_revision(revision: str | None) -> None:
    """Refuse a backup whose schema this code's migrations do not know (a newer version of
    Soporte made it): the app could not run on it."""
    scripts = migration_scripts()
    for one in (revision or "").split(","):
        try:
            if one:
                scripts.get_revision(one)
        except CommandError:
            raise BackupError(f"The backup's database is at schema revision {one}, which this "
                              "version of Soporte does not know: install the version that made "
                              "the backup (or a newer one), then restore.") from None


def _check_empty(engine, roots: dict[str, Path]) -> None:
    """Refuse to restore over a database with tables or stores with files."""
    tables = databases.tables(engine)
    files = {name: len(archive.store_files(root)) for name, root in roots.items()}
    if not tables and not any(files.values()):
        return
    found = []
    if tables:
        found.append(f"the database has {len(tables)} tables and "
                     f"{databases.ticket_count(engine)} tickets")
    found.extend(f"{roots[name]} holds {count} files" for name, count in files.items() if count)
    raise BackupError("This instance is not empty: " + "; ".join(found) + ". Restore into an "
                      "empty database (without running `flask db upgrade` first) and empty store "
                      "folders, or pass --force to replace the database's contents with the "
                      "backup's (store files are added, none removed).")
