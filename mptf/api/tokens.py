"""Personal API tokens: created and revoked by their owner on the account page, stored as the
SHA-256 of the token (the token itself is shown once), and checked on every API request."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import func, select

from mptf.extensions import db
from mptf.models import ApiToken, User
from mptf.models.base import utcnow
from mptf.services.audit import record
from mptf.services.errors import NotFound, ServiceError

PREFIX = "mptf_"
MAX_ACTIVE = 10
NAME_MAX = 100
# last_used_at is written at most this often per token, not on every request.
TOUCH_EVERY = timedelta(minutes=1)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def tokens_of(user: User) -> list[ApiToken]:
    return list(db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)
                                   .order_by(ApiToken.revoked_at.is_not(None),
                                             ApiToken.id.desc())))


def create_token(user: User, name: str) -> tuple[ApiToken, str]:
    """A new token for ``user``: the row and the token text, which is never stored."""
    name = (name or "").strip()
    if not name:
        raise ServiceError("Name the token after what will use it.",
                           fields={"name": ["Give a name."]})
    if len(name) > NAME_MAX:
        raise ServiceError(f"At most {NAME_MAX} characters.", fields={"name": ["Too long."]})
    active = db.session.scalar(select(func.count(ApiToken.id)).where(
        ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None)))
    if active >= MAX_ACTIVE:
        raise ServiceError(f"You have {active} active tokens, the most allowed; revoke one "
                           "first.", fields={"name": ["Too many active tokens."]})
    text = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name, token_hash=hash_token(text))
    db.session.add(token)
    db.session.flush()
    record(user, "api_token_created", token, after={"name": name})
    return token, text


def revoke_token(user: User, token_id: int) -> ApiToken:
    """Revoke one of the user's own tokens; it is refused from the next request on."""
    token = db.session.get(ApiToken, token_id) if 0 < token_id < 2**31 else None
    if token is None or token.user_id != user.id:
        raise NotFound("There is no such token.")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        record(user, "api_token_revoked", token, after={"name": token.name})
    return token


def authenticate(text: str) -> ApiToken | None:
    """The active token of an active user matching ``text``, or None."""
    if not text or len(text) > 200:
        return None
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(text)))
    if token is None or token.revoked_at is not None or not token.user.is_active:
        return None
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at >= TOUCH_EVERY:
        token.last_used_at = now
    return token
