"""Staff administration, one flow for every door (admin, CLI): create, edit, change role,
deactivate, reactivate, reset password, sign out everywhere.

Every function requires MANAGE_USERS. The rules: an email is normalised, valid and unique
(accounts.normalised_email); a password passes accounts.check_new_password; at least one active
administrator is always left. Deactivating a user ends their sessions; their open tickets stay
assigned to them and are reported as needing a new assignee, as are those of a user whose new role
cannot work tickets. Functions flush, never commit.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.extensions import db
from app.models.enums import Language, Role
from app.models.ticket import Ticket
from app.models.user import User
from app.services import accounts, clock
from app.services.errors import ValidationFailed
from app.services.permissions import Actor, Permission, require
from app.services.reassignment import needs_assignee_condition

NAME_MAX = 120


@dataclass(frozen=True)
class StaffDetails:
    """What an administrator types about a person (their access is changed separately)."""

    email: str
    name: str = ""
    language: Language | str = Language.ES
    time_zone: str | None = None


@dataclass
class StaffReport:
    """What a change did: the user, and their open tickets that now need a new assignee."""

    user: User
    needing_assignee: list[Ticket] = field(default_factory=list)


def list_staff(actor: Actor) -> list[User]:
    """Every staff user, by email. Raises NotPermitted."""
    require(actor, Permission.MANAGE_USERS)
    return list(db.session.scalars(select(User).order_by(User.email)))


def user_by_email(actor: Actor, email: str) -> User:
    """The staff user with this address (any case). Raises NotPermitted, ValidationFailed."""
    require(actor, Permission.MANAGE_USERS)
    address = (email or "").strip().lower()
    user = db.session.scalar(select(User).where(User.email == address))  # stored lower-case
    if user is None:
        raise ValidationFailed(_l("No staff user has the address %(email)s.", email=address),
                               field="email")
    return user


def create_staff(actor: Actor, details: StaffDetails, password: str,
                 role: Role | str) -> User:
    """Add an active staff user. Raises NotPermitted, ValidationFailed (email, password, role)."""
    require(actor, Permission.MANAGE_USERS)
    user = accounts.create_user(details.email, password, role, _name(details),
                                accounts.language_named(details.language))
    user.time_zone = clock.chosen_zone(details.time_zone)
    db.session.flush()
    return user


def edit_staff(actor: Actor, user: User, details: StaffDetails) -> User:
    """Change a user's email, name, language and time zone. Raises NotPermitted,
    ValidationFailed."""
    require(actor, Permission.MANAGE_USERS)
    email = accounts.normalised_email(details.email, keep=user)
    language, zone = accounts.language_named(details.language), clock.chosen_zone(details.time_zone)
    user.email, user.name, user.language, user.time_zone = email, _name(details), language, zone
    db.session.flush()
    return user


def change_role(actor: Actor, user: User, role: Role | str) -> StaffReport:
    """Give the user another role; a role that cannot work tickets leaves their open tickets
    needing a new assignee. Raises NotPermitted, ValidationFailed (unknown role; the last
    active administrator)."""
    require(actor, Permission.MANAGE_USERS)
    role = accounts.role_named(role)
    if user.role is Role.ADMIN and role is not Role.ADMIN:
        _keep_an_administrator(user, _l("%(email)s is the last active administrator: make "
                                        "someone else an administrator first.", email=user.email))
    user.role = role
    db.session.flush()
    return _report(user)


def deactivate(actor: Actor, user: User) -> StaffReport:
    """Stop the user signing in and end their sessions; their open tickets stay theirs and are
    reported as needing a new assignee. Raises NotPermitted, ValidationFailed (the last active
    administrator)."""
    require(actor, Permission.MANAGE_USERS)
    if user.role is Role.ADMIN:
        _keep_an_administrator(user, _l("%(email)s is the last active administrator: make "
                                        "someone else an administrator before deactivating "
                                        "this account.", email=user.email))
    if user.active:
        user.active = False  # ends the sessions (accounts._deactivation_ends_sessions)
    db.session.flush()
    return _report(user)


def reactivate(actor: Actor, user: User) -> User:
    """Let the user sign in again (with a new session: the old ones stay ended). Raises
    NotPermitted."""
    require(actor, Permission.MANAGE_USERS)
    user.active = True
    db.session.flush()
    return user


def reset_password(actor: Actor, user: User, password: str) -> User:
    """Set a new password for the user and end every session of theirs. Raises NotPermitted,
    ValidationFailed (accounts.check_new_password)."""
    require(actor, Permission.MANAGE_USERS)
    accounts.change_password(user, password)
    return user


def sign_out_everywhere(actor: Actor, user: User) -> User:
    """End every session of the user, in every browser. Raises NotPermitted."""
    require(actor, Permission.MANAGE_USERS)
    accounts.end_sessions(user)
    return user


def save_staff(actor: Actor, user: User | None, details: StaffDetails, role: Role | str,
               active: bool, new_password: str = "") -> StaffReport:
    """The whole of an administrator's form: a new user (with a password), or an existing one's
    details, role, active flag and optionally a new password, each through its rule above.
    Raises NotPermitted, ValidationFailed."""
    if user is None:
        user = create_staff(actor, details, new_password, role)
        return deactivate(actor, user) if not active else StaffReport(user)
    edit_staff(actor, user, details)
    change_role(actor, user, role)
    if active and not user.active:
        reactivate(actor, user)
    elif not active and user.active:
        deactivate(actor, user)
    if new_password:
        reset_password(actor, user, new_password)
    return _report(user)  # as the user is left by all of it


def _report(user: User) -> StaffReport:
    """The user's open tickets that now need a new assignee (the list's rule,
    reassignment.needs_assignee_condition), by number."""
    tickets = db.session.scalars(
        select(Ticket).where(Ticket.assignee_id == user.id, needs_assignee_condition())
        .order_by(Ticket.number))
    return StaffReport(user, list(tickets))


def _keep_an_administrator(user: User, message) -> None:
    """Refuse (ValidationFailed) when the user is the only active administrator."""
    others = db.session.scalar(select(func.count(User.id)).where(
        User.role == Role.ADMIN, User.active.is_(True), User.id != user.id))
    if user.active and not others:
        raise ValidationFailed(message, field="role")


def _name(details: StaffDetails) -> str:
    """The name given, or the address's local part."""
    name = " ".join((details.name or "").split())[:NAME_MAX]
    return name or (details.email or "").strip().lower().split("@")[0][:NAME_MAX]


