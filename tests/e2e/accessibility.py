"""The accessibility check of the browser tests: axe-core (a pinned npm package that `make test`
unpacks into tests/.vendor/, served only to the tests, never by the app) runs on the page with
the WCAG 2 A and AA rules; a serious or critical violation fails the test."""
from pathlib import Path

AXE = Path(__file__).resolve().parents[1] / ".vendor" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
FAILING_IMPACTS = {"serious", "critical"}


def _axe_source() -> str:
    """axe-core's source; its absence fails (a skipped check would pass silently)."""
    if not AXE.is_file():
        raise AssertionError(
            f"axe-core is missing ({AXE}): run `make test` (or `make tests/.vendor/axe-core/"
            "axe.min.js`), which unpacks the pinned npm package into tests/.vendor/axe-core/")
    return AXE.read_text(encoding="utf-8")


def serious_violations(page) -> list[dict]:
    """axe's serious and critical WCAG 2 A/AA violations on the page once what it loads in place
    (htmx: the canned replies' options, the presence box) has arrived.

    The source goes in through the devtools protocol (page.evaluate), which the app's CSP
    (script-src 'self') does not govern; the app itself never serves axe."""
    page.wait_for_load_state("networkidle")
    page.wait_for_function("() => !document.querySelector('.htmx-request')")
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(_axe_source())
    results = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        WCAG_TAGS)
    return [v for v in results["violations"] if v.get("impact") in FAILING_IMPACTS]


def describe(violations: list[dict]) -> str:
    """One line per violation: rule id, what it asks, the elements (CSS targets) breaking it."""
    lines = []
    for v in violations:
        targets = ", ".join(" ".join(map(str, node["target"])) for node in v["nodes"])
        lines.append(f"{v['id']} ({v['impact']}): {v['help']} -> {targets}")
    return "\n".join(lines)


def check_accessibility(page, where: str = "") -> None:
    """Fail listing every serious or critical WCAG 2 A/AA violation axe finds on the page."""
    violations = serious_violations(page)
    assert not violations, f"accessibility violations on {where or page.url}:\n{describe(violations)}"
