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

from app.extensions import db
from app.models.api_token import ApiToken
from app.models.user import User
from app.services import clock
from app.services.errors import NotFound, NotPermitted, ValidationFailed, passes
from app.services.permissions import Actor, Permission, can, narrowed_to_scopes

SECRET_PREFIX = "sop_"  # says what the string is when it turns up in a log or a repository
PREFIX_SHOWN = len(SECRET_PREFIX) + 8
NAME_MAX = 80
# last_used_at is written at most this often: a busy integration must not write on every call
LAST_USED_PRECISION = dt.timedelta(minutes=1)


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


def authenticate(secret: str | None) -> User | None:
    """The user a bearer secret acts as, narrowed to its token's scopes, or None when the
    secret is unknown, revoked or its user inactive. Notes the use (at most once a minute)."""
    if not secret or not secret.startswith(SECRET_PREFIX) or len(secret) > 200:
        return None
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _hash(secret)))
    if token is None or token.revoked or not token.user.active:
        return None
    moment = clock.now()
    if token.last_used_at is None or moment - token.last_used_at >= LAST_USED_PRECISION:
        token.last_used_at = moment
        db.session.flush()
    return narrowed_to_scopes(token.user, parse_scopes(token.scopes))


def _hash(secret: str) -> str:
    # A fast hash is enough: the secret is 256 random bits, not a password to guess.
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()
