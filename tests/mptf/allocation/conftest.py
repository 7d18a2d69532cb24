"""Accounts for the fund pages, and the hand-worked fund of test_balance.py in the database:
five deposits (two earmarked to area 2, one to area 5, one by a foundation) and two approved
cycles that allocated USD 1,100,000.00."""

from datetime import date

import pytest

from mptf.allocation import services
from mptf.extensions import db
from tests import factories
from tests.mptf.reports.conftest import (  # noqa: F401  (the cycle of test_cycle_runs.py)
    appoint,
    chair,
    committee,
    cycle,
    pipeline_notes,
    scored,
    teams,
)


@pytest.fixture
def office(seeded):
    user = factories.user("fund_office", email="office@example.org")
    user.name = "MPTF Office"
    db.session.commit()
    return user


@pytest.fixture
def people(office):
    """One signed-in account per role besides the fund office, by role."""
    made = {role: factories.user(role, country="KEN" if role == "country_team" else None,
                                 email=f"{role}@example.org")
            for role in ("secretariat", "chair", "country_team", "reviewer", "admin")}
    db.session.commit()
    return made


@pytest.fixture
def foundation(office):
    partner = services.add_partner(office, "Horizon Migration Foundation", "HMF")
    db.session.commit()
    return partner


@pytest.fixture
def hand_worked(office, foundation):
    """USD 1,750,334.33 gross, 17,503.35 fee, 1,732,830.98 net; 1,100,000.00 allocated;
    632,830.98 available, of which 632,830.49 unearmarked and 0.49 earmarked to area 5."""
    factories.contribution("DEU", "1,000,000.00", date(2025, 1, 15), reference="DEP-A")
    factories.contribution("NLD", "333.33", date(2025, 3, 1), reference="DEP-B")
    factories.contribution("CHE", "250,000.50", date(2025, 4, 10), earmark=2,
                           reference="DEP-C")
    factories.contribution(foundation, "0.50", date(2025, 5, 20), earmark=5,
                           reference="DEP-D")
    factories.contribution("NOR", "500,000.00", date(2025, 6, 30), earmark=2,
                           reference="DEP-E")
    first = factories.approved_cycle("Cycle 2025-A", date(2025, 7, 15))
    second = factories.approved_cycle("Cycle 2025-B", date(2025, 10, 1))
    notes = [factories.bare_note("MIG-2026-9001", "KEN", area=2),
             factories.bare_note("MIG-2026-9002", "BGD", area=4),
             factories.bare_note("MIG-2026-9003", "MEX", area=2)]
    factories.allocation(first, notes[0], 60_000_000, from_earmarked=60_000_000, rank=1)
    factories.allocation(first, notes[1], 30_000_000, rank=2)
    factories.allocation(second, notes[2], 20_000_000, from_earmarked=14_250_049, rank=1)
    db.session.commit()
    return {"cycles": (first, second), "notes": notes}
