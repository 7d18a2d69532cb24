"""A closed review round (with a recusal, a note without quorum and a disagreement) and an
open one, scored through the services by the seated members' representatives."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select

from mptf.extensions import db
from mptf.models import Assignment, ConceptNote, MembershipRepresentative, ReviewRound, User
from mptf.models.base import replaying, utcnow
from mptf.review import services
from mptf.services.policy import Role


def _representative(membership_id: int) -> User | None:
    return db.session.scalar(select(User).join(
        MembershipRepresentative, MembershipRepresentative.user_id == User.id).where(
        MembershipRepresentative.membership_id == membership_id,
        User.role == Role.REVIEWER).order_by(MembershipRepresentative.is_alternate))


def _values(round_, rng: random.Random, level: int) -> dict[str, int]:
    return {c.code: max(c.scale_min, min(c.scale_max, level + rng.choice([-1, 0, 0, 1])))
            for c in round_.criteria}


def round_name(kind: str, on: date, taken: int) -> str:
    """'Review round 2026-2': the year it opens and its number among that year's rounds."""
    return f"{kind} {on.year}-{taken + 1}"


def _rounds_in(year: int) -> int:
    return db.session.scalar(select(func.count()).select_from(ReviewRound).where(
        ReviewRound.name.like(f"Review round {year}-%")))


def _in_pipeline_by(notes: list[ConceptNote], day: date) -> list[ConceptNote]:
    return [n for n in notes if n.pipeline_at is not None and n.pipeline_at.date() < day]


def build() -> Iterator[str]:
    today = utcnow().date()
    secretariat = db.session.scalar(select(User).where(User.role == Role.SECRETARIAT))
    if not services.seated_reviewers(today):
        yield "Demo review rounds skipped: no committee is seated."
        return
    notes = list(db.session.scalars(select(ConceptNote).where(ConceptNote.status == "pipeline")
                                    .order_by(ConceptNote.pipeline_at, ConceptNote.id)))
    rng = random.Random(5)

    # The earlier round: open 75 days ago for five weeks, on notes in the pipeline by then.
    opened, closes = today - timedelta(days=75), today - timedelta(days=40)
    closed_notes = _in_pipeline_by(notes, opened)[:12]
    with replaying(datetime.combine(opened, time(9))):
        closed = services.create_round(secretariat, services.RoundInput(
            name=round_name("Review round", opened, _rounds_in(opened.year)), opens_on=opened,
            closes_on=closes, quorum=3, note_ids=[n.id for n in closed_notes]))
        services.open_round(secretariat, closed, opened)
    no_quorum = closed_notes[3].id
    disagreement = closed_notes[5].id
    declared = False
    for a in db.session.scalars(select(Assignment).where(
            Assignment.round_id == closed.id, Assignment.status == "assigned")
            .order_by(Assignment.note_id, Assignment.membership_id)):
        user = _representative(a.membership_id)
        if user is None:
            continue
        if a.note_id == no_quorum and rng.random() < 0.7:
            continue
        day = opened + timedelta(days=rng.randint(2, 30))
        with replaying(datetime.combine(day, time(10)) + timedelta(minutes=rng.randint(0, 420))):
            # A contributing state declares a conflict (its development agency funds a parallel
            # project): the UN entities are recused from the notes they are PUNOs of already.
            if (not declared and a.note_id == closed_notes[1].id
                    and a.membership.seat.constituency == "contributing_state"):
                services.declare_conflict(user, closed, a.note_id,
                                          "Our development agency co-finances a parallel "
                                          "project with the same ministry.")
                declared = True
                continue
            level = 4 if a.note_id % 3 else 3
            if a.note_id == disagreement:
                level = rng.choice([1, 5])
            services.save_review(user, closed, a.note_id, _values(closed, rng, level),
                                 {}, "Well argued; the budget could be leaner.", submit=True,
                                 on=day)
    with replaying(datetime.combine(closes + timedelta(days=1), time(9))):
        services.close_round(secretariat, closed)

    # The round open now, for a month, on notes not reviewed before.
    reviewed = {n.id for n in closed_notes}
    open_notes = [n for n in _in_pipeline_by(notes, today) if n.id not in reviewed][:8]
    current = services.create_round(secretariat, services.RoundInput(
        name=round_name("Review round", today, _rounds_in(today.year)), opens_on=today,
        closes_on=today + timedelta(days=30), quorum=3, calibrate=True,
        note_ids=[n.id for n in open_notes]))
    services.open_round(secretariat, current, today)
    for a in db.session.scalars(select(Assignment).where(
            Assignment.round_id == current.id, Assignment.status == "assigned")
            .order_by(Assignment.note_id, Assignment.membership_id)):
        user = _representative(a.membership_id)
        if user is None or user.email == "reviewer@demo.mptf.example" or rng.random() < 0.5:
            continue
        services.save_review(user, current, a.note_id, _values(current, rng, 4), {}, "",
                             submit=rng.random() < 0.7)
    db.session.flush()
    yield (f"Demo review rounds: '{closed.name}' closed ({len(closed_notes)} notes), "
           f"'{current.name}' open ({len(open_notes)} notes).")
