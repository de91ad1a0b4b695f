"""A 25 MB attachment raises the poller's peak memory by less than three times its size."""
import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from app.extensions import db
from app.models import Attachment
from tests import mail_corpus as corpus

ROOT = Path(__file__).resolve().parents[2]
SIZE = 25 * 1000 * 1000


def test_peak_memory_with_a_25_mb_attachment(world, dovecot, imap_user, app, tmp_path):
    data = os.urandom(SIZE)
    dovecot.append(imap_user, corpus.with_attachment(data=data, filename="disco.img",
                                                     ctype=("application", "octet-stream")))
    db.session.commit()
    probe = subprocess.run(
        [sys.executable, "-m", "tests.integration.memory_probe",
         app.config["SQLALCHEMY_DATABASE_URI"], dovecot.url(imap_user), str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert probe.returncode == 0, probe.stderr[-3000:]
    result = json.loads(probe.stdout.strip().splitlines()[-1])
    assert result["outcomes"] == {"TICKET": 1}
    stored = db.session.scalars(select(Attachment).where(Attachment.filename == "disco.img")).one()
    assert stored.size == SIZE
    assert (tmp_path / "attachments" / stored.sha256[:2] / stored.sha256[2:4]
            / stored.sha256).read_bytes() == data
    print(f"peak rose by {result['rise_kb'] / 1024:.1f} MB for a {SIZE / 1e6:.0f} MB attachment "
          f"(poller {result['poller_rise_kb'] / 1024:.1f} MB, "
          f"read-ahead {result['reader_rise_kb'] / 1024:.1f} MB)")
    assert result["rise_kb"] * 1024 < 3 * SIZE
