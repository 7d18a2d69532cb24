"""Signing in, with a throttle kept in the database, and account management."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import func

from mptf.extensions import db
from mptf.models import ROLES, Country, LoginThrottle, User
from mptf.models.base import utcnow
from mptf.services.audit import record
from mptf.services.errors import ServiceError

LOCKED_MESSAGE = ("Too many failed sign-ins. This account is locked on this device for "
                  "{minutes} minutes; try again later or ask an administrator.")
WRONG_MESSAGE = "The e-mail address or the password is wrong."


def _throttle_key(email: str, address: str | None) -> str:
    return f"{email.strip().lower()}|{address or '-'}"


def authenticate(email: str, password: str, address: str | None) -> User:
    """The user whose e-mail and password match, or ServiceError. After
    ``LOGIN_MAX_FAILURES`` failures from one address the pair is locked for
    ``LOGIN_LOCK_SECONDS``, even for the right password."""
    now = utcnow()
    key = _throttle_key(email, address)
    throttle = db.session.get(LoginThrottle, key)
    lock_seconds = current_app.config["LOGIN_LOCK_SECONDS"]
    if throttle and throttle.locked_until and throttle.locked_until > now:
        raise ServiceError(LOCKED_MESSAGE.format(minutes=max(1, lock_seconds // 60)),
                           status=429, code="locked")
    user = db.session.scalar(db.select(User).where(func.lower(User.email) == email.strip().lower()))
    if user is None or not user.check_password(password) or not user.active:
        if throttle is None:
            throttle = LoginThrottle(key=key, failures=0)
            db.session.add(throttle)
        if throttle.last_failure_at and now - throttle.last_failure_at > timedelta(
                seconds=lock_seconds):
            throttle.failures = 0
        throttle.failures = (throttle.failures or 0) + 1
        throttle.last_failure_at = now
        if throttle.failures >= current_app.config["LOGIN_MAX_FAILURES"]:
            throttle.locked_until = now + timedelta(seconds=lock_seconds)
            throttle.failures = 0
            record(user, "login_locked", user, after={"address": address},
                   entity_type="users")
        db.session.commit()
        raise ServiceError(WRONG_MESSAGE, status=401, code="wrong_credentials")
    if throttle is not None:
        db.session.delete(throttle)
    record(user, "login", user)
    return user


def create_user(email: str, password: str, role: str, *, name: str = "",
                country_iso3: str | None = None, actor: User | None = None) -> User:
    """A new account. Refuses an unknown role, a country team without a known country, a
    country for another role, a short password and a duplicate e-mail."""
    email = (email or "").strip().lower()
    if "@" not in email or len(email) > 254:
        raise ServiceError(f"'{email}' is not an e-mail address.", fields={"email": ["Invalid."]})
    if role not in ROLES:
        raise ServiceError(f"Unknown role '{role}'; choose one of: {', '.join(ROLES)}.",
                           fields={"role": ["Unknown role."]})
    country = None
    if role == "country_team":
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
    if len(password or "") < 10:
        raise ServiceError("The password must have at least 10 characters.",
                           fields={"password": ["Too short."]})
    if db.session.scalar(db.select(User.id).where(func.lower(User.email) == email)):
        raise ServiceError(f"A user with e-mail {email} already exists.",
                           fields={"email": ["Already taken."]}, status=409, code="duplicate")
    user = User(email=email, name=name or email.split("@")[0], role=role, country=country)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    record(actor, "user_created", user, after={"email": email, "role": role,
                                               "country": country.iso3 if country else None})
    return user


def change_password(user: User, current: str, new: str) -> None:
    if not user.check_password(current):
        raise ServiceError("The current password is wrong.", fields={"current": ["Wrong."]})
    user.set_password(new)
    user.end_sessions()  # a session elsewhere (a stolen cookie) ends with the old password
    record(user, "password_changed", user)


def set_active(actor: User, user: User, active: bool) -> None:
    if user.id == actor.id and not active:
        raise ServiceError("You cannot deactivate your own account.")
    before = user.active
    user.active = active
    if not active:
        user.end_sessions()  # reactivation does not bring the old sessions back
    record(actor, "user_activated" if active else "user_deactivated", user,
           before={"active": before}, after={"active": active})
