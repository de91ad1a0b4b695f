"""Showing a customer's email safely: HTML sanitized with nh3, cid: images resolved only within
the same message, remote images dropped, quoted history folded but kept, every image given a
text alternative (a screen reader says there is one)."""
from __future__ import annotations

import html as html_module
import re
from html.parser import HTMLParser
from typing import Callable

import nh3
from flask_babel import lazy_gettext as _l

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "col", "colgroup", "dd", "del",
    "details", "div", "dl", "dt", "em", "font", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i",
    "img", "ins", "li", "ol", "p", "pre", "s", "small", "span", "strike", "strong", "sub",
    "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
}
ALLOWED_ATTRIBUTES = {
    "*": {"title", "dir", "lang", "align"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
    "font": {"color"},
}
DROP_WITH_CONTENT = {"script", "style", "head", "title", "noscript", "iframe", "object", "embed",
                     "template", "svg", "math"}
# An <img> of the sanitizer's output (it writes every tag alike) that has no alt attribute.
_IMAGE_WITHOUT_ALT = re.compile(r"<img(?![^>]*\salt=)")
IMAGE_ALT = _l("Image in the email")


def safe_html(html: str | None, cid_url: Callable[[str], str | None]) -> str:
    """Sanitized HTML for display. `cid_url(content_id)` gives the URL of an inline image of this
    same message (or None); every other image source is dropped (no tracking, no remote fetch)."""
    if not html:
        return ""

    def keep(tag: str, attribute: str, value: str) -> str | None:
        if tag == "img" and attribute == "src":
            if value.lower().startswith("cid:"):
                return cid_url(value[4:].strip("<>"))
            return None
        if tag == "a" and attribute == "href" and value.lower().startswith("cid:"):
            return None
        return value

    clean = nh3.clean(html, tags=ALLOWED_TAGS, clean_content_tags=DROP_WITH_CONTENT,
                      attributes=ALLOWED_ATTRIBUTES, attribute_filter=keep,
                      url_schemes={"http", "https", "mailto", "cid"},
                      link_rel="noopener noreferrer nofollow")
    return _IMAGE_WITHOUT_ALT.sub(f'<img alt="{html_module.escape(str(IMAGE_ALT))}"', clean)


_QUOTE_HEADER = re.compile(
    r"^(?:On .{3,300} wrote:|El .{3,300} escribi[oó]:|-{2,}\s*(?:Original Message|Mensaje original)"
    r"\s*-{2,}|(?:From|De):\s.+)\s*$", re.IGNORECASE)


def split_quoted(text: str) -> tuple[str, str]:
    """(what the sender wrote, the quoted history below it); the history is kept, only folded."""
    lines = (text or "").splitlines()
    for index, line in enumerate(lines):
        stripped = line.strip()
        rest = lines[index:]
        if _QUOTE_HEADER.match(stripped) or (
                stripped.startswith(">") and all(not l.strip() or l.lstrip().startswith(">")
                                                for l in rest)):
            if index == 0:
                break  # all quote: show it all
            return "\n".join(lines[:index]).rstrip(), "\n".join(rest).strip()
    return (text or "").rstrip(), ""


def written_part(text: str | None, html: str | None = None) -> str:
    """What the sender wrote in this message, as plain text, without the quoted history nor
    lines quoted with ">" (empty when it is all quote): from the text part, or from the HTML
    when there is none. For reading a reply's words (its commands), not for showing it."""
    if not (text or "").strip() and html:
        offset = _quote_offset(html)
        own = nh3.clean(html[:offset] if offset is not None else html, tags={"br", "p", "div"},
                        clean_content_tags=DROP_WITH_CONTENT, attributes={})
        text = html_module.unescape(re.sub(r"<[^>]*>", "\n", own))
    lines = (text or "").splitlines()
    first = next((line.strip() for line in lines if line.strip()), "")
    if _QUOTE_HEADER.match(first):
        return ""  # a reply that only quotes: nothing of its own
    visible, _quoted = split_quoted(text or "")
    return "\n".join(line for line in visible.splitlines() if not line.lstrip().startswith(">"))


def _is_quote_start(tag: str, attrs: dict[str, str]) -> bool:
    """The element where a mail program puts the quoted history: Gmail, Apple Mail and
    Thunderbird (blockquote type=cite, moz-cite-prefix), Outlook (divRplyFwdMsg,
    appendonsend, stopSpelling), Yahoo."""
    classes = set((attrs.get("class") or "").split())
    element_id = attrs.get("id") or ""
    return bool(
        (tag == "div" and classes & {"gmail_quote", "gmail_quote_container", "moz-cite-prefix",
                                     "yahoo_quoted"})
        or (tag == "blockquote" and (attrs.get("type") or "").lower() == "cite")
        or (tag == "div" and element_id in ("divRplyFwdMsg", "appendonsend"))
        or (tag == "hr" and element_id == "stopSpelling"))


class _QuoteFinder(HTMLParser):
    """Finds where the first quote element starts, as (line, column) of the raw HTML."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.position: tuple[int, int] | None = None

    def handle_starttag(self, tag, attrs):
        if self.position is None and _is_quote_start(tag, {k: v or "" for k, v in attrs}):
            self.position = self.getpos()


def _quote_offset(html: str) -> int | None:
    finder = _QuoteFinder()
    try:
        finder.feed(html)
        finder.close()
    except Exception:  # the stdlib parser is lenient; anything odd means: no folding
        return None
    if finder.position is None:
        return None
    line, column = finder.position
    offset = 0
    for _ in range(line - 1):  # the parser counts lines by "\n" only
        offset = html.index("\n", offset) + 1
    return offset + column


def split_quoted_html(html: str | None, cid_url: Callable[[str], str | None]) -> tuple[str, str]:
    """(what the sender wrote, the quoted history), each sanitized HTML (see safe_html); the
    history is kept, only folded. Split where the mail program's quote element begins; the
    sanitizer closes what the split leaves open."""
    offset = _quote_offset(html or "")
    if not offset:
        return safe_html(html, cid_url), ""
    visible, quoted = safe_html(html[:offset], cid_url), safe_html(html[offset:], cid_url)
    if not html_module.unescape(nh3.clean(visible, tags={"img"})).strip():
        return safe_html(html, cid_url), ""  # nothing but the quote: show it all
    return visible, quoted
