"""The API's docs page (/api/v1/docs) draws the OpenAPI document in a real browser under its
own CSP, loading everything from the app itself (no CDN)."""
from urllib.parse import urlparse


def test_the_docs_page_draws_the_document_from_this_site_only(live_server, page):
    loaded, refused = set(), []
    page.on("requestfinished", lambda r: loaded.add(urlparse(r.url).netloc or r.url[:5]))
    page.on("console", lambda m: refused.append(f"{m.text} {m.location.get('url')}")
            if m.type == "error" else None)
    page.on("pageerror", lambda error: refused.append(str(error)))
    page.goto(f"{live_server}/api/v1/docs")
    page.locator("h2", has_text="Create a ticket; it starts NEW").first.wait_for()
    assert page.get_by_text("/api/v1/tickets/{number}").count() >= 1
    page.get_by_placeholder("Search...").fill("ticket")  # the search runs in its worker
    page.locator('[data-role="search:results"] li').first.wait_for()
    assert loaded <= {urlparse(live_server).netloc, "blob:"}
    # nothing refused: not even ReDoc's "powered by" logo, whose CDN address the vendored bundle
    # no longer has (app/static/vendor/README.md); the one error allowed is the 404 of the
    # browser's own request for /favicon.ico (the app serves no icon)
    assert all("404" in text and text.endswith("/favicon.ico") for text in refused), refused
