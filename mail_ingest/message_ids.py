"""Message-IDs as real mail programs write them, read one way for every header that carries them
(Message-ID, In-Reply-To, References, a bounce's returned ids).

RFC 5322 wants `<left@right>`; clients also write ids without angle brackets, with comments
(`<id> (Carla's message of …)`), folded inside the brackets, or after a quoted phrase.
"""
from __future__ import annotations

import re

MAX_IDS = 50

_BRACKETED = re.compile(r"<([^<>]*)>")
_BARE_SEPARATORS = re.compile(r"[\s,;]+")


def message_ids(value: str) -> list[str]:
    """Every Message-ID in an In-Reply-To, References or Message-ID value, as `<left@right>`,
    in the order written, without repeats (comments and quoted phrases are not ids)."""
    text = _without_comments(value or "")
    found = [re.sub(r"\s+", "", inner) for inner in _BRACKETED.findall(text)]
    outside = _BRACKETED.sub(" ", text)
    outside = re.sub(r'"[^"]*"', " ", outside)  # a quoted phrase ("Your message of …")
    found += [token.strip("'\"") for token in _BARE_SEPARATORS.split(outside) if "@" in token]
    ids, seen = [], set()
    for inner in found:
        if inner and "@" in inner and not inner.startswith("@") and inner not in seen:
            seen.add(inner)
            ids.append(f"<{inner}>")
    return ids[:MAX_IDS]


def _without_comments(value: str) -> str:
    """The value with its (comments) removed; parentheses inside <…> or "…" are kept."""
    out, depth, bracket, quoted = [], 0, False, False
    for ch in value:
        if depth == 0 and ch == '"' and not bracket:
            quoted = not quoted
        elif depth == 0 and not quoted and ch in "<>":
            bracket = ch == "<"
        elif not bracket and not quoted and ch == "(":
            depth += 1
            continue
        elif depth and ch == ")":
            depth -= 1
            continue
        if depth == 0:
            out.append(ch)
    return "".join(out)
