"""Signing in, with a throttle kept in the database, and account management."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from functools import cache

from flask import current_app
from sqlalchemy import DateTime, and_, case, func, literal, null, or_
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import OperationalError
from werkzeug.security import check_password_hash, generate_password_hash

from mptf.api.tokens import end_tokens
from mptf.auth import passwords
from mptf.extensions import db
from mptf.models import ROLES, Country, LoginThrottle, User
from mptf.models.accounts import password_hash_method
from mptf.models.base import utcnow
from mptf.services.audit import record
from mptf.services.errors import ServiceError
from mptf.services.policy import Role

LOCKED_MESSAGE = ("Too many failed sign-ins. This account is locked on this device for "
                  "{minutes} minutes; try again later or ask an administrator.")
WRONG_MESSAGE = "The e-mail address or the password is wrong."
BUSY_MESSAGE = ("Too many sign-ins at this moment; no password was checked. Try again in a few "
                "seconds.")


def _throttle_key(email: str, address: str | None) -> str:
    return f"{email.strip().lower()}|{address or '-'}"


@cache
def _dummy_hash(method: str) -> str:
    """A hash of a random password made with ``method``: checked against a password given for
    an unknown address, so that refusing it costs what refusing a real account's costs (the
    time of an answer does not tell which addresses have accounts)."""
    return generate_password_hash(secrets.token_hex(16), method=method)


def _count_attempt(key: str, now: datetime) -> int:
    """Count one sign-in attempt for ``key`` and return the attempts counted since the last
    success, in one atomic upsert committed at once: two attempts at the same instant never
    read the same count, and the first attempt for a key never collides with another's
    insert. The attempt that reaches ``LOGIN_MAX_FAILURES`` locks the key for
    ``LOGIN_LOCK_SECONDS``; a count from before a lapsed lock or an old failure starts
    again at one."""
    lock = timedelta(seconds=current_app.config["LOGIN_LOCK_SECONDS"])
    most = current_app.config["LOGIN_MAX_FAILURES"]
    throttle = LoginThrottle.__table__.c
    lapsed = or_(and_(throttle.locked_until.is_not(None), throttle.locked_until <= now),
                 and_(throttle.locked_until.is_(None), throttle.last_failure_at < now - lock))
    locks_now = literal(now + lock, DateTime())
    first_lock = locks_now if most <= 1 else null()
    insert = (postgresql_insert if db.session.get_bind().dialect.name == "postgresql"
              else sqlite_insert)
    statement = insert(LoginThrottle).values(key=key, failures=1, last_failure_at=now,
                                             locked_until=first_lock)
    statement = statement.on_conflict_do_update(
        index_elements=[throttle.key],
        set_={"failures": case((lapsed, 1), else_=throttle.failures + 1),
              "last_failure_at": now,
              "locked_until": case((lapsed, first_lock),
                                   (throttle.locked_until.is_not(None), throttle.locked_until),
                                   (throttle.failures + 1 >= most, locks_now),
                                   else_=null())},
    ).returning(throttle.failures)
    try:
        count = db.session.execute(statement).scalar_one()
        db.session.commit()  # the count holds even though the attempt is then refused
    except OperationalError as exc:  # the database's lock wait ran out (SQLite under load)
        db.session.rollback()
        raise ServiceError(BUSY_MESSAGE, status=503, code="busy") from exc
    return count


def authenticate(email: str, password: str, address: str | None) -> User:
    """The user whose e-mail and password match, or ServiceError. After
    ``LOGIN_MAX_FAILURES`` failures from one address the pair is locked for
    ``LOGIN_LOCK_SECONDS``, even for the right password: each attempt is counted before its
    password is checked, so no more than that many passwords are ever checked, however many
    attempts arrive at once. Refusing an unknown address costs a password hash too."""
    now = utcnow()
    key = _throttle_key(email, address)
    most = current_app.config["LOGIN_MAX_FAILURES"]
    attempt = _count_attempt(key, now)
    if attempt > most:
        minutes = max(1, current_app.config["LOGIN_LOCK_SECONDS"] // 60)
        raise ServiceError(LOCKED_MESSAGE.format(minutes=minutes), status=429, code="locked")
    user = db.session.scalar(db.select(User).where(func.lower(User.email) == email.strip().lower()))
    if user is None:
        check_password_hash(_dummy_hash(password_hash_method()), password)
    if user is None or not user.check_password(password) or not user.active:
        if attempt == most:
            record(user, "login_locked", user, after={"address": address},
                   entity_type="users")
            db.session.commit()
        raise ServiceError(WRONG_MESSAGE, status=401, code="wrong_credentials")
    db.session.execute(db.delete(LoginThrottle).where(LoginThrottle.key == key))
    record(user, "login", user)
    return user


def check_password_policy(password: str, email: str, name: str,
                          field: str = "password") -> None:
    """Refuse ``password`` for the account with ``email`` and ``name`` if the policy does
    (``passwords.problem``), with its sentence on the form's ``field``."""
    reason = passwords.problem(password, email=email, name=name)
    if reason:
        raise ServiceError(reason, fields={field: [reason]})


def create_user(email: str, password: str, role: str, *, name: str = "",
                country_iso3: str | None = None, actor: User | None = None) -> User:
    """A new account. Refuses an unknown role, a country team without a known country, a
    country for another role, a password the policy refuses (``passwords.problem``) and a
    duplicate e-mail."""
    email = (email or "").strip().lower()
    if "@" not in email or len(email) > 254:
        raise ServiceError(f"'{email}' is not an e-mail address.", fields={"email": ["Invalid."]})
    if role not in ROLES:
        raise ServiceError(f"Unknown role '{role}'; choose one of: {', '.join(ROLES)}.",
                           fields={"role": ["Unknown role."]})
    country = None
    if role == Role.COUNTRY_TEAM:
        if not country_iso3:
            raise ServiceError("A country team account needs --country with an ISO 3166 "
                               "alpha-3 code, e.g. KEN.", fields={"country": ["Required."]})
        country = db.session.scalar(db.select(Country).where(
            Country.iso3 == country_iso3.strip().upper()))
        if country is None:
            raise ServiceError(f"Unknown country '{country_iso3}'; give an ISO 3166 alpha-3 "
                               "code of a UN member state, e.g. KEN (run 'mptf seed' first).",
                               fields={"country": ["Unknown country."]})
    elif country_iso3:
        raise ServiceError(f"Only country team accounts have a country; role '{role}' does not.",
                           fields={"country": ["Not for this role."]})
    name = name or email.split("@")[0]
    check_password_policy(password, email, name)
    if db.session.scalar(db.select(User.id).where(func.lower(User.email) == email)):
        raise ServiceError(f"A user with e-mail {email} already exists.",
                           fields={"email": ["Already taken."]}, status=409, code="duplicate")
    user = User(email=email, name=name, role=role, country=country)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    record(actor, "user_created", user, after={"email": email, "role": role,
                                               "country": country.iso3 if country else None})
    return user


def change_password(user: User, current: str, new: str) -> None:
    """Set a new password (checked by the policy): every other session and every API token
    of the user ends with the old password."""
    if not user.check_password(current):
        raise ServiceError("The current password is wrong.", fields={"current": ["Wrong."]})
    check_password_policy(new, user.email, user.name, field="new")
    user.set_password(new)
    user.end_sessions()  # a session elsewhere (a stolen cookie) ends with the old password
    record(user, "password_changed", user)
    end_tokens(user, "password_changed")


def set_active(actor: User, user: User, active: bool) -> None:
    if user.id == actor.id and not active:
        raise ServiceError("You cannot deactivate your own account.")
    before = user.active
    user.active = active
    if not active:
        user.end_sessions()  # reactivation does not bring the old sessions back
        end_tokens(user, "deactivated", actor)  # nor the tokens
    record(actor, "user_activated" if active else "user_deactivated", user,
           before={"active": before}, after={"active": active})
