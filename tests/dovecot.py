"""A real Dovecot IMAP server for the tests, on loopback ports, with plain, STARTTLS and TLS.

Each test gets a fresh user (so a fresh INBOX); the server lives for the session.
"""
from __future__ import annotations

import itertools
import os
import pwd
import shutil
import socket
import subprocess
import time
from pathlib import Path

from imap_tools import MailBoxUnencrypted

PASSWORD = "secreto"
MAX_USERS = 2000


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Dovecot:
    """Start, use and stop a private Dovecot."""

    def __init__(self, root: Path):
        self.root = root
        self.port = free_port()
        self.tls_port = free_port()
        self.cafile = str(root / "cert.pem")
        self._users = itertools.count(1)

    def start(self) -> None:
        if not shutil.which("dovecot"):
            raise RuntimeError("dovecot is not installed: run .ci/run (apt-get install dovecot-imapd)")
        dovecot = pwd.getpwnam("dovecot")
        for sub in ("mail", "run", "run/state"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        os.chmod(self.root, 0o755)
        os.chown(self.root / "mail", dovecot.pw_uid, dovecot.pw_gid)
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                        "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                        "-keyout", str(self.root / "key.pem"), "-out", self.cafile],
                       check=True, capture_output=True)
        # Every user up front: Dovecot re-reads passwd-file by mtime, too coarse for fast tests.
        (self.root / "passwd").write_text("".join(
            f"soporte{n}:{{PLAIN}}{PASSWORD}\n" for n in range(1, MAX_USERS + 1)))
        (self.root / "dovecot.conf").write_text(f"""
base_dir = {self.root}/run
state_dir = {self.root}/run/state
log_path = {self.root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <{self.cafile}
ssl_key = <{self.root}/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{self.root}/mail/%u
first_valid_uid = 1
first_valid_gid = 1
default_login_user = dovenull
default_internal_user = dovecot
mail_max_userip_connections = 200
mailbox_idle_check_interval = 1 secs
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {self.root}/passwd
}}
userdb {{
  driver = static
  args = uid={dovecot.pw_uid} gid={dovecot.pw_gid} home={self.root}/mail/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {self.tls_port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
""")
        subprocess.run(["dovecot", "-c", str(self.root / "dovecot.conf")], check=True)
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("dovecot did not start: " + (self.root / "dovecot.log").read_text())

    def stop(self) -> None:
        subprocess.run(["doveadm", "-c", str(self.root / "dovecot.conf"), "stop"],
                       capture_output=True)

    def new_user(self) -> str:
        """A fresh user with an empty INBOX."""
        number = next(self._users)
        if number > MAX_USERS:
            raise RuntimeError("raise MAX_USERS in tests/dovecot.py")
        return f"soporte{number}"

    def url(self, user: str, scheme: str = "imap", folder: str = "INBOX") -> str:
        port = self.tls_port if scheme == "imaps" else self.port
        query = f"?cafile={self.cafile}" if scheme != "imap" else ""
        return f"{scheme}://{user}:{PASSWORD}@127.0.0.1:{port}/{folder}{query}"

    def box(self, user: str) -> MailBoxUnencrypted:
        """A logged-in imap-tools client (use as a context manager)."""
        return MailBoxUnencrypted("127.0.0.1", self.port).login(user, PASSWORD)

    def append(self, user: str, *messages: bytes, folder: str = "INBOX") -> None:
        """APPEND raw messages to the user's folder."""
        with self.box(user) as box:
            for raw in messages:
                box.append(raw, folder)

    def flags(self, user: str, folder: str = "INBOX") -> dict[str, set[str]]:
        """Flags of every message, by UID."""
        with self.box(user) as box:
            box.folder.set(folder)
            return {m.uid: set(m.flags) for m in box.fetch(mark_seen=False, headers_only=True)}
