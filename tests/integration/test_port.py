"""`make run PORT=5001`: the web app listens there and every process it starts gets the port, so
the links in mail follow it unless SOPORTE_BASE_URL is set."""
from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from app import ConfigurationError
from tests.conftest import make_test_app

ROOT = Path(__file__).resolve().parents[2]

# Notes its call; as `flask run`, waits (up to a minute) for the four workers started before it
# to note theirs, since its exit makes the recipe stop them.
FAKE_TOOL = """#!/bin/sh
echo "$(basename "$0") $* PORT=${PORT:-unset}" >> "$CALLS"
if [ "$1" = run ]; then
  i=0
  while [ "$(grep -c -E '^flask (mail poll|mail send|webhooks send|sla tick) ' "$CALLS")" -lt 4 ] \\
        && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done
fi
"""


def test_make_run_gives_the_port_to_the_web_app_and_every_worker(tmp_path):
    """The real Makefile, with stand-ins for the virtualenv's programs that note how they were
    called."""
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    for tool in ("python", "pip", "pybabel", "flask"):
        path = venv / "bin" / tool
        path.write_text(FAKE_TOOL)
        path.chmod(path.stat().st_mode | stat.S_IXUSR)
    calls = tmp_path / "calls.txt"
    env = {k: v for k, v in os.environ.items() if k not in ("PORT", "SOPORTE_BASE_URL")}
    env["CALLS"] = str(calls)
    subprocess.run(["make", "-s", "run", "PORT=5001", f"VENV={venv}"], cwd=ROOT, env=env,
                   check=True, capture_output=True, timeout=120)
    lines = calls.read_text().splitlines()
    assert "flask run --host 127.0.0.1 --port 5001 PORT=5001" in lines
    for worker in ("mail poll", "mail send", "webhooks send", "sla tick"):
        assert f"flask {worker} PORT=5001" in lines, lines


def _quote_link(**env) -> str:
    """A quote link as a process started with this environment writes it in mail."""
    script = ("from assembly import build_app\n"
              "from app.models.quote import Quote\n"
              "from app.services.quote_links import link_for\n"
              "app = build_app('testing')\n"
              "with app.app_context():\n"
              "    print(link_for(Quote(id=7, version=1, ticket_id=3)))\n")
    environment = {k: v for k, v in os.environ.items() if k not in ("PORT", "SOPORTE_BASE_URL")}
    environment.update(env)
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=environment,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_links_in_mail_follow_the_port_unless_a_base_url_is_set():
    assert _quote_link(PORT="5001").startswith("http://127.0.0.1:5001/cotizacion/")
    assert _quote_link().startswith("http://127.0.0.1:5000/cotizacion/")
    assert _quote_link(PORT="5001", SOPORTE_BASE_URL="https://soporte.example.com/").startswith(
        "https://soporte.example.com/cotizacion/")


@pytest.mark.parametrize("base_url", ["http://127.0.0.1:abc", "soporte.example.com",
                                      "ftp://soporte.example.com"])
def test_an_unusable_base_url_stops_the_app_at_start(base_url, database_urls, tmp_path):
    with pytest.raises(ConfigurationError, match="SOPORTE_BASE_URL"):
        make_test_app(next(iter(database_urls.values())), tmp_path, SOPORTE_BASE_URL=base_url)
