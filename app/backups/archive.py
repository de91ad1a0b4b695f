"""The backup archive: one gzipped tar holding manifest.json (first), the database dump, and the
files of the attachment and raw-mail stores under attachments/ and raw_mail/.

It is written to a temporary file beside the output (mode 0600: it holds customer data) and
renamed when complete, so a failed backup never leaves a half file under the name asked for.
It is read back refusing, before anything is extracted, a missing or unknown manifest, a
member count or dump checksum that differs from it, and any member that is not a plain file
in its place (an absolute path, "..", a link or a device): extracting only regular files by
hand, never with extractall, is what keeps a tampered archive from writing outside a store.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
import tempfile
import time
import zlib
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO, Iterator

from app.backups import BackupError

FORMAT = "soporte-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DUMP_NAMES = {"sqlite": "database/soporte.sqlite3", "postgresql": "database/soporte.pgdump"}
STORES = ("attachments", "raw_mail")
UNFINISHED_PREFIX = ".incoming-"  # app.storage.BlobStore's writes still in progress
CHUNK = 1024 * 1024
NOT_OURS = "it was altered, or not made by `flask backup create`"


def store_files(root: Path) -> list[PurePosixPath]:
    """The files of a store, relative to its root: regular files only (links are not
    followed), without the writes still in progress; none when the folder does not exist."""
    found = []
    for folder, _subfolders, names in os.walk(root):
        for name in names:
            path = Path(folder) / name
            if not name.startswith(UNFINISHED_PREFIX) and path.is_file() \
                    and not path.is_symlink():
                found.append(PurePosixPath(path.relative_to(root).as_posix()))
    return sorted(found)


def new_manifest(dialect: str, revision: str | None, code_revision: str, created_at: str,
                 dump_sha256: str, stores: dict[str, tuple[Path, list[PurePosixPath]]]) -> dict:
    """What the archive holds: the format, the database (dialect, schema revision, checksum of
    the dump), how many files of each store, and when (ISO 8601, UTC)."""
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created_at": created_at,
        "code_revision": code_revision,
        "database": {"dialect": dialect, "file": DUMP_NAMES[dialect],
                     "alembic_revision": revision, "sha256": dump_sha256},
        "stores": {name: {"files": len(files)} for name, (_root, files) in stores.items()},
    }


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes, hex."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def write_archive(output: Path, manifest: dict, dump: Path,
                  stores: dict[str, tuple[Path, list[PurePosixPath]]]) -> int:
    """Write the archive to output through a temporary file beside it (mode 0600), renamed
    when complete; its size in bytes. BackupError when it cannot be written."""
    try:
        descriptor, partial = tempfile.mkstemp(dir=output.parent, prefix=f".{output.name}.",
                                               suffix=".partial")
    except OSError as error:
        raise BackupError(f"Cannot write in {output.parent}: {error.strerror}.") from None
    try:
        with os.fdopen(descriptor, "wb") as stream:
            with tarfile.open(fileobj=stream, mode="w:gz") as tar:
                _add(tar, MANIFEST, json.dumps(manifest, indent=2).encode(), time.time())
                _add_file(tar, manifest["database"]["file"], dump)
                for name, (root, files) in stores.items():
                    for relative in files:
                        _add_file(tar, f"{name}/{relative}", root / relative)
            stream.flush()
            os.fsync(stream.fileno())  # on disk before it takes the final name
        os.replace(partial, output)
    except OSError as error:
        raise BackupError(f"Cannot write {output}: {error.strerror or error}.") from None
    finally:
        if os.path.exists(partial):
            os.unlink(partial)
    return output.stat().st_size


def _member(name: str, size: int, mtime: float = 0) -> tarfile.TarInfo:
    """A regular file's header with no owner of this machine in it."""
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = size, int(mtime), 0o600
    return info


def _add(tar: tarfile.TarFile, name: str, data: bytes, mtime: float) -> None:
    tar.addfile(_member(name, len(data), mtime), io.BytesIO(data))


def _add_file(tar: tarfile.TarFile, name: str, path: Path) -> None:
    with path.open("rb") as stream:
        status = os.fstat(stream.fileno())
        tar.addfile(_member(name, status.st_size, status.st_mtime), stream)


@dataclass
class BackupArchive:
    """An archive opened for restoring, every member checked (see open_archive)."""

    tar: tarfile.TarFile
    manifest: dict
    dump: tarfile.TarInfo
    files: dict[str, list[tuple[PurePosixPath, tarfile.TarInfo]]]

    @property
    def dialect(self) -> str:
        """The database the backup was made from: "sqlite" or "postgresql"."""
        return self.manifest["database"]["dialect"]

    @property
    def revision(self) -> str | None:
        """The schema revision the backed-up database was at."""
        return self.manifest["database"].get("alembic_revision")

    def extract_dump(self, folder: Path) -> Path:
        """The database dump, written into folder; BackupError when its checksum differs."""
        target = folder / PurePosixPath(self.dump.name).name
        digest = hashlib.sha256()
        with self._open(self.dump) as source, target.open("wb") as stream:
            while chunk := source.read(CHUNK):
                digest.update(chunk)
                stream.write(chunk)
        if digest.hexdigest() != self.manifest["database"].get("sha256"):
            raise BackupError(f"The database dump in the backup does not match its checksum: "
                              f"{NOT_OURS}. Nothing was restored.")
        return target

    def extract_stores(self, roots: dict[str, Path]) -> dict[str, int]:
        """Write every store file under its store's root (each through a temporary file,
        renamed when complete); how many files per store."""
        for name, members in self.files.items():
            for relative, member in members:
                target = roots[name].joinpath(*relative.parts)
                target.parent.mkdir(parents=True, exist_ok=True)
                descriptor, partial = tempfile.mkstemp(dir=target.parent,
                                                       prefix=UNFINISHED_PREFIX)
                try:
                    with self._open(member) as source, os.fdopen(descriptor, "wb") as stream:
                        while chunk := source.read(CHUNK):
                            stream.write(chunk)
                    os.replace(partial, target)
                finally:
                    if os.path.exists(partial):
                        os.unlink(partial)
        return {name: len(members) for name, members in self.files.items()}

    def _open(self, member: tarfile.TarInfo) -> BinaryIO:
        stream = self.tar.extractfile(member)
        if stream is None:  # not a regular file: refused by open_archive already
            raise BackupError(f"{member.name} in the backup is not a file: {NOT_OURS}.")
        return stream


@contextmanager
def open_archive(path: Path) -> Iterator[BackupArchive]:
    """Open a backup for restoring after checking all of it: its manifest (present, of a
    known format), and each member (a plain file, in its place, counted in the manifest).
    BackupError saying what is wrong; nothing has been extracted then."""
    try:
        tar = tarfile.open(path, "r:gz")
    except (tarfile.TarError, OSError, EOFError, zlib.error) as error:
        raise BackupError(f"{path} is not a backup made by `flask backup create` (a gzipped "
                          f"tar): {error}.") from None
    with tar:
        try:
            members = tar.getmembers()  # reads it all: a truncated file fails here
        except (tarfile.TarError, OSError, EOFError, zlib.error) as error:
            raise BackupError(f"{path} is damaged or incomplete: {error}.") from None
        manifest = _read_manifest(tar, members, path)
        dump, files = _checked_members(members, manifest)
        yield BackupArchive(tar, manifest, dump, files)


def _read_manifest(tar: tarfile.TarFile, members: list[tarfile.TarInfo], path: Path) -> dict:
    """The archive's manifest.json, checked to be one this code can restore."""
    found = [member for member in members if member.name == MANIFEST and member.isreg()]
    if not found:
        raise BackupError(f"{path} has no {MANIFEST}: it is not a backup made by "
                          "`flask backup create`.")
    try:
        manifest = json.loads(tar.extractfile(found[0]).read().decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise BackupError(f"The {MANIFEST} of {path} is not valid JSON: {NOT_OURS}.") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"The {MANIFEST} of {path} is not a Soporte backup's: {NOT_OURS}.")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(f"{path} is in backup format {manifest.get('format_version')!r}; this "
                          f"version of Soporte reads format {FORMAT_VERSION}: restore it with "
                          "the version that made it.")
    database = manifest.get("database")
    if not isinstance(database, dict) or database.get("dialect") not in DUMP_NAMES \
            or database.get("file") != DUMP_NAMES[database["dialect"]] \
            or not isinstance(manifest.get("stores"), dict):
        raise BackupError(f"The {MANIFEST} of {path} does not say what the backup holds: "
                          f"{NOT_OURS}.")
    return manifest


def _checked_members(members: list[tarfile.TarInfo], manifest: dict):
    """(the dump's member, each store's (relative path, member) pairs); BackupError for a
    member out of place, a link or a device, a name twice, or counts unlike the manifest's."""
    dump, files, seen = None, {name: [] for name in STORES}, set()
    for member in members:
        if member.name in seen:
            raise BackupError(f"The backup holds {member.name!r} twice: {NOT_OURS}.")
        seen.add(member.name)
        _check_plain_file(member)
        if member.name == MANIFEST:
            continue
        if member.name == manifest["database"]["file"]:
            dump = member
            continue
        path = PurePosixPath(member.name)
        if len(path.parts) < 2 or path.parts[0] not in STORES:
            raise BackupError(f"The backup holds {member.name!r}, which belongs to no part of "
                              f"a backup: {NOT_OURS}.")
        files[path.parts[0]].append((PurePosixPath(*path.parts[1:]), member))
    if dump is None:
        raise BackupError(f"The backup holds no database dump: {NOT_OURS}.")
    for name, members_of_store in files.items():
        expected = (manifest["stores"].get(name) or {}).get("files", 0)
        if len(members_of_store) != expected:
            raise BackupError(f"The backup holds {len(members_of_store)} {name} files where its "
                              f"manifest says {expected}: {NOT_OURS}.")
    return dump, files


def _check_plain_file(member: tarfile.TarInfo) -> None:
    """Refuse anything but a regular file with a relative path that stays inside (tarfile's
    own "data" filter is asked as well)."""
    path = PurePosixPath(member.name)
    if not member.isreg() or path.is_absolute() or "\\" in member.name \
            or any(part in ("", ".", "..") for part in member.name.split("/")):
        raise BackupError(f"The backup holds {member.name!r}, which is not a plain file inside "
                          f"the backup (an absolute path, '..', a link or a device): {NOT_OURS}. "
                          "Nothing was restored.")
    data_filter = getattr(tarfile, "data_filter", None)  # Python 3.11.4 and later
    if data_filter is None:
        return
    try:
        data_filter(member, "/restore")
    except tarfile.FilterError as error:
        raise BackupError(f"The backup holds {member.name!r}, refused by tarfile's data filter "
                          f"({error}): {NOT_OURS}. Nothing was restored.") from None
