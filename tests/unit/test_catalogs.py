"""The Spanish catalog translates every message the code and templates use."""
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]


def test_every_message_has_a_spanish_translation(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "-q", "extract",
                    "-F", "babel.cfg", "-k", "_l", "-k", "lazy_gettext", "-o", str(pot), "."],
                   cwd=ROOT, check=True)
    wanted = {m.id for m in read_po(pot.open("rb")) if m.id}
    with (ROOT / "app/translations/es/LC_MESSAGES/messages.po").open("rb") as po:
        spanish = {m.id: m.string for m in read_po(po) if m.id and not m.fuzzy}
    missing = sorted(msgid if isinstance(msgid, str) else msgid[0]
                     for msgid in wanted if not spanish.get(msgid))
    assert missing == []
