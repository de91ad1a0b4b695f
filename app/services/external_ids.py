"""The key another system (the company's ERP) knows a client, contact, contract or project by
(`external_id`): its one rule, the lookup by it, and the upsert every kind shares.

An external id is optional (none: None, or only spaces). When given it is trimmed, from 1 to
EXTERNAL_ID_MAX characters, without control characters (tab, newline, NUL, DEL: Unicode's
category Cc) or unpaired surrogates; any other character is allowed, "/" included. It is a
machine's key, not a name a person types, so it is compared exactly, letter case included
("C-001" and "c-001" are two keys, as the ERP has them), which is also what the database's
unique index enforces: the check here and the index cannot disagree. A key another row of the
kind has is refused the way a taken name is: ValidationFailed on the field external_id (422).
"""
from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import TypeVar

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.extensions import db
from app.models.client import Client, Contact, Contract, Project
from app.services.control_characters import fits_one_line
from app.services.errors import ValidationFailed
from app.services.uniqueness import taken_by_another

EXTERNAL_ID_MAX = 100
FIELD = "external_id"

R = TypeVar("R", Client, Contact, Contract, Project)
F = TypeVar("F")  # the kind's fields (ClientFields, ContactFields, …): a frozen dataclass

_TAKEN = {  # the refusal of a taken key, per kind
    Client: lambda key: _l("Another client already has the external id %(external_id)s: "
                           "change that client, or remove its external id first.",
                           external_id=key),
    Contact: lambda key: _l("Another contact already has the external id %(external_id)s: "
                            "change that contact, or remove its external id first.",
                            external_id=key),
    Contract: lambda key: _l("Another contract already has the external id %(external_id)s: "
                             "change that contract, or remove its external id first.",
                             external_id=key),
    Project: lambda key: _l("Another project already has the external id %(external_id)s: "
                            "change that project, or remove its external id first.",
                            external_id=key),
}


def tidy_external_id(value: str | None) -> str | None:
    """The external id as stored: trimmed, None when there is none. Raises ValidationFailed
    (external_id) for a control character or more than EXTERNAL_ID_MAX characters."""
    if value is None:
        return None
    if not fits_one_line(value) or any(unicodedata.category(char) == "Cs" for char in value):
        raise ValidationFailed(_l("An external id cannot hold control characters (such as a "
                                  "tab or a line break)."), field=FIELD)
    key = value.strip()
    if len(key) > EXTERNAL_ID_MAX:
        raise ValidationFailed(_l("An external id has at most %(max)d characters.",
                                  max=EXTERNAL_ID_MAX), field=FIELD)
    return key or None


def required_external_id(value: str | None) -> str:
    """The external id an upsert names (tidy_external_id), which cannot be none. Raises
    ValidationFailed (external_id)."""
    key = tidy_external_id(value)
    if key is None:
        raise ValidationFailed(_l("Write the external id."), field=FIELD)
    return key


def free_external_id(model: type[R], value: str | None, row: R | None) -> str | None:
    """The external id to store on `row` (None for a new one): tidy and no other row's of the
    kind. Raises ValidationFailed (external_id)."""
    key = tidy_external_id(value)
    if key is not None and taken_by_another(model.external_id, key, row, ignore_case=False):
        raise ValidationFailed(_TAKEN[model](key), field=FIELD)
    return key


def with_external_id(model: type[R], value: str | None) -> R | None:
    """The row of the kind whose external id this is (tidied, exactly), if any. Raises
    ValidationFailed (external_id) for a value that cannot be an external id."""
    key = tidy_external_id(value)
    if key is None:
        return None
    return db.session.scalar(select(model).where(model.external_id == key))


def upsert(model: type[R], external_id: str | None, changes: Mapping[str, object], *,
           fields_of: Callable[[R], F], blank: F, save: Callable[[R | None, F], R]
           ) -> tuple[R, bool]:
    """Create or change the row of the kind with this external id, the one upsert every kind
    shares. The kind gives its specifics: `fields_of(row)` its fields as they are now (what a
    partial change starts from), `blank` the fields of a new row, and `save(row, fields)` its
    save (row None: create). Only the fields named in `changes` change, and the external id
    stays this one. Returns the row and whether it was created. Sending the same values again
    changes nothing (idempotent). Raises ValidationFailed (external_id) and whatever the save
    raises."""
    key = required_external_id(external_id)
    row = with_external_id(model, key)
    now = fields_of(row) if row is not None else blank
    return save(row, replace(now, **{**changes, "external_id": key})), row is None
