"""A closed review round (with a recusal, a note without quorum and a disagreement) and an
open one, scored through the services by the seated members' representatives."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import timedelta

from sqlalchemy import select

from mptf.extensions import db
from mptf.models import Assignment, ConceptNote, MembershipRepresentative, User
from mptf.models.base import utcnow
from mptf.review import services


def _representative(membership_id: int) -> User | None:
    return db.session.scalar(select(User).join(
        MembershipRepresentative, MembershipRepresentative.user_id == User.id).where(
        MembershipRepresentative.membership_id == membership_id,
        User.role == "reviewer").order_by(MembershipRepresentative.is_alternate))


def _values(round_, rng: random.Random, level: int) -> dict[str, int]:
    return {c.code: max(c.scale_min, min(c.scale_max, level + rng.choice([-1, 0, 0, 1])))
            for c in round_.criteria}


def build() -> Iterator[str]:
    today = utcnow().date()
    secretariat = db.session.scalar(select(User).where(User.role == "secretariat"))
    if not services.seated_reviewers(today):
        yield "Demo review rounds skipped: no committee is seated."
        return
    notes = list(db.session.scalars(select(ConceptNote).where(ConceptNote.status == "pipeline")
                                    .order_by(ConceptNote.id)))
    closed_notes, open_notes = notes[:12], notes[12:20]
    rng = random.Random(5)

    closed = services.create_round(secretariat, services.RoundInput(
        name=f"Review round {today.year - 1}-2", opens_on=today - timedelta(days=75),
        closes_on=today - timedelta(days=40), quorum=3,
        note_ids=[n.id for n in closed_notes]))
    services.open_round(secretariat, closed, today)
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
        if not declared and a.note_id == closed_notes[1].id:
            services.declare_conflict(user, closed, a.note_id,
                                      "Our country office co-designed this concept note.")
            declared = True
            continue
        level = 4 if a.note_id % 3 else 3
        if a.note_id == disagreement:
            level = rng.choice([1, 5])
        services.save_review(user, closed, a.note_id, _values(closed, rng, level),
                             {}, "Well argued; the budget could be leaner.", submit=True)
    services.close_round(secretariat, closed)
    closed.opened_at = utcnow() - timedelta(days=75)
    closed.closed_at = utcnow() - timedelta(days=40)

    current = services.create_round(secretariat, services.RoundInput(
        name=f"Review round {today.year}-1", opens_on=today, closes_on=today + timedelta(days=30),
        quorum=3, calibrate=True, note_ids=[n.id for n in open_notes]))
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
