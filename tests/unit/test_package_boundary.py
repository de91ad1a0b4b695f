"""The app and the poller meet only in the composition root (assembly.build_app): no module
under app/ imports mail_ingest, and mail_ingest imports nothing of app.web or app.admin, even
from inside a function."""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _imported_modules(path: Path) -> set[str]:
    """Every module a file imports, anywhere in it (deferred imports included)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def _importers(package: str, forbidden: tuple[str, ...]) -> dict[str, set[str]]:
    """The files of a package that import a forbidden package, with what they import of it."""
    found = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        bad = {name for name in _imported_modules(path)
               if any(name == f or name.startswith(f + ".") for f in forbidden)}
        if bad:
            found[str(path.relative_to(ROOT))] = bad
    return found


def test_the_walk_sees_imports_even_inside_functions(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from mail_ingest.ingest import reprocess\n"
                      "import app.web.inbox\n")
    assert {"mail_ingest.ingest", "app.web.inbox"} <= _imported_modules(sample)


def test_the_app_never_imports_the_poller():
    assert len(list((ROOT / "app").rglob("*.py"))) > 50
    assert _importers("app", ("mail_ingest",)) == {}


def test_the_poller_imports_nothing_of_the_web_or_the_admin():
    assert _importers("mail_ingest", ("app",))  # it does use the app's services…
    assert _importers("mail_ingest", ("app.web", "app.admin")) == {}  # …and nothing else's


def test_the_composition_root_plugs_the_poller_in():
    from app import create_app
    from app.services.mail_triage import PROCESSING_EXTENSION
    from assembly import build_app

    config = {"SQLALCHEMY_DATABASE_URI": "sqlite://"}
    bare, whole = create_app("testing", config), build_app("testing", config)
    assert PROCESSING_EXTENSION not in bare.extensions
    assert "poll" not in bare.cli.commands["mail"].commands
    assert set(whole.cli.commands["mail"].commands) >= {"poll", "send", "log", "retry",
                                                        "rotate-keys", "outbox"}
    from mail_ingest.ingest import reprocess

    assert whole.extensions[PROCESSING_EXTENSION] is reprocess
