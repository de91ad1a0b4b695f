"""deploy/soporte.env.example lists every setting the code reads from the environment, in a form
systemd and honcho both read (no comment after a value, where systemd would keep it)."""
from __future__ import annotations

import re
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[2]
EXAMPLE = CHECKOUT / "deploy" / "soporte.env.example"


def _settings_read_by_the_code() -> set[str]:
    """Every name passed to os.environ.get in config.py, app/ and mail_ingest/."""
    files = [CHECKOUT / "config.py", *(CHECKOUT / "app").rglob("*.py"),
             *(CHECKOUT / "mail_ingest").rglob("*.py")]
    return {name for path in files
            for name in re.findall(r'os\.environ\.get\(\s*"([A-Z][A-Z0-9_]*)"', path.read_text())}


def _example_lines() -> dict[str, str]:
    """The example's KEY=value lines."""
    return dict(line.split("=", 1) for line in EXAMPLE.read_text().splitlines()
                if line and not line.startswith("#"))


def test_the_example_environment_file_lists_every_setting():
    missing = _settings_read_by_the_code() - set(_example_lines())
    assert not missing, f"add to deploy/soporte.env.example: {sorted(missing)}"


def test_no_value_of_the_example_carries_a_comment_or_unquoted_spaces():
    for key, value in _example_lines().items():
        assert " #" not in value, key
        assert " " not in value or (value.startswith('"') and value.endswith('"')), key
