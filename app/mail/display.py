"""Showing a customer's email safely: HTML sanitized with nh3, cid: images resolved only within
the same message, remote images dropped, quoted history folded but kept."""
from __future__ import annotations

import re
from typing import Callable

import nh3

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

    return nh3.clean(html, tags=ALLOWED_TAGS, clean_content_tags=DROP_WITH_CONTENT,
                     attributes=ALLOWED_ATTRIBUTES, attribute_filter=keep,
                     url_schemes={"http", "https", "mailto", "cid"}, link_rel="noopener noreferrer nofollow")


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
