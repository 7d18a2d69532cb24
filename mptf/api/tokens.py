"""Personal API tokens: created and revoked by their owner on the account page, stored as the
SHA-256 of the token (the token itself is shown once), and checked on every API request.

A token expires (``DEFAULT_DAYS`` after it is made unless its owner chooses another of
``LIFETIMES``), reads only or reads and writes (``scope``), and is revoked for good when its
owner's password changes or the account is deactivated (``end_tokens``): reactivating the
account does not bring it back."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import func, select

from mptf.extensions import db
from mptf.models import ApiToken, User
from mptf.models.accounts import TOKEN_SCOPES
from mptf.models.base import MAX_ID, utcnow
from mptf.services.audit import record
from mptf.services.errors import NotAllowed, NotFound, ServiceError

PREFIX = "mptf_"
MAX_ACTIVE = 10
NAME_MAX = 100
DEFAULT_DAYS = 90
LIFETIMES = (7, 30, DEFAULT_DAYS, 180, 365)  # days a token may be made to last
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
READ_ONLY_MESSAGE = ("This token is read-only: it may read but not change anything. Make a "
                     "read-and-write token on your account page (/account/tokens) to do this.")
# last_used_at is written at most this often per token, not on every request.
TOUCH_EVERY = timedelta(minutes=1)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def tokens_of(user: User) -> list[ApiToken]:
    """The user's tokens, those that still work first, newest first."""
    now = utcnow()
    return list(db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)
                                   .order_by((ApiToken.revoked_at.is_not(None))
                                             | (ApiToken.expires_at <= now),
                                             ApiToken.id.desc())))


def create_token(user: User, name: str, *, scope: str = "read_write",
                 days: int = DEFAULT_DAYS) -> tuple[ApiToken, str]:
    """A new token for ``user``, working for ``days`` with ``scope``: the row and the token
    text, which is never stored."""
    name = (name or "").strip()
    if not name:
        raise ServiceError("Name the token after what will use it.",
                           fields={"name": ["Give a name."]})
    if len(name) > NAME_MAX:
        raise ServiceError(f"At most {NAME_MAX} characters.", fields={"name": ["Too long."]})
    if scope not in TOKEN_SCOPES:
        raise ServiceError("A token reads only or reads and writes; choose one.",
                           fields={"scope": ["Choose read only or read and write."]})
    if days not in LIFETIMES:
        raise ServiceError("A token lasts " + ", ".join(map(str, LIFETIMES[:-1]))
                           + f" or {LIFETIMES[-1]} days; choose one.",
                           fields={"days": ["Choose a duration."]})
    now = utcnow()
    active = db.session.scalar(select(func.count(ApiToken.id)).where(
        ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None), ApiToken.expires_at > now))
    if active >= MAX_ACTIVE:
        raise ServiceError(f"You have {active} active tokens, the most allowed; revoke one "
                           "first.", fields={"name": ["Too many active tokens."]})
    text = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name, token_hash=hash_token(text), scope=scope,
                     created_at=now, expires_at=now + timedelta(days=days))
    db.session.add(token)
    db.session.flush()
    record(user, "api_token_created", token, after={"name": name, "scope": scope,
                                                     "expires_at": token.expires_at})
    return token, text


def revoke_token(user: User, token_id: int) -> ApiToken:
    """Revoke one of the user's own tokens; it is refused from the next request on."""
    token = db.session.get(ApiToken, token_id) if 0 < token_id <= MAX_ID else None
    if token is None or token.user_id != user.id:
        raise NotFound("There is no such token.")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        token.revoked_because = "owner"
        record(user, "api_token_revoked", token, after={"name": token.name})
    return token


def end_tokens(user: User, because: str, actor: User | None = None) -> int:
    """Revoke every token of ``user`` not revoked yet (``because`` the password changed or the
    account is deactivated, by ``actor``): they stay refused whatever happens to the account
    later. Returns how many were revoked."""
    now = utcnow()
    ended = db.session.execute(
        db.update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now, revoked_because=because)
        .execution_options(synchronize_session="fetch")).rowcount or 0
    if ended:
        record(actor or user, "api_tokens_ended", user,
               after={"tokens": ended, "because": because})
    return ended


def authenticate(text: str) -> ApiToken | None:
    """The unexpired, unrevoked token of an active user matching ``text``, or None."""
    if not text or len(text) > 200:
        return None
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(text)))
    if token is None or not token.active or not token.user.is_active:
        return None
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at >= TOUCH_EVERY:
        token.last_used_at = now
    return token


def check_scope(token: ApiToken | None, method: str) -> None:
    """Refuse a write (any method but GET, HEAD and OPTIONS) with a read-only token (403)."""
    if token is not None and not token.can_write and method.upper() not in READ_METHODS:
        raise NotAllowed(READ_ONLY_MESSAGE, code="read_only_token")
