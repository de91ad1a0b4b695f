"""Backups of one instance into one archive file, and restoring one into an empty instance
(`flask backup create|restore`, docs/backups.md): operations, not domain rules.

- databases.py: a consistent dump of the configured database (the SQLite backup API, or
  `pg_dump --format=custom`) and putting one back (the SQLite backup API, or `pg_restore`);
- archive.py: the archive itself (a gzipped tar: manifest.json, the dump, the attachment and
  raw-mail stores), written atomically with mode 0600, and read back refusing any member that
  is not a plain file inside its place;
- operations.py: create_backup and restore_backup, which check everything before changing
  anything.

Everything comes from the app's configuration (DATABASE_URL, SOPORTE_ATTACHMENT_DIR,
SOPORTE_MAIL_DIR). Secrets are not in the archive: SECRET_KEY and SOPORTE_ENCRYPTION_KEYS (which
open the mailbox passwords stored in the database) are kept apart from it.
"""
from __future__ import annotations


class BackupError(Exception):
    """A backup or restore that cannot be done, with a message for the operator saying what to
    do; nothing was changed (restore) and no file was left under the name asked for (create)."""
