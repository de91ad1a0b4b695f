"""The words of Flask-Admin's own templates, in the app's vocabulary: our catalog first, then
Flask-Admin's "admin" domain.

Flask-Admin ships a Spanish catalog, but some of its words are wrong ("Salvar" for Save, beside
its own "Guardar y …") and it merges an app's admin catalog *before* its own, so its words would
win. Its templates get these functions instead (AdminOnly.render), so a msgid our catalog
translates reads as everywhere else in the app.
"""
from __future__ import annotations

import flask_babel
from flask_admin import babel as flask_admin_babel


def admin_gettext(string: str, **variables) -> str:
    """`string` translated by our catalog if it has it, else by Flask-Admin's."""
    ours = flask_babel.get_translations().ugettext(string)
    if ours != string:
        return ours % variables if variables else ours
    return flask_admin_babel.gettext(string, **variables)


def admin_ngettext(singular: str, plural: str, num: int, **variables) -> str:
    """The plural form for `num`, by our catalog if it has it, else by Flask-Admin's."""
    ours = flask_babel.get_translations().ungettext(singular, plural, num)
    if ours not in (singular, plural):
        variables.setdefault("num", num)
        return ours % variables
    return flask_admin_babel.ngettext(singular, plural, num, **variables)
