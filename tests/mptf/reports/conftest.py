"""An issued-ready funding cycle: a committee, eight scored pipeline notes, contributions, a
cycle with a saved run and a draft decision."""

from datetime import date

import pytest

from mptf.allocation import cycles, decisions
from mptf.extensions import db
from mptf.models import Contribution, User
from mptf.review import services as review
from tests import factories
from tests.mptf.review.conftest import (  # noqa: F401
    appoint,
    committee,
    pipeline_notes,
    teams,
)

OPENING = date(2026, 3, 1)
MEETING = date(2026, 5, 4)


def contribute(reference: str, donor_iso3: str, amount_cents: int, day: date,
               earmark: int | None = None) -> Contribution:
    fee = (amount_cents * 100 + 5_000) // 10_000
    contribution = Contribution(reference=reference, donor=factories.state(donor_iso3),
                                deposited_on=day, amount_cents=amount_cents, fee_cents=fee,
                                net_cents=amount_cents - fee, earmark_area_id=earmark)
    db.session.add(contribution)
    return contribution


@pytest.fixture
def scored(committee, teams, pipeline_notes):  # noqa: F811
    """The eight notes scored: note i gets every criterion at 5 - i // 2 from each reviewer
    who may score it, so notes 0-1 score 100, 2-3 75, 4-5 50, 6-7 25."""
    secretariat = teams["sec"]
    round_ = review.create_round(secretariat, review.RoundInput(
        name="Round 1", opens_on=OPENING, closes_on=None, quorum=2,
        note_ids=[n.id for n in pipeline_notes]))
    review.open_round(secretariat, round_, OPENING)
    for a in round_.assignments:
        if a.status != "assigned":
            continue
        index = [n.id for n in pipeline_notes].index(a.note_id)
        value = 5 - index // 2
        user = a.membership.representatives[0].user
        review.save_review(user, round_, a.note_id, {c.code: value for c in round_.criteria},
                           {}, "", submit=True)
    review.close_round(secretariat, round_)
    db.session.commit()
    return round_


@pytest.fixture
def chair(seeded):
    user = factories.user("chair", email="chair@example.org")
    user.name = "Ms Chair"
    db.session.commit()
    return user


@pytest.fixture
def cycle(scored, teams, chair):  # noqa: F811
    """USD 3,500,000 deposited (1 % fee: 3,465,000 net). Each note requests 1,070,000, so
    the money funds three. Worked by hand: notes 0 and 1 (Kenya, 100) are funded; 2 and 3
    (Kenya, 75) hit the limit of two notes per country; 4 (Bangladesh, 50) is funded;
    5, 6, 7 find 255,000 left: insufficient funds."""
    contribute("C-1", "DEU", 250_000_000, date(2026, 1, 10))
    contribute("C-2", "NLD", 100_000_000, date(2026, 2, 10))
    db.session.commit()
    made = cycles.create_cycle(teams["sec"], cycles.CycleInput(
        name="Cycle 2026-1", decision_date=MEETING, envelope_cents=None,
        policy={"max_per_country": 2}, round_ids=[scored.id]))
    cycles.save_run(teams["sec"], made)
    db.session.commit()
    return made


@pytest.fixture
def meeting(committee):  # noqa: F811
    """The members at the meeting of 4 May: all five, and two seated in April (after the
    round opened): UNHCR in a third UN Network seat and Mexico in a second seat of countries
    of origin, transit and destination. Without the members recused from it (IOM and UNDP
    are PUNOs of the Bangladesh notes, Kenya is the country of the Kenya notes) each note
    still has both constituencies present, as its quorum requires."""
    joined = [appoint("un_network", 3, factories.entity("UNHCR"), date(2026, 4, 1)),
              appoint("cotd_state", 2, factories.state("MEX"), date(2026, 4, 1))]
    db.session.commit()
    return [*committee.values(), *joined]


@pytest.fixture
def draft(cycle, meeting, teams):  # noqa: F811
    present = [m.id for m in meeting]
    decision = decisions.save_draft(teams["sec"], cycle, decisions.DraftInput(
        meeting_date=MEETING, place="Geneva", virtual=False, present_ids=present,
        outcome_mode="consensus", escalation_step=None,
        text="The Committee approves the allocations below.", other_decisions="",
        conditions={}))
    db.session.commit()
    return decision


def the_chair() -> User:
    return db.session.scalar(db.select(User).where(User.role == "chair"))
