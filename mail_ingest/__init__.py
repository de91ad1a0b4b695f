"""The mail poller: sources (IMAP, Maildir) → parse → classify → thread → app.services.

Nothing here imports app.web or app.admin; every change to tickets goes through app.services,
and the app never imports this package: `init_app` plugs the poller into an app from outside
(the composition root, assembly.build_app).
"""
from __future__ import annotations

from flask import Flask
from flask.cli import AppGroup


def init_app(app: Flask) -> None:
    """Plug the poller into the app: its commands (`flask mail poll|log|retry`) join the app's
    `mail` group, and its processing of a stored message (`ingest.reprocess`) is offered to the
    staff's triage and retry as `app.extensions[mail_triage.PROCESSING_EXTENSION]`."""
    from app.services.mail_triage import PROCESSING_EXTENSION
    from mail_ingest.cli import register
    from mail_ingest.ingest import reprocess

    shared = app.cli.commands.get("mail")
    if shared is None:
        raise RuntimeError("the app has no `mail` command group to join (app.cli)")
    # A group of this app's own (app.cli's is a module global shared by every app built), so
    # an app built without the poller never offers its commands.
    group = AppGroup(shared.name, help=shared.help)
    for command in shared.commands.values():
        group.add_command(command)
    register(group)
    app.cli.add_command(group)
    app.extensions[PROCESSING_EXTENSION] = reprocess
