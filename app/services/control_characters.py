"""The one rule for control characters in text people or programs send, in its two forms:

- one line (a name, a subject's search words, an external id, an address to return to): no
  control character at all: Unicode's category Cc, which is C0 (NUL … US, tab and line breaks
  included), DEL and C1 (U+0080 … U+009F);
- multi-line text (a description, a note, a reply): the same, except tab, line feed and
  carriage return, which are text there.

Each adapter or service that refuses such text uses these (the API's schemas, the dashboard's
parameters, app.services.external_ids), so a value is refused or kept the same way everywhere.
"""
from __future__ import annotations

import re

ONE_LINE_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
"""Any control character (Unicode's category Cc)."""
MULTI_LINE_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
"""Any control character but tab, line feed and carriage return."""


def fits_one_line(text: str | None) -> bool:
    """Whether the text holds no control character at all (tab and line breaks included)."""
    return ONE_LINE_CONTROL.search(text or "") is None


def fits_multi_line(text: str | None) -> bool:
    """Whether the text holds no control character other than tab and line breaks."""
    return MULTI_LINE_CONTROL.search(text or "") is None
