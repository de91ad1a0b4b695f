"""Add Spanish translations to app/translations/es/LC_MESSAGES/messages.po (a maintainer's tool).

Reads lines `English msgid | traducción` from stdin; a msgid already translated is replaced.
A plural (ngettext) is `singular || plural | singular en español || plural en español`.
Safe when several people (or helpers) run it at once: the catalog is locked while it changes.
Then run `make -s translations` to compile. tests/unit/test_catalogs.py names what is missing.
"""
import fcntl
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

PO = Path(__file__).resolve().parents[1] / "app/translations/es/LC_MESSAGES/messages.po"


def main() -> None:
    pairs = []
    for line in sys.stdin:
        if not line.strip():
            continue
        msgid, sep, spanish = line.rstrip("\n").partition(" | ")
        if not sep:
            sys.exit(f"not `msgid | traducción`: {line!r}")
        msgid, spanish = msgid.strip(), spanish.strip()
        if " || " in msgid:
            msgid, spanish = tuple(msgid.split(" || ")), tuple(spanish.split(" || "))
        pairs.append((msgid, spanish))
    with open(PO.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        with PO.open("rb") as handle:
            catalog = read_po(handle)
        for msgid, spanish in pairs:
            flags = ["python-format"] if "%(" in str(msgid) else []
            key = msgid[0] if isinstance(msgid, tuple) else msgid
            if key in catalog:
                catalog[key].string = spanish
                catalog[key].flags.discard("fuzzy")
            else:
                catalog.add(msgid, spanish, flags=flags)
        with PO.open("wb") as handle:
            write_po(handle, catalog, width=100)
    print(f"{len(pairs)} translation(s) written to {PO.name}")


if __name__ == "__main__":
    main()
