"""Addresses of From, Sender, Reply-To, To and Cc, read from the raw header (RFC 5322 §3.4):
the structure is parsed first and display names are decoded only afterwards, so nothing an
encoded-word (RFC 2047) or a quoted name says can become an address.

The header is cut into tokens (quoted strings, comments, domain literals, specials, atoms);
an encoded-word is an atom like any other and is never decoded here. A mailbox is an addr-spec
(local-part "@" domain), or a phrase followed by one angle-addr and nothing else; an element
that is neither (an unbalanced quote, a second angle-addr, text after it) holds no address.
"""
from __future__ import annotations

from dataclasses import dataclass, field

_SPACE = " \t\r\n"
_SPECIALS = '()<>[]:;@\\,."' + _SPACE


@dataclass(frozen=True)
class _Token:
    kind: str  # atom, quoted, comment, literal, special, bad
    text: str
    start: int
    end: int
    spaced: bool  # whitespace before it


@dataclass(frozen=True)
class Mailbox:
    """One mailbox: its display name as written (encoded-words left as they are) and address."""

    name: str
    address: str
    in_group: bool = False


@dataclass
class AddressList:
    """What an address header holds: its mailboxes in order, and the elements that are none."""

    mailboxes: list[Mailbox] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)
    # every element in order: ("mailbox", Mailbox), ("invalid", raw text), ("group", name), ("end", "")
    items: list[tuple[str, Mailbox | str]] = field(default_factory=list)


def parse_address_list(value: str) -> AddressList:
    """Every mailbox of a raw address header (groups flattened, marked), never raising."""
    result = AddressList()
    tokens = _tokens(value)
    element: list[_Token] = []
    group: str | None = None
    depth = 0
    for token in tokens:
        if token.kind == "special" and token.text == "<":
            depth += 1
        elif token.kind == "special" and token.text == ">":
            depth -= 1
        if depth > 0 or token.kind != "special" or token.text not in ",:;":
            element.append(token)
            continue
        if token.text == ":" and group is None:
            group = _phrase(element)
            result.items.append(("group", group))
            element = []
            continue
        _add_element(value, element, group is not None, result)
        element, depth = [], 0
        if token.text == ";" and group is not None:
            group = None
            result.items.append(("end", ""))
    _add_element(value, element, group is not None, result)  # the last one (or an open angle)
    if group is not None:
        result.items.append(("end", ""))
    return result


def _add_element(value: str, element: list[_Token], in_group: bool, result: AddressList) -> None:
    if not element or all(t.kind == "comment" for t in element):
        return
    mailbox = _mailbox(element, in_group)
    raw = value[element[0].start:element[-1].end]
    if mailbox is None:
        result.invalid.append(raw)
        result.items.append(("invalid", raw))
    else:
        result.mailboxes.append(mailbox)
        result.items.append(("mailbox", mailbox))


def _mailbox(tokens: list[_Token], in_group: bool) -> Mailbox | None:
    """The mailbox an element of the list is, or None."""
    if any(t.kind == "bad" for t in tokens):
        return None
    comments = [t.text for t in tokens if t.kind == "comment"]
    tokens = [t for t in tokens if t.kind != "comment"]
    opens = [i for i, t in enumerate(tokens) if t.kind == "special" and t.text == "<"]
    closes = [i for i, t in enumerate(tokens) if t.kind == "special" and t.text == ">"]
    if not opens and not closes:
        address = _addr_spec(tokens)
        name = comments[0] if comments else ""
    elif len(opens) == 1 and len(closes) == 1 and closes[0] == len(tokens) - 1 \
            and opens[0] < closes[0]:
        inner = tokens[opens[0] + 1:closes[0]]
        routes = [i for i, t in enumerate(inner) if t.kind == "special" and t.text == ":"]
        if routes:  # obsolete source route <@a,@b:local@domain>
            inner = inner[routes[-1] + 1:]
        address = _addr_spec(inner)
        name = _phrase(tokens[:opens[0]]) or (comments[0] if comments else "")
    else:
        return None
    return Mailbox(name, address, in_group) if address else None


def _addr_spec(tokens: list[_Token]) -> str:
    """local-part@domain from the tokens, or "" when they are not exactly one."""
    ats = [i for i, t in enumerate(tokens) if t.kind == "special" and t.text == "@"]
    if len(ats) != 1:
        return ""
    local, domain = tokens[:ats[0]], tokens[ats[0] + 1:]
    local_text = _dotted(local, ("atom", "quoted"))
    if len(domain) == 1 and domain[0].kind == "literal":
        domain_text = domain[0].text
    else:
        domain_text = _dotted(domain, ("atom",))
    if not local_text or not domain_text:
        return ""
    address = f"{local_text}@{domain_text}"
    if any(0xDC80 <= ord(ch) <= 0xDCFF for ch in address):  # raw 8-bit: UTF-8 (RFC 6532) or none
        try:
            address = address.encode("utf-8", "surrogateescape").decode("utf-8")
        except UnicodeDecodeError:
            return ""
    return address


def _dotted(tokens: list[_Token], kinds: tuple[str, ...]) -> str:
    """word ("." word)* as text, or "" when the tokens are not that."""
    if not tokens or len(tokens) % 2 == 0:
        return ""
    words = []
    for i, token in enumerate(tokens):
        if i % 2:
            if token.kind != "special" or token.text != ".":
                return ""
        elif token.kind not in kinds:
            return ""
        else:
            words.append(_quote(token.text) if token.kind == "quoted" else token.text)
    return ".".join(words)


def _phrase(tokens: list[_Token]) -> str:
    """A display name as written: words, quoted strings unquoted, spaces kept where they were."""
    pieces = []
    for token in tokens:
        if token.kind == "comment":
            continue
        if pieces and token.spaced:
            pieces.append(" ")
        pieces.append(token.text)
    return "".join(pieces).strip()


def _quote(text: str) -> str:
    """The text as an atom when it can be one, else as a quoted string."""
    if text and not any(ch in _SPECIALS for ch in text):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render(name: str, address: str) -> str:
    """A mailbox as header text that parses back to the same address whatever the name holds."""
    return f"{_quote(name)} <{address}>" if name else address


def _tokens(value: str) -> list[_Token]:
    """The header value cut into RFC 5322 tokens; an unterminated one ends as a "bad" token."""
    tokens: list[_Token] = []
    i, n, spaced = 0, len(value), False
    while i < n:
        ch = value[i]
        if ch in _SPACE:
            i, spaced = i + 1, True
            continue
        if ch in '"([':
            closing = {'"': '"', "(": ")", "[": "]"}[ch]
            end, text = _delimited(value, i, closing)
            if end < 0:
                tokens.append(_Token("bad", value[i:], i, n, spaced))
                return tokens
            kind = {'"': "quoted", "(": "comment", "[": "literal"}[ch]
            tokens.append(_Token(kind, value[i:end] if kind == "literal" else text, i, end,
                                 spaced))
            i = end
        elif ch in _SPECIALS:
            tokens.append(_Token("special", ch, i, i + 1, spaced))
            i += 1
        else:
            j = i
            while j < n and value[j] not in _SPECIALS:
                j += 1
            tokens.append(_Token("atom", value[i:j], i, j, spaced))
            i = j
        spaced = False
    return tokens


def _delimited(value: str, start: int, closing: str) -> tuple[int, str]:
    """(end, content) of a quoted string, (nested) comment or domain literal; end -1 if open."""
    opening, depth, i, content = value[start], 1, start + 1, []
    while i < len(value):
        ch = value[i]
        if ch == "\\" and i + 1 < len(value) and closing != "]":
            content.append(value[i + 1])
            i += 2
            continue
        if ch == opening and opening == "(":
            depth += 1
        elif ch == closing:
            depth -= 1
            if depth == 0:
                return i + 1, "".join(content)
        elif ch in "\r\n":
            i += 1
            continue  # folding inside a quoted string is not part of it
        content.append(ch)
        i += 1
    return -1, ""
