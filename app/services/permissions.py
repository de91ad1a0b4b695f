"""Roles and what they grant; every service checks the acting user here before it changes anything."""
from __future__ import annotations

import enum

from flask_babel import lazy_gettext as _l

from app.models.enums import Role
from app.models.user import User
from app.services.errors import NotPermitted


class Permission(str, enum.Enum):
    """One action a role may grant."""

    VIEW = "VIEW"
    CREATE = "CREATE"
    EDIT = "EDIT"
    WORK = "WORK"  # may be assigned tickets, log time, change status
    ASSIGN = "ASSIGN"
    QUOTE = "QUOTE"
    RECORD_APPROVAL = "RECORD_APPROVAL"
    SET_BILLING = "SET_BILLING"  # mark free, payment status
    NOTE = "NOTE"
    REPLY = "REPLY"
    CLOSE = "CLOSE"
    REOPEN_CLOSED = "REOPEN_CLOSED"
    REPORTS = "REPORTS"
    MANAGE_REFERENCE = "MANAGE_REFERENCE"
    MANAGE_USERS = "MANAGE_USERS"
    MANAGE_CANNED_REPLIES = "MANAGE_CANNED_REPLIES"  # the team's reply snippets
    MANAGE_WEBHOOKS = "MANAGE_WEBHOOKS"  # endpoints, their secrets and delivery log


_AGENT = frozenset({
    Permission.VIEW, Permission.CREATE, Permission.EDIT, Permission.WORK, Permission.QUOTE,
    Permission.NOTE, Permission.REPLY, Permission.CLOSE,
})
_SUPERVISOR = _AGENT | {
    Permission.ASSIGN, Permission.RECORD_APPROVAL, Permission.SET_BILLING,
    Permission.REOPEN_CLOSED, Permission.REPORTS, Permission.MANAGE_CANNED_REPLIES,
}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.VIEWER: frozenset({Permission.VIEW}),
    Role.AGENT: _AGENT,
    Role.SUPERVISOR: frozenset(_SUPERVISOR),
    Role.ADMIN: frozenset(Permission),
}


class SystemActor:
    """The software itself acting (mail poller, customer portal): never a signed-in person."""

    label = "system"
    permissions = frozenset({Permission.VIEW, Permission.CREATE, Permission.NOTE})

    def __repr__(self) -> str:
        return "<SystemActor>"


SYSTEM = SystemActor()


class ConsoleActor(SystemActor):
    """Whoever runs `flask users …` on the server: they hold the database and its keys already,
    so the console may manage staff (there is no one signed in to ask)."""

    label = "console"
    permissions = frozenset({Permission.MANAGE_USERS})

    def __repr__(self) -> str:
        return "<ConsoleActor>"


CONSOLE = ConsoleActor()

Actor = User | SystemActor

_DENIED = {
    Permission.VIEW: _l("You do not have permission to view tickets."),
    Permission.CREATE: _l("You do not have permission to create tickets."),
    Permission.EDIT: _l("You do not have permission to edit tickets."),
    Permission.WORK: _l("You do not have permission to work on tickets (log time or change status)."),
    Permission.ASSIGN: _l("You do not have permission to assign tickets. Ask a supervisor."),
    Permission.QUOTE: _l("You do not have permission to quote tickets."),
    Permission.RECORD_APPROVAL: _l(
        "Only a supervisor can record a customer's decision received another way."
    ),
    Permission.SET_BILLING: _l("Only a supervisor can change whether a ticket is billed or paid."),
    Permission.NOTE: _l("You do not have permission to add notes."),
    Permission.REPLY: _l("You do not have permission to reply to customers."),
    Permission.CLOSE: _l("You do not have permission to close tickets."),
    Permission.REOPEN_CLOSED: _l("Only a supervisor can reopen a closed ticket."),
    Permission.REPORTS: _l("You do not have permission to see reports."),
    Permission.MANAGE_REFERENCE: _l("Only an administrator can manage reference data."),
    Permission.MANAGE_USERS: _l("Only an administrator can manage users."),
    Permission.MANAGE_CANNED_REPLIES: _l("Only a supervisor can manage canned replies."),
    Permission.MANAGE_WEBHOOKS: _l("Only an administrator can manage webhooks."),
}


def permissions_of(actor: Actor | None) -> frozenset[Permission]:
    """What the actor may do; an inactive user or no actor may do nothing; a user acting
    through a scoped token (narrowed_to_scopes) only what both its role and the scopes grant."""
    if isinstance(actor, SystemActor):
        return actor.permissions
    if actor is None or not actor.active:
        return frozenset()
    scopes = getattr(actor, SCOPES_ATTRIBUTE, None)
    role = ROLE_PERMISSIONS[actor.role]
    return role if scopes is None else role & scopes


# The loaded User instance carries its token's scopes, not a wrapper around it: services tell a
# person from the system by isinstance(actor, User) and store the actor as author, which a
# wrapper would break (an API token's time entry refused, its note authorless).
SCOPES_ATTRIBUTE = "token_scopes"


def narrowed_to_scopes(user: User, scopes: frozenset[Permission] | None) -> User:
    """The user acting through an API token: until the adapter clears it (scopes None), this
    loaded instance may do only what its role and the scopes both grant. Scopes never widen a
    role. Nothing is stored."""
    setattr(user, SCOPES_ATTRIBUTE, scopes)
    return user


def can(actor: Actor | None, permission: Permission) -> bool:
    """True when the actor's role grants the permission."""
    return permission in permissions_of(actor)


def require(actor: Actor | None, permission: Permission) -> None:
    """Raise NotPermitted unless the actor's role grants the permission (and, through an API
    token with scopes, its scopes too: a refusal by the scopes says so)."""
    if can(actor, permission):
        return
    scopes = getattr(actor, SCOPES_ATTRIBUTE, None)
    if scopes is not None and permission in ROLE_PERMISSIONS.get(actor.role, ()):
        raise NotPermitted(_l("This token's scopes do not include %(permission)s. Use a token "
                              "made with that scope, or one without scopes (the whole role).",
                              permission=permission.value))
    raise NotPermitted(_DENIED[permission])


def working_roles() -> list[Role]:
    """The roles whose holders may be assigned and work tickets (Permission.WORK)."""
    return [role for role, granted in ROLE_PERMISSIONS.items() if Permission.WORK in granted]


def can_work_tickets(user: User) -> bool:
    """True for active staff whose role lets them be assigned and work tickets."""
    return user.active and Permission.WORK in ROLE_PERMISSIONS[user.role]


def actor_user_id(actor: Actor | None) -> int | None:
    """The user id to record as author, or None for the system."""
    return actor.id if isinstance(actor, User) else None


def actor_label(actor: Actor | None) -> str:
    """A readable name of who acted, for the history."""
    if isinstance(actor, User):
        return actor.name or actor.email
    return SYSTEM.label
