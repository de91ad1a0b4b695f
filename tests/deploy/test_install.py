"""A deployment made the way docs/deployment.md makes one, away from the checkout: the package
built (the catalogs compiled by the build, never by `make`) and installed into a clean virtualenv,
the settings from deploy/soporte.env.example, `flask db upgrade` on an empty database of each
backend, `flask users create`, then the Procfile's processes under honcho (gunicorn with two
workers and the four workers): the dashboard answers in Spanish, and SIGTERM stops everything.

To stay fast and offline, the wheel is built without build isolation and installed without its
dependencies, which come from the checkout's virtualenv through a .pth file placed after the new
virtualenv's own site-packages; the project itself is only the wheel's copy (checked)."""
from __future__ import annotations

import html
import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import sysconfig
import threading
import time
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

CHECKOUT = Path(__file__).resolve().parents[2]
ADMIN = "admin@soporte.example"
PASSWORD = "una-clave-de-prueba-larga"
# The console scripts pip would have made for the dependencies (installed with --no-deps here).
SCRIPTS = {
    "flask": "from flask.cli import main",
    "gunicorn": "from gunicorn.app.wsgiapp import run as main",
    "honcho": "from honcho.command import main",
}


def _run(args: list, **kwargs) -> subprocess.CompletedProcess:
    """Run a command, failing the test with its output when it fails."""
    done = subprocess.run(args, capture_output=True, text=True, **kwargs)
    assert done.returncode == 0, f"{args} failed:\n{done.stdout}\n{done.stderr}"
    return done


def _free_port() -> int:
    """A free TCP port on loopback (honcho gives the web process this one)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _copy_source(target: Path) -> None:
    """The checkout's files as a fresh clone would have them (ignored files such as the compiled
    .mo catalogs and the virtualenv left out), without the tests."""
    listed = _run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=CHECKOUT).stdout
    for name in filter(None, listed.split("\0")):
        source = CHECKOUT / name
        if name.startswith("tests/") or not source.is_file():
            continue
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        (target / name).write_bytes(source.read_bytes())


def _make_virtualenv(venv: Path) -> Path:
    """A clean virtualenv whose dependencies are the checkout virtualenv's, found after its own
    site-packages; returns its python."""
    _run([sys.executable, "-m", "venv", str(venv)])
    python = venv / "bin" / "python"
    purelib = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    site = Path(_run([str(python), "-c", purelib]).stdout.strip())
    (site / "zz_soporte_test_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    for name, entry in SCRIPTS.items():
        script = venv / "bin" / name
        script.write_text(f"#!{python}\nimport sys\n{entry}\nsys.exit(main())\n")
        script.chmod(0o755)
    return python


def _environment_file(path: Path, database_url: str, state: Path, port: int) -> None:
    """deploy/soporte.env.example with this machine's database, folders, mail and port."""
    local = {
        "DATABASE_URL": database_url,
        "SECRET_KEY": "a-test-secret-key-that-is-not-a-constant-of-the-code",
        "SOPORTE_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "SOPORTE_BASE_URL": f"http://127.0.0.1:{port}",
        "SOPORTE_INSTANCE_DIR": str(state),
        "SOPORTE_ATTACHMENT_DIR": str(state / "attachments"),
        "SOPORTE_MAIL_DIR": str(state / "mail"),
        "SOPORTE_INBOX_URL": f"maildir://{state / 'inbox'}",
        "SOPORTE_SMTP_URL": f"file://{state / 'outbox'}",
        "SOPORTE_RATELIMIT_STORAGE_URI": "memory://",
        "SOPORTE_PROXY_HOPS": "0",
        "WEB_CONCURRENCY": "2",
        "PORT": str(port),
    }
    lines = []
    for line in (CHECKOUT / "deploy" / "soporte.env.example").read_text().splitlines():
        key = line.split("=", 1)[0]
        lines.append(f"{key}={local.pop(key)}" if key in local else line)
    assert not local, f"deploy/soporte.env.example lacks {sorted(local)}"
    path.write_text("\n".join(lines) + "\n")


class Browser:
    """Plain HTTP with cookies kept by hand: production cookies are Secure, and this server
    speaks plain HTTP on loopback."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: str | None = None) -> tuple[int, str, dict]:
        """One request; returns the status, the body and the headers."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        for header in response.headers.get_all("Set-Cookie") or []:
            name, value = header.split(";", 1)[0].split("=", 1)
            self.cookies[name] = value
        text = response.read().decode()
        connection.close()
        return response.status, text, dict(response.headers)


PROCESSES = ("web", "poller", "outbox", "webhooks", "sla")


class Honcho:
    """`honcho start` in its own process group, its output read as it comes by a thread.

    honcho's SIGTERM handler fails (KeyError, a traceback, its children left running) when the
    signal comes before it has recorded every process's start, so the test waits for all five
    "started" lines first; and whatever happens, honcho's group and each of its processes'
    groups are killed at the end."""

    def __init__(self, args: list, **kwargs):
        self.process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                        text=True, start_new_session=True, **kwargs)
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def wait_for(self, pattern: str, seconds: float) -> None:
        """Wait until the output has a line matching pattern (failing on honcho's exit)."""
        deadline = time.monotonic() + seconds
        while not re.search(pattern, self.output, re.MULTILINE):
            assert self.process.poll() is None, self.output
            if time.monotonic() > deadline:
                pytest.fail(f"no line matching {pattern!r} within {seconds} s:\n{self.output}")
            time.sleep(0.2)

    def stop(self, seconds: float = 120) -> int:
        """SIGTERM to honcho; its return code once it and every child's output are done."""
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=seconds)
            self._reader.join(timeout=seconds)  # a child still holding the output: asserted below
        except subprocess.TimeoutExpired:
            processes = subprocess.run(["ps", "-eo", "pid,ppid,pgid,stat,wchan:24,etime,args"],
                                       capture_output=True, text=True).stdout
            pytest.fail(f"honcho did not stop within {seconds} s of SIGTERM:\n{self.output}\n"
                        f"processes then:\n{processes}")
        finally:
            if self.process.poll() is None or self._reader.is_alive():
                os.killpg(self.process.pid, signal.SIGKILL)
                self._kill_its_processes()
        assert not self._reader.is_alive(), f"a child outlived honcho:\n{self.output}"
        return self.process.returncode

    def _kill_its_processes(self) -> None:
        """Each process honcho started, with its children: honcho gives each a session (a
        process group) of its own, which the kill of honcho's group does not reach."""
        for pid in re.findall(r"started \(pid=(\d+)\)", self.output):
            try:
                os.killpg(int(pid), signal.SIGKILL)
            except ProcessLookupError:
                pass


def _wait_until_serving(browser: Browser, honcho: Honcho) -> None:
    """Wait for gunicorn's answer to /healthz (or honcho's early exit); generous, as five
    processes import the app at once on a machine busy with the rest of the suite."""
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        assert honcho.process.poll() is None, honcho.output
        try:
            if browser.request("GET", "/healthz")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    pytest.fail("gunicorn did not answer within 180 s")


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The wheel built from a clean copy of the source and installed into a new virtualenv;
    returns the folder holding the source copy (its Procfile) and the virtualenv."""
    root = tmp_path_factory.mktemp("deploy")
    source, outside = root / "src", root / "outside"
    source.mkdir()
    outside.mkdir()
    _copy_source(source)
    assert not list(source.rglob("*.mo")), "the build must compile the catalogs itself"
    _run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
          "--no-index", "--disable-pip-version-check", "-w", str(root / "dist"), str(source)])
    wheel = next((root / "dist").glob("soporte-*.whl"))
    python = _make_virtualenv(root / "venv")
    _run([str(python), "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
          "--disable-pip-version-check", str(wheel)])
    where = _run([str(python), "-c", "import app, wsgi; print(app.__file__, wsgi.__file__)"],
                 cwd=outside, env=_environ(root)).stdout
    assert str(CHECKOUT) not in where and str(source) not in where, where
    assert str(root / "venv") in where, where
    return root


def _environ(root: Path) -> dict[str, str]:
    """A clean environment whose commands are the new virtualenv's, with honcho's output
    unbuffered as docs/deployment.md runs it (buffered, a SIGTERM that came while honcho
    printed a line ended it with "reentrant call inside BufferedWriter", its processes left
    running: twice in CI)."""
    return {"PATH": f"{root / 'venv' / 'bin'}:/usr/bin:/bin", "HOME": str(root),
            "LANG": "C.UTF-8", "PYTHONUNBUFFERED": "1"}


def test_an_installed_copy_runs_the_procfile_and_shows_the_dashboard_in_spanish(
        installed, scratch_url, tmp_path):
    state, run_dir = tmp_path / "state", tmp_path / "run"
    for folder in (state, run_dir):
        folder.mkdir()
    environ = _environ(installed)
    port = _free_port()
    env_file = tmp_path / "soporte.env"
    _environment_file(env_file, scratch_url, state, port)
    honcho = [str(installed / "venv" / "bin" / "honcho"), "-e", str(env_file)]
    _run([*honcho, "run", "flask", "db", "upgrade"], cwd=run_dir, env=environ)
    _run([*honcho, "run", "flask", "users", "create", "--email", ADMIN, "--role", "ADMIN",
          "--password-stdin"], cwd=run_dir, env=environ, input=PASSWORD + "\n")

    procfile = installed / "src" / "Procfile"
    server = Honcho([*honcho, "-f", str(procfile), "start"], cwd=run_dir, env=environ)
    try:
        browser = Browser(port)
        _wait_until_serving(browser, server)
        status, page, _ = browser.request("GET", "/login")
        assert status == 200 and "Iniciar sesión" in html.unescape(page), page[:2000]
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        status, _, headers = browser.request(
            "POST", "/login", f"csrf_token={token}&email={ADMIN}&password={PASSWORD}")
        assert status == 302, (status, headers)
        status, dashboard, headers = browser.request("GET", headers["Location"])
        if status == 302:  # the home page sends to the ticket list
            status, dashboard, _ = browser.request("GET", headers["Location"])
        assert status == 200 and "Cerrar sesión" in html.unescape(dashboard), dashboard[:2000]
        stylesheet = re.search(r'href="(/static/[^"]+\.css[^"]*)"', dashboard).group(1)
        assert browser.request("GET", stylesheet)[0] == 200
        for name in PROCESSES:
            server.wait_for(rf"system +\| {name}\.1 started", 60)
        # honcho stops every process when one exits: all five are still running.
        assert server.process.poll() is None, server.output
    finally:
        returncode = server.stop()
    output = server.output
    assert returncode == 128 + signal.SIGTERM, output
    for name in PROCESSES:
        assert re.search(rf"{name}\.1 +stopped", output), output
    assert len(re.findall(r"Booting worker with pid", output)) == 2, output  # WEB_CONCURRENCY
    assert "Shutting down: Master" in output, output
    assert "Traceback" not in output, output
