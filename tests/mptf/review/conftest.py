"""A committee of five scoring members (UN entities, states, a stakeholder), each with a
reviewer account, and eight pipeline notes from Kenya and Bangladesh."""


import pytest

from mptf.extensions import db
from mptf.models import Membership, MembershipRepresentative, Organisation, Seat
from tests import factories

TERM = factories.sitting_term()
# (constituency, position, party kind, acronym): five scoring seats
SEATS = [
    ("un_network", 1, "un_entity", "IOM"),
    ("un_network", 2, "un_entity", "UNDP"),
    ("contributing_state", 1, "state", "DEU"),
    ("cotd_state", 1, "state", "KEN"),
    ("stakeholder", 1, "stakeholder", None),
]


def seat(constituency: str, position: int) -> Seat:
    return db.session.scalar(db.select(Seat).where(Seat.constituency == constituency,
                                                   Seat.position == position))


def appoint(constituency, position, organisation, start=TERM[0], end=TERM[1], email=None):
    membership = Membership(seat=seat(constituency, position), organisation=organisation,
                            start_date=start, end_date=end)
    db.session.add(membership)
    db.session.flush()
    if email:
        user = factories.user("reviewer", email=email)
        db.session.add(MembershipRepresentative(membership=membership, user=user))
    return membership


@pytest.fixture
def committee(seeded):
    members = {}
    for constituency, position, kind, acronym in SEATS:
        if kind == "stakeholder":
            party = db.session.scalar(db.select(Organisation).where(
                Organisation.kind == "stakeholder").order_by(Organisation.id))
        else:
            party = db.session.scalar(db.select(Organisation).where(
                Organisation.kind == kind, Organisation.acronym == acronym))
        key = acronym or "CSO"
        members[key] = appoint(constituency, position, party,
                               email=f"{key.lower()}@reviewers.example")
    db.session.commit()
    return members


@pytest.fixture
def teams(seeded):
    kenya = factories.user("country_team", country="KEN", email="kenya@example.org")
    bangladesh = factories.user("country_team", country="BGD", email="bangladesh@example.org")
    secretariat = factories.user("secretariat", email="sec@example.org")
    db.session.commit()
    return {"KEN": kenya, "BGD": bangladesh, "sec": secretariat}


@pytest.fixture
def pipeline_notes(teams):
    """Eight notes: 1-4 from Kenya (IOM lead with ILO), 5-8 from Bangladesh (IOM with UNDP)."""
    notes = []
    for i in range(4):
        notes.append(factories.note(teams["KEN"], "pipeline", title=f"Kenya {i + 1}"))
    for i in range(4):
        notes.append(factories.note(teams["BGD"], "pipeline", title=f"Bangladesh {i + 1}",
                                    punos=[("IOM", 60_000_000), ("UNDP", 40_000_000)]))
    db.session.commit()
    return notes
