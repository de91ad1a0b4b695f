"""Without SECRET_KEY, development and testing sign sessions and quote links with a random key made
once in the instance folder (mode 0600), never with a constant anyone can read in the source;
production still requires SECRET_KEY."""
import multiprocessing
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from flask_login.utils import _create_identifier

from app import ConfigurationError
from config import BASE_DIR
from tests.browsers import browser as new_browser

# The constants this project once shipped in config.py: a cookie signed with them must not work.
OLD_CONSTANTS = ("development-only-secret", "testing-secret")
KEY_FILE = "secret_key"


def instance_secret_key(folder: Path) -> str:
    """The function under test (imported late: the forged-cookie test needs only the app)."""
    from app.secret_key import instance_secret_key as load

    return load(folder)


def test_the_key_is_made_once_with_mode_0600_whatever_the_umask(tmp_path):
    previous = os.umask(0)  # the most permissive umask must not widen the file
    try:
        key = instance_secret_key(tmp_path)
    finally:
        os.umask(previous)
    path = tmp_path / KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(key) >= 64 and key not in OLD_CONSTANTS
    assert instance_secret_key(tmp_path) == key == path.read_text().strip()
    assert instance_secret_key(tmp_path / "other") != key  # random, not derived from anything


def _race(folder: str, barrier, results) -> None:
    barrier.wait()
    results.put(instance_secret_key(Path(folder)))


def test_processes_starting_at_once_agree_on_one_key(tmp_path):
    context = multiprocessing.get_context("spawn")
    count = 6
    barrier, results = context.Barrier(count), context.Queue()
    workers = [context.Process(target=_race, args=(str(tmp_path), barrier, results))
               for _ in range(count)]
    for worker in workers:
        worker.start()
    keys = {results.get(timeout=60) for _ in workers}
    for worker in workers:
        worker.join(timeout=60)
    assert len(keys) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == [KEY_FILE]  # no half-written leftovers


def test_a_key_file_that_others_can_read_is_refused_with_what_to_do(tmp_path):
    (tmp_path / KEY_FILE).write_text("a" * 64)
    (tmp_path / KEY_FILE).chmod(0o644)
    with pytest.raises(ConfigurationError, match="chmod 600"):
        instance_secret_key(tmp_path)


_PRINT_KEY = ("from app import create_app; import sys; "
              "print(create_app(sys.argv[1]).config['SECRET_KEY'])")


def _start_app(instance: Path, config: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DATABASE_URL")}
    env["SOPORTE_INSTANCE_DIR"] = str(instance)
    return subprocess.Popen([sys.executable, "-c", _PRINT_KEY, config], cwd=BASE_DIR, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.parametrize("config", ["development", "testing"])
def test_apps_without_secret_key_share_the_instance_key_across_starts(tmp_path, config):
    first, second = _start_app(tmp_path, config), _start_app(tmp_path, config)  # at once
    keys = [process.communicate(timeout=120) for process in (first, second)]
    assert first.returncode == second.returncode == 0, keys
    again = _start_app(tmp_path, config).communicate(timeout=120)[0]
    assert keys[0][0] == keys[1][0] == again  # the next start reuses it
    assert again.strip() == (tmp_path / KEY_FILE).read_text().strip()
    assert again.strip() not in OLD_CONSTANTS


def test_production_still_requires_secret_key(tmp_path):
    out, err = _start_app(tmp_path, "production").communicate(timeout=120)
    assert "SECRET_KEY" in err and not (tmp_path / KEY_FILE).exists()


def _forged_session(secret: str, user_id: str, app, browser) -> str:
    """A session cookie for user_id signed with secret, as an attacker reading the source would."""
    forger = Flask("forger")
    forger.secret_key = secret
    with app.test_request_context("/", environ_base=browser.environ_base):
        identifier = _create_identifier()  # session protection's hash: computable by anyone
    payload = {"_user_id": user_id, "_fresh": True, "_id": identifier}
    return SecureCookieSessionInterface().get_signing_serializer(forger).dumps(payload)


def test_a_session_cookie_forged_with_an_old_constant_is_refused(world, app):
    admin = world.admin
    for secret in OLD_CONSTANTS:
        for user_id in (str(admin.id), f"{admin.id}:{admin.session_version or 0}"):
            browser = new_browser(app)
            browser.set_cookie("session", _forged_session(secret, user_id, app, browser))
            answer = browser.get("/admin/user/")
            assert answer.status_code == 302 and "/login" in answer.headers["Location"], \
                (secret, user_id)
