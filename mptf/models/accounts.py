"""Accounts, roles and the login throttle."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from flask_login import UserMixin
from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from mptf.extensions import db
from mptf.models.base import one_of, utcnow
from mptf.models.reference import Country


class Role(StrEnum):
    """An account's role: the ``users.role`` column holds one of these values (its CHECK
    constraint is built from this list). A member is equal to its string, so it may be
    compared with, and stored as, the text. The sets of roles that may do something are
    named in ``mptf.services.policy``."""

    COUNTRY_TEAM = "country_team"
    SECRETARIAT = "secretariat"
    REVIEWER = "reviewer"
    CHAIR = "chair"
    FUND_OFFICE = "fund_office"
    ADMIN = "admin"


ROLES = tuple(Role)

ROLE_LABELS = {
    Role.COUNTRY_TEAM: "UN country team",
    Role.SECRETARIAT: "Network Secretariat",
    Role.REVIEWER: "Steering Committee reviewer",
    Role.CHAIR: "Steering Committee Chair",
    Role.FUND_OFFICE: "MPTF Office",
    Role.ADMIN: "Administrator",
}


# The role of the fund's own processes: no account holds it.
SYSTEM_ROLE = "system"


@dataclass(frozen=True)
class SystemActor:
    """What the fund's own processes act as (the daily maintenance expiring notes, the
    command line, the demo): no account, so the audit log records no actor id, and
    ``role`` is ``"system"``, which no account can hold. ``SYSTEM`` is the one instance."""

    name: str = "the system"
    role: str = SYSTEM_ROLE
    id: None = None

    def __str__(self) -> str:
        return self.name


SYSTEM = SystemActor()


TOKEN_SCOPES = ("read", "read_write")

TOKEN_SCOPE_LABELS = {"read": "read only", "read_write": "read and write"}


def password_hash_method() -> str:
    """How new passwords are hashed: scrypt by default; the test suite configures a cheap
    method to stay fast."""
    from flask import current_app

    return current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        one_of("role", ROLES),
        db.CheckConstraint("role != 'country_team' OR country_id IS NOT NULL",
                           name="country_team_has_country"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(20), index=True)
    # A country team is bound to one country; a reviewer to memberships through
    # MembershipRepresentative (committee models).
    country_id: Mapped[int | None] = mapped_column(ForeignKey("countries.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # Sessions are signed cookies kept by the browser: a copy would outlive its sign-out.
    # Each session carries this number (``get_id``), and signing out or deactivating the
    # account raises it, so every session signed with the old number stops working.
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    country: Mapped[Country | None] = relationship()

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, method=password_hash_method())

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def get_id(self) -> str:
        """What Flask-Login keeps in the session: the id and the session version."""
        return f"{self.id}.{self.session_version or 0}"

    def end_sessions(self) -> None:
        """Sign the user out everywhere: every existing session cookie becomes anonymous."""
        self.session_version = (self.session_version or 0) + 1

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts
        return self.active

    @property
    def role_label(self) -> str:
        return ROLE_LABELS[self.role]

    def __str__(self) -> str:
        return self.name or self.email


# Who does something the audit log records: an account, or the fund's own processes.
Actor = User | SystemActor


class LoginThrottle(db.Model):
    """Sign-in attempts per (email, client address) since the last success, kept in the
    database so that every app process behind the load balancer sees the same count. An
    attempt is counted (one atomic upsert, ``mptf.auth.services``) before its password is
    checked, so attempts at the same instant cannot all pass the lock; ``locked_until`` is
    set by the attempt that reaches ``LOGIN_MAX_FAILURES``, and a success deletes the row."""

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(400), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime)


class ApiToken(db.Model):
    """A personal API token. Only the SHA-256 of the token is stored: the token itself is
    shown once, when it is created. It works until ``expires_at``, only for reading when its
    scope is ``read``. A revoked token (by its owner, by a password change or a
    deactivation) stays listed, refused for good."""

    __tablename__ = "api_tokens"
    __table_args__ = (one_of("scope", TOKEN_SCOPES),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Why it was revoked: "owner", "password_changed" or "deactivated".
    revoked_because: Mapped[str | None] = mapped_column(String(20))
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    scope: Mapped[str] = mapped_column(String(10), default="read_write",
                                       server_default="read_write")

    user: Mapped[User] = relationship()

    @property
    def expired(self) -> bool:
        return self.expires_at <= utcnow()

    @property
    def active(self) -> bool:
        return self.revoked_at is None and not self.expired

    @property
    def can_write(self) -> bool:
        return self.scope == "read_write"

    @property
    def scope_label(self) -> str:
        return TOKEN_SCOPE_LABELS[self.scope]


class ApiRateLimit(db.Model):
    """Requests counted in the current fixed window per key (a token or a client address),
    kept in the database so that every app process sees the same count."""

    __tablename__ = "api_rate_limits"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(DateTime)
    count: Mapped[int] = mapped_column(Integer, default=0)
