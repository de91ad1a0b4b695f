"""The services import each other one way: no service module imports, directly or through
others, a module that imports it back, even from inside a function (the quotes <-> quote_links
cycle was one, hidden by a deferred import). Each can then be read and loaded on its own."""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SERVICES = "app.services"


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, known: set[str]) -> set[str]:
    """Service modules imported anywhere in the module (deferred imports included)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        found.update(name for name in names if name in known)
    return found


def _graph() -> dict[str, set[str]]:
    files = list((ROOT / SERVICES.replace(".", "/")).rglob("*.py"))
    known = {_module_name(p) for p in files}
    return {_module_name(p): _imports(p, known) for p in files}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every cycle found by a depth-first walk (each reported once, from its smallest module)."""
    found, seen = [], set()

    def walk(node, path, on_path):
        for nxt in sorted(graph.get(node, ())):
            if nxt in on_path:
                cycle = path[path.index(nxt):]
                key = tuple(sorted(cycle))
                if key not in seen:
                    seen.add(key)
                    found.append(cycle + [nxt])
            elif len(path) < 12:
                walk(nxt, path + [nxt], on_path | {nxt})

    for start in sorted(graph):
        walk(start, [start], {start})
    return found


def test_the_graph_sees_the_services():
    graph = _graph()
    assert "app.services.quote_links" in graph["app.services.quotes"]


def test_no_service_imports_itself_back():
    assert _cycles(_graph()) == []
