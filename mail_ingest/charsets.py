"""Text from mail's bytes whatever their label says: the one fallback chain for bodies, header
encoded-words, raw 8-bit headers and filenames, so the customer's words read as written wherever
a valid reading exists.

The chain, each step strict (a reading with a C1 control or an ISO-2022 escape is no
reading):
1. a byte order mark, then the label as browsers read it (WHATWG Encoding Standard: iso-8859-1
   and us-ascii are windows-1252, gb2312 is GBK read by the gb18030 decoder, big5 is
   Big5-HKSCS, ks_c_5601-1987 and euc-kr are windows-949, tis-620 is windows-874, shift_jis is
   windows-31j, iso-2022-jp with the NEC and IBM rows); a label the standard does not know but
   Python does (cp850, utf-7…) is read with Python's codec;
2. UTF-8 (RFC 6532 headers and the most common truth behind a wrong label); valid UTF-8 whose
   only fault is C1 characters has them read as windows-1252 (after the hint);
3. a hint, for bytes without a label (raw 8-bit headers and names: the body's label);
4. ISO-2022 by its escape sequences, then charset-normalizer among the charsets mail is written
   in: fewest odd words (mixed scripts, a capital after a small letter), then the least messy
   reading, then the charset most common in mail;
5. windows-1252 with replacement characters (never C1 controls).
"""
from __future__ import annotations

import codecs
import email.header
import functools
import re
import unicodedata

from charset_normalizer import from_bytes

_WHATWG: dict[str, tuple[str, ...]] = {  # Python codec(s) → the labels that name it
    "utf-8": ("unicode-1-1-utf-8", "unicode11utf8", "unicode20utf8", "utf-8", "utf8",
              "x-unicode20utf8"),
    "cp866": ("866", "cp866", "csibm866", "ibm866"),
    "iso8859_2": ("csisolatin2", "iso-8859-2", "iso-ir-101", "iso8859-2", "iso88592",
                  "iso_8859-2", "iso_8859-2:1987", "l2", "latin2"),
    "iso8859_3": ("csisolatin3", "iso-8859-3", "iso-ir-109", "iso8859-3", "iso88593",
                  "iso_8859-3", "iso_8859-3:1988", "l3", "latin3"),
    "iso8859_4": ("csisolatin4", "iso-8859-4", "iso-ir-110", "iso8859-4", "iso88594",
                  "iso_8859-4", "iso_8859-4:1988", "l4", "latin4"),
    "iso8859_5": ("csisolatincyrillic", "cyrillic", "iso-8859-5", "iso-ir-144", "iso8859-5",
                  "iso88595", "iso_8859-5", "iso_8859-5:1988"),
    "iso8859_6": ("arabic", "asmo-708", "csiso88596e", "csiso88596i", "csisolatinarabic",
                  "ecma-114", "iso-8859-6", "iso-8859-6-e", "iso-8859-6-i", "iso-ir-127",
                  "iso8859-6", "iso88596", "iso_8859-6", "iso_8859-6:1987"),
    "iso8859_7": ("csisolatingreek", "ecma-118", "elot_928", "greek", "greek8", "iso-8859-7",
                  "iso-ir-126", "iso8859-7", "iso88597", "iso_8859-7", "iso_8859-7:1987",
                  "sun_eu_greek"),
    "iso8859_8": ("csiso88598e", "csisolatinhebrew", "hebrew", "iso-8859-8", "iso-8859-8-e",
                  "iso-ir-138", "iso8859-8", "iso88598", "iso_8859-8", "iso_8859-8:1988",
                  "visual", "csiso88598i", "iso-8859-8-i", "logical"),
    "iso8859_10": ("csisolatin6", "iso-8859-10", "iso-ir-157", "iso8859-10", "iso885910", "l6",
                   "latin6"),
    "iso8859_13": ("iso-8859-13", "iso8859-13", "iso885913"),
    "iso8859_14": ("iso-8859-14", "iso8859-14", "iso885914"),
    "iso8859_15": ("csisolatin9", "iso-8859-15", "iso8859-15", "iso885915", "iso_8859-15", "l9"),
    "iso8859_16": ("iso-8859-16",),
    "koi8_r": ("cskoi8r", "koi", "koi8", "koi8-r", "koi8_r"),
    "koi8_u": ("koi8-ru", "koi8-u"),
    "mac_roman": ("csmacintosh", "mac", "macintosh", "x-mac-roman"),
    "cp874": ("dos-874", "iso-8859-11", "iso8859-11", "iso885911", "tis-620", "windows-874"),
    "cp1250": ("cp1250", "windows-1250", "x-cp1250"),
    "cp1251": ("cp1251", "windows-1251", "x-cp1251"),
    "cp1252": ("ansi_x3.4-1968", "ascii", "cp1252", "cp819", "csisolatin1", "ibm819",
               "iso-8859-1", "iso-ir-100", "iso8859-1", "iso88591", "iso_8859-1",
               "iso_8859-1:1987", "l1", "latin1", "us-ascii", "windows-1252", "x-cp1252"),
    "cp1253": ("cp1253", "windows-1253", "x-cp1253"),
    "cp1254": ("cp1254", "csisolatin5", "iso-8859-9", "iso-ir-148", "iso8859-9", "iso88599",
               "iso_8859-9", "iso_8859-9:1989", "l5", "latin5", "windows-1254", "x-cp1254"),
    "cp1255": ("cp1255", "windows-1255", "x-cp1255"),
    "cp1256": ("cp1256", "windows-1256", "x-cp1256"),
    "cp1257": ("cp1257", "windows-1257", "x-cp1257"),
    "cp1258": ("cp1258", "windows-1258", "x-cp1258"),
    "mac_cyrillic": ("x-mac-cyrillic", "x-mac-ukrainian"),
    "gb18030": ("chinese", "csgb2312", "csiso58gb231280", "gb2312", "gb_2312", "gb_2312-80",
                "gbk", "iso-ir-58", "x-gbk", "gb18030"),
    "big5hkscs": ("big5", "big5-hkscs", "cn-big5", "csbig5", "x-x-big5"),
    "euc_jp euc_jis_2004": ("cseucpkdfmtjapanese", "euc-jp", "x-euc-jp"),
    "iso-2022-jp": ("csiso2022jp", "iso-2022-jp"),
    "cp932": ("csshiftjis", "ms932", "ms_kanji", "shift-jis", "shift_jis", "sjis", "windows-31j",
              "x-sjis"),
    "cp949": ("cseuckr", "csksc56011987", "euc-kr", "iso-ir-149", "korean", "ks_c_5601-1987",
              "ks_c_5601-1989", "ksc5601", "ksc_5601", "windows-949"),
    # browsers refuse these three (script injection in web pages); in mail they are text
    "iso2022_kr": ("csiso2022kr", "iso-2022-kr"),
    "hz": ("hz-gb-2312",),
    "utf_16_be": ("unicodefffe", "utf-16be"),
    "utf_16_le": ("csunicode", "iso-10646-ucs-2", "ucs-2", "unicode", "unicodefeff", "utf-16",
                  "utf-16le"),
}
_BY_LABEL = {label: tuple(names.split()) for names, labels in _WHATWG.items() for label in labels}
# Python codecs that are not text charsets a mail program would write
_NOT_CHARSETS = {"unicode_escape", "raw_unicode_escape", "idna", "punycode", "undefined",
                 "palmos", "mbcs", "oem"}
# The charsets mail is written in, the most common first (the detector's candidates).
_CANDIDATES = ("cp1252", "koi8_r", "cp1251", "gb18030", "cp932", "big5hkscs", "euc_jp", "cp949",
               "cp1250", "cp1253", "cp1254", "cp1257", "cp1255", "cp1256", "cp874", "koi8_u")
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf_16_le"),
         (codecs.BOM_UTF16_BE, "utf_16_be"))
# C1 controls: a wrong reading; ISO-2022 escapes: an undecoded ISO-2022 text (a terminal's
# colour codes, ESC [, are text that was pasted)
_NOT_TEXT = re.compile("[\x80-\x9f]|\x1b[$()]")
_C1 = re.compile("[\x80-\x9f]")


def decode_text(data: bytes, label: str | None, hint: str | None = None) -> str:
    """The text of the bytes by the chain above; never raises, never returns a C1 control."""
    if not data:
        return ""
    codecs_of_label = _codecs(label)
    if data.isascii() and b"\x1b" not in data and all(map(_ascii_compatible, codecs_of_label)):
        return data.decode("ascii")
    for bom, codec in _BOMS:
        if data.startswith(bom):
            text = _strict(data[len(bom):], codec)
            if text is not None:
                return text
    # UTF-8 labelled as a single-byte charset (a common misconfiguration): valid multi-byte UTF-8
    # is almost never real Latin-1/KOI8 text ("Ã©" is not a word), so UTF-8 reads it as written.
    first = ("utf-8",) if codecs_of_label and all(map(_single_byte, codecs_of_label)) else ()
    for codec in first + codecs_of_label + ("utf-8",) + _codecs(hint):
        text = _strict(data, codec)
        if text is not None:
            return text
    text = _utf8_with_c1(data)
    if text is not None:
        return text
    text = _detect(data)
    if text is not None:
        return text
    return data.decode("cp1252", "replace")  # the five undefined bytes become U+FFFD


def _codecs(label: str | None) -> tuple[str, ...]:
    """The Python codecs for a label: WHATWG's reading, else Python's own text codec, else none."""
    if not label:
        return ()
    label = label.strip().strip("\"'").split("*")[0].strip().lower()  # RFC 2231 language part
    if label in _BY_LABEL:
        return _BY_LABEL[label]
    try:
        info = codecs.lookup(label)
    except (LookupError, ValueError):
        return ()
    if not getattr(info, "_is_text_encoding", True) or info.name in _NOT_CHARSETS:
        return ()
    return (info.name,)


@functools.lru_cache(maxsize=None)
def _single_byte(codec: str) -> bool:
    """Whether the codec reads every byte as one character (windows-1252, ISO-8859-x, KOI8 …)."""
    try:
        return len(bytes(range(256)).decode(codec, "replace")) == 256
    except LookupError:
        return False


def _ascii_compatible(codec: str) -> bool:
    """Whether ASCII bytes read as ASCII in the codec (not UTF-16, UTF-7, ISO-2022, HZ)."""
    name = codec.replace("-", "_")
    return not name.startswith(("utf_16", "utf_32", "utf_7")) and "2022" not in name and \
        name != "hz"


def _utf8_with_c1(data: bytes) -> str | None:
    """Valid UTF-8 whose C1 characters are windows-1252 punctuation decoded as Latin-1 somewhere
    upstream (U+0092 for ’): the text as written, those characters read as windows-1252."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if _NOT_TEXT.search(_C1.sub("", text)):
        return None
    return _C1.sub(lambda m: bytes([ord(m.group())]).decode("cp1252", "replace"), text)


def _strict(data: bytes, codec: str) -> str | None:
    """The reading of the bytes in one charset, or None when they are not valid text in it."""
    try:
        text = decode_iso2022jp(data) if codec == "iso-2022-jp" else data.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None
    # ISO-2022 is 7-bit: its escapes in 8-bit text are pasted terminal output, not a charset.
    return None if (_NOT_TEXT if data.isascii() else _C1).search(text) else text


def _detect(data: bytes) -> str | None:
    """ISO-2022 by its escapes, else the detector's least messy reading among mail's charsets."""
    if b"\x1b" in data:
        for codec in ("iso-2022-jp", "iso2022_kr", "iso2022_jp_2"):
            text = _strict(data, codec)
            if text is not None:
                return text
    try:
        matches = list(from_bytes(data, cp_isolation=list(_CANDIDATES)))
    except Exception:  # a detector failure must not lose the message
        return None
    readings = []
    for match in matches:
        text = _strict(data, match.encoding)
        if text is not None and match.encoding in _CANDIDATES:
            readings.append((_mixed_words(text), round(match.chaos, 2),
                             _CANDIDATES.index(match.encoding), text))
    return min(readings)[-1] if readings else None


_SCRIPTS = {"LATIN", "CYRILLIC", "GREEK", "ARABIC", "HEBREW", "THAI", "ARMENIAN", "GEORGIAN"}
_EAST_ASIAN = {"CJK", "HIRAGANA", "KATAKANA", "HANGUL", "HALFWIDTH", "FULLWIDTH", "IDEOGRAPHIC"}


def _mixed_words(text: str) -> int:
    """How many words mix scripts ("Cafй") or put a capital after a small letter ("óÞ£Ô"):
    people rarely write so, and a wrong reading of a legacy charset often does (KOI8-R and
    windows-1251 keep their capitals where the other keeps small letters)."""
    mixed = 0
    for word in re.findall(r"[^\W\d_]+", text):
        if any(a.islower() and b.isupper() for a, b in zip(word, word[1:])):
            mixed += 1
            continue
        scripts = set()
        for ch in word:
            script = unicodedata.name(ch, "?").split()[0]
            if script in _EAST_ASIAN:
                scripts.add("EAST_ASIAN")
            elif script in _SCRIPTS:
                scripts.add(script)
        mixed += len(scripts) > 1
    return mixed


def decode_words(value: str, hint: str | None = None) -> str:
    """A header with its RFC 2047 encoded-words decoded, each by the chain; spaces folded."""
    if _has_escaped_bytes(value) or "=?" not in value:
        return header_text(value, hint)
    try:
        pieces = []
        for chunk, charset in email.header.decode_header(value):
            if isinstance(chunk, bytes):
                chunk = decode_text(chunk, charset, None if charset else hint)
            pieces.append(chunk)
        return header_text("".join(pieces))
    except Exception:  # a malformed encoded-word: show it as it came
        return header_text(value, hint)


def _has_escaped_bytes(value: str) -> bool:
    """Whether the value holds 8-bit bytes (the parser keeps them as lone surrogates)."""
    return any(0xDC80 <= ord(ch) <= 0xDCFF for ch in value)


def header_text(value: str, hint: str | None = None) -> str:
    """A raw header value as text: its 8-bit bytes (surrogate-escaped by the parser) read by
    the chain (UTF-8 as RFC 6532 writes it, else the body's charset, else the detector);
    whitespace folded."""
    if _has_escaped_bytes(value):
        value = decode_text(value.encode("utf-8", "surrogateescape"), None, hint)
    return " ".join(value.split())


# --- ISO-2022-JP as browsers read it: JIS X 0208 with the NEC and IBM rows, half-width katakana

_ESCAPES = {b"(B": "ascii", b"(J": "roman", b"(I": "katakana", b"$@": "jis", b"$B": "jis"}


def decode_iso2022jp(data: bytes) -> str:
    """ISO-2022-JP (RFC 1468) with Microsoft's extensions (CP50220/50221): JIS X 0208 read
    through windows-31j, so the NEC special row (①, ㈱…) and the IBM rows decode; strict."""
    pieces, state, i = [], "ascii", 0
    while i < len(data):
        byte = data[i]
        if byte == 0x1B:
            state = _ESCAPES.get(data[i + 1:i + 3]) or _fail(data, i, "unknown escape")
            i += 3
            continue
        if byte >= 0x80 or byte in (0x0E, 0x0F):
            _fail(data, i, "not 7-bit")
        if byte in (0x0A, 0x0D) and state in ("jis", "katakana"):
            state = "ascii"  # a line break ends a double-byte run (WHATWG)
        if state == "jis":
            if i + 1 >= len(data) or not (0x21 <= byte <= 0x7E and 0x21 <= data[i + 1] <= 0x7E):
                _fail(data, i, "incomplete JIS X 0208 character")
            pieces.append(bytes(_sjis(byte, data[i + 1])).decode("cp932"))
            i += 2
            continue
        if state == "katakana":
            if not 0x21 <= byte <= 0x5F:
                _fail(data, i, "not a half-width katakana")
            pieces.append(bytes([byte + 0x80]).decode("cp932"))
        elif state == "roman" and byte in (0x5C, 0x7E):
            pieces.append("\u00a5" if byte == 0x5C else "\u203e")
        else:
            pieces.append(chr(byte))
        i += 1
    return "".join(pieces)


def _sjis(j1: int, j2: int) -> tuple[int, int]:
    """The Shift_JIS bytes of a JIS X 0208 code (the same table, rearranged)."""
    s1 = ((j1 + 1) >> 1) + (0x70 if j1 < 0x5F else 0xB0)
    if j1 % 2:
        s2 = j2 + 0x1F + (1 if j2 + 0x1F >= 0x7F else 0)
    else:
        s2 = j2 + 0x7E
    return s1, s2


def _fail(data: bytes, at: int, reason: str):
    raise UnicodeDecodeError("iso-2022-jp", data, at, at + 1, reason)
