"""Factory functions for test data. Each flushes and returns what it made."""

from __future__ import annotations

import itertools

from mptf.auth.services import create_user
from mptf.extensions import db
from mptf.models import Country, Organisation, User

PASSWORD = "correct-horse-battery"
_n = itertools.count(1)


def user(role: str, country: str | None = None, email: str | None = None) -> User:
    email = email or f"{role}{next(_n)}@example.org"
    return create_user(email, PASSWORD, role, country_iso3=country)


def country(iso3: str) -> Country:
    return db.session.scalar(db.select(Country).where(Country.iso3 == iso3))


def entity(acronym: str) -> Organisation:
    return db.session.scalar(db.select(Organisation).where(
        Organisation.kind == "un_entity", Organisation.acronym == acronym))


def state(iso3: str) -> Organisation:
    return db.session.scalar(db.select(Organisation).where(
        Organisation.kind == "state", Organisation.acronym == iso3))
