"""The team's canned replies: supervisors (and administrators) write, change, deactivate and
reactivate them; anyone who may reply to customers lists the active ones and gets one filled for
a ticket.

A placeholder is a name between braces, `{cliente}` or its English alias `{client}`, with no
spaces inside (PLACEHOLDERS lists them). A reply naming an unknown placeholder is refused when
saved, with the known ones in the message; braces around anything else (`{ }`, `{1}`,
`{"a": 1}`) are plain text. Filling is a regular-expression substitution of the known names
only, never str.format on the team's text, so nothing in a reply can reach the ticket's
attributes, and an unknown name that slipped in stays as written.
"""
from __future__ import annotations

import re
from collections.abc import Callable

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.extensions import db
from app.models.ticket import Ticket
from app.models.user import User
from app.models.workspace import CannedReply
from app.services.errors import NotFound, ValidationFailed
from app.services.permissions import Actor, Permission, actor_user_id, require
from app.services.uniqueness import taken_by_another

TITLE_MAX = 120  # CannedReply.title's column
BODY_MAX = 20_000

# Each value a placeholder can take, from the ticket and the agent writing the reply.
_VALUES: dict[str, Callable[[Ticket, User | None], str]] = {
    "client": lambda ticket, agent: ticket.client.name if ticket.client else "",
    "requester": lambda ticket, agent: _requester_name(ticket),
    "number": lambda ticket, agent: ticket.number,
    "agent": lambda ticket, agent: (agent.name or agent.email) if agent is not None else "",
}
# The placeholders as the team writes them: the Spanish name, its English alias (the value's
# key) and what it becomes, for the management form's help.
GUIDE = (
    ("cliente", "client", _l("the client's name")),
    ("solicitante", "requester", _l("the requester's name (empty when the ticket has none)")),
    ("ticket", "number", _l("the ticket's number")),
    ("agente", "agent", _l("the name of whoever inserts the reply")),
)
PLACEHOLDERS: dict[str, str] = {  # a name as written (any letter case) → its value's key
    **{spanish: english for spanish, english, _ in GUIDE},
    **{english: english for _, english, _ in GUIDE},
}
# A placeholder candidate: a word of letters (any script), digits or underscores that starts
# with a letter, between braces with nothing else inside.
_PLACEHOLDER = re.compile(r"\{([^\W\d_]\w*)\}")


def known_placeholders() -> str:
    """The placeholders as a person writes them, for messages and the form's help."""
    return ", ".join("{%s}" % name for name in PLACEHOLDERS)


def check_manage(actor: Actor) -> None:
    """Raise NotPermitted unless the actor may manage canned replies (supervisors and
    administrators)."""
    require(actor, Permission.MANAGE_CANNED_REPLIES)


def all_replies(actor: Actor) -> list[CannedReply]:
    """Every canned reply, active ones first, each group by title, for the management page.
    Raises NotPermitted."""
    check_manage(actor)
    return list(db.session.scalars(
        select(CannedReply).order_by(CannedReply.active.desc(), CannedReply.title)))


def active_replies(actor: Actor) -> list[CannedReply]:
    """The replies offered while writing, by title. Raises NotPermitted without the reply
    permission."""
    require(actor, Permission.REPLY)
    return list(db.session.scalars(
        select(CannedReply).where(CannedReply.active.is_(True)).order_by(CannedReply.title)))


def get_reply(actor: Actor, reply_id: int) -> CannedReply:
    """The canned reply to manage. Raises NotPermitted, NotFound."""
    check_manage(actor)
    reply = db.session.get(CannedReply, reply_id)
    if reply is None:
        raise NotFound(_l("There is no such canned reply. Go back to the list of canned "
                          "replies."), field="reply")
    return reply


def create_reply(actor: Actor, title: str, body: str) -> CannedReply:
    """Save a new active canned reply. Raises NotPermitted, ValidationFailed (no title, a title
    another reply has, no body, an unknown placeholder)."""
    check_manage(actor)
    reply = CannedReply(active=True, created_by_id=actor_user_id(actor))
    _set_text(reply, title, body)
    db.session.add(reply)
    db.session.flush()
    return reply


def update_reply(actor: Actor, reply: CannedReply, title: str, body: str) -> CannedReply:
    """Change a canned reply's title and text. Raises NotPermitted, ValidationFailed (as
    create_reply)."""
    check_manage(actor)
    _set_text(reply, title, body)
    db.session.flush()
    return reply


def deactivate(actor: Actor, reply: CannedReply) -> CannedReply:
    """Stop offering the reply (kept, so it can be reactivated). Raises NotPermitted."""
    check_manage(actor)
    reply.active = False
    db.session.flush()
    return reply


def reactivate(actor: Actor, reply: CannedReply) -> CannedReply:
    """Offer a deactivated reply again. Raises NotPermitted."""
    check_manage(actor)
    reply.active = True
    db.session.flush()
    return reply


def filled_for(actor: Actor, reply_id: int, ticket: Ticket) -> str:
    """The active reply's text filled for the ticket, as the acting user writes it. Raises
    NotPermitted (may not reply or see tickets), NotFound (no such reply, or deactivated)."""
    require(actor, Permission.VIEW)
    require(actor, Permission.REPLY)
    reply = db.session.get(CannedReply, reply_id)
    if reply is None or not reply.active:
        raise NotFound(_l("This canned reply is no longer offered. Reload the page and choose "
                          "another."), field="reply")
    return fill(reply, ticket, actor if isinstance(actor, User) else None)


def fill(reply: CannedReply, ticket: Ticket, agent: User | None) -> str:
    """The reply's text with each known placeholder replaced by the ticket's value (a missing
    requester or agent: empty); anything else between braces is left as written."""
    def value(match: re.Match) -> str:
        key = PLACEHOLDERS.get(match.group(1).lower())
        return _VALUES[key](ticket, agent) if key else match.group(0)

    return _PLACEHOLDER.sub(value, reply.body or "")


def _set_text(reply: CannedReply, title: str, body: str) -> None:
    """Check and set the title and text, or raise ValidationFailed naming the field."""
    title = " ".join((title or "").split())
    if not title:
        raise ValidationFailed(_l("Write a title, the name the team picks the reply by."),
                               field="title")
    if len(title) > TITLE_MAX:
        raise ValidationFailed(_l("The title is too long: write at most %(max)d characters.",
                                  max=TITLE_MAX), field="title")
    if taken_by_another(CannedReply.title, title, reply):
        raise ValidationFailed(_l("A canned reply titled %(title)s already exists: edit that one "
                                  "or choose another title.", title=title), field="title")
    body = (body or "").strip()
    if not body:
        raise ValidationFailed(_l("Write the text of the reply."), field="body")
    if len(body) > BODY_MAX:
        raise ValidationFailed(_l("The text is too long: write at most %(max)d characters.",
                                  max=BODY_MAX), field="body")
    unknown = sorted({name for name in _PLACEHOLDER.findall(body)
                      if name.lower() not in PLACEHOLDERS})
    if unknown:
        raise ValidationFailed(_l(
            "Unknown placeholder %(unknown)s. The placeholders are: %(known)s.",
            unknown=", ".join("{%s}" % name for name in unknown), known=known_placeholders()),
            field="body")
    reply.title, reply.body = title, body


def _requester_name(ticket: Ticket) -> str:
    """The requester's name (their address when they have no name), or empty without one."""
    contact = ticket.contact
    if contact is None:
        return ""
    return contact.name or contact.email
