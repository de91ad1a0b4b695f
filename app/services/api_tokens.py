"""API tokens: creating one (its secret shown once), revoking, listing, and authenticating a
request's bearer secret as the acting user.

Rules: a staff user manages their own tokens, an administrator (Permission.MANAGE_USERS, so
also the console) anyone's. Only the SHA-256 of the secret is stored. A token acts as its user
with that user's role as it is now; its scopes (Permission names) only narrow it
(permissions.narrowed_to_scopes). A revoked token, or one of an inactive user, authenticates
nobody. Functions flush, never commit.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models.api_token import ApiToken
from app.models.user import User
from app.services import clock
from app.services.errors import NotFound, NotPermitted, ValidationFailed, passes
from app.services.permissions import Actor, Permission, can, narrowed_to_scopes, require

SECRET_PREFIX = "sop_"  # says what the string is when it turns up in a log or a repository
PREFIX_SHOWN = len(SECRET_PREFIX) + 8
NAME_MAX = 80
# last_used_at is written at most this often: a busy integration must not write on every call
LAST_USED_PRECISION = dt.timedelta(minutes=1)
TOKENS_PER_PAGE = 50  # the administrators' list of everyone's tokens


@dataclass(frozen=True)
class TokenPage:
    """One page of the administrators' list: its tokens, newest first, and whether more follow."""

    tokens: list[ApiToken]
    page: int
    has_next: bool


@dataclass(frozen=True)
class NewToken:
    """A token just created, and its secret: shown this once, stored nowhere."""

    token: ApiToken
    secret: str


def check_manage_tokens(actor: Actor, owner: User) -> None:
    """Raise NotPermitted unless the actor is the owner (active) or may manage users."""
    if can(actor, Permission.MANAGE_USERS):
        return
    if isinstance(actor, User) and actor.active and actor.id == owner.id:
        return
    raise NotPermitted(_l("You can manage only your own API tokens; an administrator manages "
                          "anyone's."))


def parse_scopes(text: str | None) -> frozenset[Permission] | None:
    """The permissions a space-separated scope text names (any case); None when it names none
    (the user's whole role). Raises ValidationFailed (scopes) naming an unknown scope."""
    words = (text or "").replace(",", " ").upper().split()
    unknown = sorted({word for word in words if word not in Permission.__members__})
    if unknown:
        raise ValidationFailed(
            _l("Unknown scope %(scopes)s. Use permission names separated by spaces, such as "
               "%(example)s, or none for the user's whole role.",
               scopes=", ".join(unknown), example="VIEW CREATE"), field="scopes")
    return frozenset(Permission[word] for word in words) or None


def create_token(actor: Actor, owner: User, name: str, scopes: str = "") -> NewToken:
    """A new token of the owner; its secret is in the answer only. Raises NotPermitted,
    ValidationFailed (name: missing or too long; scopes: unknown; owner inactive)."""
    check_manage_tokens(actor, owner)
    name = (name or "").strip()
    if not name or len(name) > NAME_MAX:
        raise ValidationFailed(_l("Give the token a name of at most %(max)s characters, saying "
                                  "what will use it.", max=NAME_MAX), field="name")
    if not owner.active:
        raise ValidationFailed(_l("%(email)s is deactivated: reactivate the user before giving "
                                  "them a token.", email=owner.email), field="email")
    granted = parse_scopes(scopes)
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user=owner, name=name, prefix=secret[:PREFIX_SHOWN], token_hash=_hash(secret),
                     scopes=" ".join(sorted(p.value for p in granted or ())))
    db.session.add(token)
    db.session.flush()
    return NewToken(token, secret)


def tokens_of(actor: Actor, owner: User) -> list[ApiToken]:
    """The owner's tokens, newest first, revoked ones too. Raises NotPermitted."""
    check_manage_tokens(actor, owner)
    return list(db.session.scalars(select(ApiToken).where(ApiToken.user_id == owner.id)
                                   .order_by(ApiToken.id.desc())))


def list_tokens(actor: Actor, owner: User | None = None, page: int = 1) -> TokenPage:
    """Everyone's tokens (or one owner's), newest first, revoked ones too, TOKENS_PER_PAGE at a
    time: the administrators' list. Raises NotPermitted unless the actor may manage users."""
    require(actor, Permission.MANAGE_USERS)
    query = select(ApiToken).options(joinedload(ApiToken.user)).order_by(ApiToken.id.desc())
    if owner is not None:
        query = query.where(ApiToken.user_id == owner.id)
    page = max(page, 1)
    found = list(db.session.scalars(query.offset((page - 1) * TOKENS_PER_PAGE)
                                    .limit(TOKENS_PER_PAGE + 1)))
    return TokenPage(found[:TOKENS_PER_PAGE], page, len(found) > TOKENS_PER_PAGE)


def token_owners(actor: Actor) -> list[User]:
    """The users the actor may give a new token, by email: any active user for an
    administrator, else the actor alone (when active)."""
    if can(actor, Permission.MANAGE_USERS):
        return list(db.session.scalars(select(User).where(User.active.is_(True))
                                       .order_by(User.email)))
    return [actor] if isinstance(actor, User) and actor.active else []


def owner_by_id(actor: Actor, user_id: int | None) -> User:
    """The user whose tokens the actor lists or creates. Raises ValidationFailed (owner) for no
    such user, NotPermitted for one the actor may not manage."""
    owner = db.session.get(User, user_id) if user_id is not None else None
    if owner is None:
        raise ValidationFailed(_l("Choose the staff user the token acts as."), field="owner")
    check_manage_tokens(actor, owner)
    return owner


def token_by_id(actor: Actor, token_id: int) -> ApiToken:
    """One token the actor may manage. Raises NotFound, also for a token the actor may not
    manage (another user's ids are not revealed)."""
    token = db.session.get(ApiToken, token_id)
    if token is None or not passes(check_manage_tokens, actor, token.user):
        raise NotFound(_l("There is no such API token. It may have been deleted; reload the "
                          "page."), field="token")
    return token


def revoke_token(actor: Actor, token: ApiToken) -> ApiToken:
    """Revoke the token: it authenticates nobody from now on (revoking twice keeps the first
    date). Raises NotPermitted."""
    check_manage_tokens(actor, token.user)
    if token.revoked_at is None:
        token.revoked_at = clock.now()
    db.session.flush()
    return token


def usable_token_id(secret: str | None) -> int | None:
    """The id of the token a bearer secret is, when it still authenticates its user (the API's
    rate limit counts per token); None otherwise. Reads only: the use is noted by
    authenticate."""
    token = _usable_token(secret)
    return token.id if token is not None else None


def authenticate(secret: str | None) -> User | None:
    """The user a bearer secret acts as, narrowed to its token's scopes, or None when the
    secret is unknown, revoked or its user inactive. Notes the use (at most once a minute)."""
    token = _usable_token(secret)
    if token is None:
        return None
    moment = clock.now()
    if token.last_used_at is None or moment - token.last_used_at >= LAST_USED_PRECISION:
        token.last_used_at = moment
        db.session.flush()
    return narrowed_to_scopes(token.user, parse_scopes(token.scopes))


def _usable_token(secret: str | None) -> ApiToken | None:
    """The token a bearer secret is, when it still authenticates its user (known, not revoked,
    its user active); None otherwise."""
    if not secret or not secret.startswith(SECRET_PREFIX) or len(secret) > 200:
        return None
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _hash(secret)))
    if token is None or token.revoked or not token.user.active:
        return None
    return token


def _hash(secret: str) -> str:
    # A fast hash is enough: the secret is 256 random bits, not a password to guess.
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()
