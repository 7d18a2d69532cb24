"""``mptf demo``: a database a newcomer can click through."""

from __future__ import annotations

from collections.abc import Iterator

from flask import current_app
from flask_migrate import upgrade
from sqlalchemy import inspect, text

from mptf.auth.services import create_user
from mptf.extensions import db
from mptf.models import User
from mptf.reference.seed import seed_reference_data
from mptf.services.errors import ServiceError
from mptf.services.policy import Role

DEMO_PASSWORD = "orange-harbour-lantern"

DEMO_ACCOUNTS = [
    ("country.kenya@demo.mptf.example", Role.COUNTRY_TEAM, "KEN", "UN Country Team Kenya"),
    ("country.bangladesh@demo.mptf.example", Role.COUNTRY_TEAM, "BGD", "UN Country Team Bangladesh"),
    ("secretariat@demo.mptf.example", Role.SECRETARIAT, None, "Network Secretariat (FMU)"),
    ("reviewer@demo.mptf.example", Role.REVIEWER, None, "SC reviewer"),
    ("chair@demo.mptf.example", Role.CHAIR, None, "Network Coordinator (Chair)"),
    ("fundoffice@demo.mptf.example", Role.FUND_OFFICE, None, "MPTF Office"),
    ("admin@demo.mptf.example", Role.ADMIN, None, "Administrator"),
]


def reset_database() -> None:
    """Drop every table, including Alembic's version table."""
    db.drop_all()
    with db.engine.begin() as connection:
        if "alembic_version" in inspect(connection).get_table_names():
            connection.execute(text("DROP TABLE alembic_version"))


def build_demo(reset: bool = False) -> Iterator[str]:
    if reset:
        reset_database()
        yield "Dropped the existing tables."
    upgrade(directory=current_app.extensions["migrate"].directory)
    if db.session.scalar(db.select(User.id).limit(1)) is not None:
        raise ServiceError("The database already has accounts; run 'mptf demo --reset' to "
                           "rebuild the demo from nothing (this deletes everything in it).")
    report = seed_reference_data()
    db.session.flush()
    yield from report.lines()
    for email, role, country, name in DEMO_ACCOUNTS:
        create_user(email, DEMO_PASSWORD, role, name=name, country_iso3=country)
    from mptf import demo_content

    yield from demo_content.build()
    db.session.commit()
    yield ""
    yield f"Demo accounts (password for all: {DEMO_PASSWORD}):"
    for email, role, country, _ in DEMO_ACCOUNTS:
        yield f"  {role:<13} {email}" + (f"  ({country})" if country else "")
