"""An earlier funding cycle decided and its decision issued (PDF sealed and verifiable), and
the current cycle run and drafted, ready for the chair to issue."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, time, timedelta

from sqlalchemy import func, select

from mptf.allocation import cycles, decisions
from mptf.extensions import db
from mptf.models import FundingCycle, ReviewRound, User
from mptf.models.base import replaying, utcnow
from mptf.review.demo import round_name
from mptf.services.policy import Role


def _draft(secretariat: User, cycle, day, text: str):
    present = [m.id for m in decisions.members_on(day)]
    return decisions.save_draft(secretariat, cycle, decisions.DraftInput(
        meeting_date=day, place="Geneva, Palais des Nations", virtual=False,
        present_ids=present, outcome_mode="consensus", escalation_step=None, text=text,
        other_decisions="The Committee thanks the contributing states.", conditions={}))


def _cycles_in(year: int) -> int:
    return db.session.scalar(select(func.count()).select_from(FundingCycle).where(
        FundingCycle.name.like(f"Funding cycle {year}-%")))


def build() -> Iterator[str]:
    secretariat = db.session.scalar(select(User).where(User.role == Role.SECRETARIAT))
    chair = db.session.scalar(select(User).where(User.role == Role.CHAIR))
    closed = db.session.scalar(select(ReviewRound).where(ReviewRound.status == "closed")
                               .order_by(ReviewRound.id))
    if closed is None or chair is None:
        yield "Demo decisions skipped: no closed review round."
        return
    today = utcnow().date()
    met = today - timedelta(days=30)
    with replaying(datetime.combine(met - timedelta(days=7), time(11))):
        earlier = cycles.create_cycle(secretariat, cycles.CycleInput(
            name=round_name("Funding cycle", met, _cycles_in(met.year)), decision_date=met,
            envelope_cents=600_000_000,
            policy={"max_per_country": 1, "thematic_cap": {"1": 0.5}},
            round_ids=[closed.id]))
        cycles.save_run(secretariat, earlier)
    with replaying(datetime.combine(met, time(16))):
        decision = _draft(secretariat, earlier, met,
                          "The Committee approves the allocations below by consensus.")
        decisions.issue(chair, decision)
    yield f"Demo decision {decision.reference} issued: SHA-256 {decision.pdf_sha256}."

    meets = today + timedelta(days=14)
    current = cycles.create_cycle(secretariat, cycles.CycleInput(
        name=round_name("Funding cycle", meets, _cycles_in(meets.year)), decision_date=meets,
        envelope_cents=None,
        policy={"max_per_country": 2, "thematic_floor": {"2": 0.15}, "champion_bonus": 2.0},
        round_ids=[closed.id]))
    run = cycles.save_run(secretariat, current)
    _draft(secretariat, current, today, "Draft for the Committee's meeting.")
    db.session.flush()
    funded = sum(1 for line in run.lines if line.status == "funded")
    yield (f"Demo cycle '{current.name}' run ({funded} notes funded) and its decision drafted, "
           "ready for the chair to issue.")
