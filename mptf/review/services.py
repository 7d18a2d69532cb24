"""Review rounds (DESIGN.md §5): the secretariat creates a round with a rubric copied from the
fund's, opens it (freezing rubric, notes and reviewers minus conflicts), reviewers score
independently, and closing computes every number with ``scoring.aggregate_round``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from mptf.extensions import db
from mptf.models import (
    VOTING_CONSTITUENCIES,
    Assignment,
    ConceptNote,
    ConflictDeclaration,
    Membership,
    MembershipRepresentative,
    Reminder,
    Review,
    ReviewRound,
    RoundCriterion,
    RoundNote,
    Score,
    Seat,
    User,
)
from mptf.models.base import utcnow
from mptf.models.pipeline import NoteStatus
from mptf.models.review import AssignmentStatus, ReviewStatus, RoundStatus
from mptf.notifications import events as notifications
from mptf.reference.seed import default_rubric_records
from mptf.services.audit import record
from mptf.services.confirmation import Consequences, plural
from mptf.services.errors import NotAllowed, NotFound, ServiceError
from mptf.services.policy import Role
from scoring import Rubric, aggregate_round, criterion_means

# The chair facilitates the committee's consensus and does not score; ex officio has no vote.
SCORING_CONSTITUENCIES = tuple(c for c in VOTING_CONSTITUENCIES if c != "chair")
STATUS_LABELS = {RoundStatus.DRAFT: "In preparation", RoundStatus.OPEN: "Open for scoring",
                 RoundStatus.CLOSED: "Closed"}


def _require(user: User, *roles: Role) -> None:
    if user.role not in roles:
        raise NotAllowed("Your role does not allow this.")


def _state(round_: ReviewRound, *states: str, doing: str) -> None:
    if round_.status not in states:
        raise ServiceError(f"The round is {STATUS_LABELS[round_.status].lower()}; you cannot "
                           f"{doing} now.", status=409, code="state")


# --- the rubric ------------------------------------------------------------------------------

def fund_rubric() -> Rubric:
    """The fund's current rubric (seed_data/rubric.yaml), validated by scoring.Rubric."""
    records = [{k: r[k] for k in ("code", "label", "weight", "scale_min", "scale_max",
                                  "guidance") if k in r} for r in default_rubric_records()]
    return Rubric.from_records(records)


def round_rubric(round_: ReviewRound) -> Rubric:
    return Rubric.from_records([
        {"code": c.code, "label": c.label, "weight": c.weight, "scale_min": c.scale_min,
         "scale_max": c.scale_max, "guidance": c.guidance} for c in round_.criteria])


SCALE_LIMIT = 100


def set_criteria(actor: User, round_: ReviewRound, records: list[dict[str, Any]]) -> None:
    """Replace the round's rubric while it is in preparation; scoring.Rubric checks it."""
    _require(actor, Role.SECRETARIAT)
    _state(round_, RoundStatus.DRAFT, doing="change the rubric")
    for row in records:
        ends = (row.get("scale_min", 1), row.get("scale_max", 5))
        if any(isinstance(end, int | float) and abs(end) > SCALE_LIMIT for end in ends):
            raise ServiceError(f"A scale runs between -{SCALE_LIMIT} and {SCALE_LIMIT} (the "
                               "scoring form shows one choice per point).",
                               fields={"criteria": ["Scale out of range."]})
    try:
        rubric = Rubric.from_records(records)
    except (ValueError, TypeError) as exc:
        raise ServiceError(f"The rubric is not valid: {exc}",
                           fields={"criteria": [str(exc)]}) from exc
    before = [c.code for c in round_.criteria]
    round_.criteria.clear()
    db.session.flush()
    for position, c in enumerate(rubric, start=1):
        round_.criteria.append(RoundCriterion(
            position=position, code=c.code, label=c.label, guidance=c.guidance,
            weight=float(c.weight), scale_min=int(c.scale_min), scale_max=int(c.scale_max)))
    record(actor, "round_rubric_changed", round_, before={"criteria": before},
           after={"criteria": [c.code for c in rubric],
                  "weights": [float(c.weight) for c in rubric]})


# --- rounds ------------------------------------------------------------------------------------

@dataclass
class RoundInput:
    name: str
    opens_on: date | None
    closes_on: date | None
    quorum: int = 3
    disagreement_threshold: float = 25.0
    calibrate: bool = False
    note_ids: list[int] | None = None


def create_round(actor: User, data: RoundInput) -> ReviewRound:
    _require(actor, Role.SECRETARIAT)
    name = (data.name or "").strip()
    if not name:
        raise ServiceError("Give the round a name.", fields={"name": ["Required."]})
    if db.session.scalar(select(ReviewRound.id).where(ReviewRound.name == name)):
        raise ServiceError(f"A round named '{name}' exists already.",
                           fields={"name": ["Already used."]})
    _check_settings(data)
    round_ = ReviewRound(name=name, opens_on=data.opens_on, closes_on=data.closes_on,
                         quorum=data.quorum, disagreement_threshold=data.disagreement_threshold,
                         calibrate=data.calibrate, status=RoundStatus.DRAFT)
    db.session.add(round_)
    db.session.flush()
    for position, c in enumerate(fund_rubric(), start=1):
        round_.criteria.append(RoundCriterion(
            position=position, code=c.code, label=c.label, guidance=c.guidance,
            weight=float(c.weight), scale_min=int(c.scale_min), scale_max=int(c.scale_max)))
    record(actor, "round_created", round_, after={"name": name})
    if data.note_ids:
        set_notes(actor, round_, data.note_ids)
    return round_


def _check_settings(data: RoundInput) -> None:
    if data.opens_on and data.closes_on and data.closes_on < data.opens_on:
        raise ServiceError("The round cannot close before it opens.",
                           fields={"closes_on": ["Before the opening date."]})
    if not isinstance(data.quorum, int) or data.quorum < 1:
        raise ServiceError("The quorum is at least one review.", fields={"quorum": ["At least 1."]})
    if not 0 <= data.disagreement_threshold <= 100:
        raise ServiceError("The disagreement threshold is between 0 and 100 points.",
                           fields={"disagreement_threshold": ["Between 0 and 100."]})


def update_settings(actor: User, round_: ReviewRound, data: RoundInput) -> None:
    _require(actor, Role.SECRETARIAT)
    _state(round_, RoundStatus.DRAFT, doing="change the settings")
    _check_settings(data)
    before = {"opens_on": round_.opens_on, "closes_on": round_.closes_on,
              "quorum": round_.quorum, "threshold": round_.disagreement_threshold,
              "calibrate": round_.calibrate}
    round_.opens_on, round_.closes_on = data.opens_on, data.closes_on
    round_.quorum, round_.disagreement_threshold = data.quorum, data.disagreement_threshold
    round_.calibrate = data.calibrate
    record(actor, "round_settings_changed", round_, before=before,
           after={"opens_on": data.opens_on, "closes_on": data.closes_on,
                  "quorum": data.quorum, "threshold": data.disagreement_threshold,
                  "calibrate": data.calibrate})
    if data.note_ids is not None:
        set_notes(actor, round_, data.note_ids)


def set_notes(actor: User, round_: ReviewRound, note_ids: list[int]) -> None:
    """The round's notes, while it is in preparation: pipeline notes only."""
    _require(actor, Role.SECRETARIAT)
    _state(round_, RoundStatus.DRAFT, doing="change its notes")
    wanted = sorted(set(note_ids))
    notes = {n.id: n for n in db.session.scalars(select(ConceptNote).where(
        ConceptNote.id.in_(wanted)))}
    missing = [i for i in wanted if i not in notes]
    if missing:
        raise ServiceError(f"Unknown concept note id(s): {missing}.",
                           fields={"note_ids": ["Unknown note."]})
    outside = [n.reference for n in notes.values() if n.status != NoteStatus.PIPELINE]
    if outside:
        raise ServiceError(f"Only notes in the pipeline can be reviewed; not: "
                           f"{', '.join(sorted(outside))}.", fields={"note_ids": ["Not in the "
                                                                                 "pipeline."]})
    current = {rn.note_id: rn for rn in round_.round_notes}
    for note_id, rn in current.items():
        if note_id not in notes:
            round_.round_notes.remove(rn)
    for note_id in wanted:
        if note_id not in current:
            round_.round_notes.append(RoundNote(note_id=note_id))
    record(actor, "round_notes_set", round_, before={"notes": sorted(current)},
           after={"notes": wanted})


def seated_reviewers(on: date) -> list[Membership]:
    """Memberships in a scoring seat on ``on`` (start inclusive, end exclusive)."""
    return list(db.session.scalars(
        select(Membership).join(Seat)
        .where(Seat.constituency.in_(SCORING_CONSTITUENCIES), Membership.start_date <= on,
               Membership.end_date > on)
        .order_by(Seat.constituency, Seat.position)))


def open_round(actor: User, round_: ReviewRound, on: date | None = None) -> None:
    """Freeze the rubric, the notes (their current version) and the reviewers: the
    memberships seated on the opening day, each recused from the notes it has a conflict on."""
    from mptf.committee.services import recusals

    _require(actor, Role.SECRETARIAT)
    round_ = db.session.scalar(select(ReviewRound).where(ReviewRound.id == round_.id)
                               .with_for_update())
    _state(round_, RoundStatus.DRAFT, doing="open it")
    on = on or utcnow().date()
    if not round_.round_notes:
        raise ServiceError("Add at least one pipeline note before opening the round.")
    if not round_.criteria:
        raise ServiceError("The round has no rubric.")
    reviewers = seated_reviewers(on)
    if not reviewers:
        raise ServiceError(f"No member of the Steering Committee sits in a scoring seat on "
                           f"{on.isoformat()}; appoint members before opening the round.")
    notes = [rn.note for rn in round_.round_notes]
    not_in_pipeline = [n.reference for n in notes if n.status != NoteStatus.PIPELINE]
    if not_in_pipeline:
        raise ServiceError("These notes left the pipeline since they were added: "
                           f"{', '.join(not_in_pipeline)}; remove them first.")
    recused = recusals(reviewers, notes, on)
    for rn in round_.round_notes:
        rn.version_number = rn.note.current_version
        for membership in reviewers:
            reasons = recused.get((membership.id, rn.note_id))
            round_.assignments.append(Assignment(
                note_id=rn.note_id, membership_id=membership.id,
                status=AssignmentStatus.RECUSED if reasons else AssignmentStatus.ASSIGNED,
                recusal_reason="; ".join(reasons) if reasons else ""))
    round_.status = RoundStatus.OPEN
    round_.opened_at = utcnow()
    round_.opens_on = round_.opens_on or on
    record(actor, "round_opened", round_, after={
        "notes": len(notes), "reviewers": len(reviewers),
        "recusals": sum(1 for a in round_.assignments if a.status == AssignmentStatus.RECUSED)})
    notifications.round_opened(round_)


# --- reviewers ---------------------------------------------------------------------------------

def memberships_of(user: User) -> list[int]:
    return list(db.session.scalars(select(MembershipRepresentative.membership_id).where(
        MembershipRepresentative.user_id == user.id)))


def assignment_for(user: User, round_: ReviewRound, note_id: int) -> Assignment:
    """The user's assignment to score the note in this open or closed round. A reviewer who is
    not in the round, or is recused from the note, gets NotFound (404): the note does not
    exist for them in this round."""
    if user.role != Role.REVIEWER:
        raise NotAllowed("Only reviewers score notes.")
    assignment = db.session.scalar(select(Assignment).where(
        Assignment.round_id == round_.id, Assignment.note_id == note_id,
        Assignment.membership_id.in_(memberships_of(user)),
        Assignment.status == AssignmentStatus.ASSIGNED))
    if assignment is None:
        raise NotFound("This note is not yours to score in this round.")
    return assignment


def _require_sitting(assignment: Assignment, on: date | None = None) -> None:
    """A member scores, or declares a conflict, only while its term runs (start inclusive,
    end exclusive), even in a round it was frozen into."""
    on = on or utcnow().date()
    membership = assignment.membership
    if on < membership.start_date:
        when = f"starts on {membership.start_date:%d %B %Y}"
    elif on >= membership.end_date:
        when = f"ended on {membership.end_date - timedelta(days=1):%d %B %Y}"
    else:
        return
    raise NotAllowed(f"{membership.organisation}'s term on the Steering Committee {when}: "
                     "reviews are given while a term runs.")


def my_assignments(user: User, round_: ReviewRound) -> list[tuple[Assignment, Review | None]]:
    memberships = memberships_of(user)
    assignments = list(db.session.scalars(select(Assignment).where(
        Assignment.round_id == round_.id, Assignment.membership_id.in_(memberships))
        .options(selectinload(Assignment.note).joinedload(ConceptNote.country))
        .order_by(Assignment.note_id)))
    reviews = {(r.note_id, r.membership_id): r for r in db.session.scalars(select(Review).where(
        Review.round_id == round_.id, Review.membership_id.in_(memberships)))}
    return [(a, reviews.get((a.note_id, a.membership_id))) for a in assignments]


def visible_rounds(user: User):
    query = select(ReviewRound).order_by(ReviewRound.id.desc())
    if user.role in (Role.SECRETARIAT, Role.CHAIR):
        return query
    if user.role == Role.REVIEWER:
        return query.where(ReviewRound.id.in_(select(Assignment.round_id).where(
            Assignment.membership_id.in_(memberships_of(user)))))
    if user.role == Role.FUND_OFFICE:
        return query.where(ReviewRound.status == RoundStatus.CLOSED)
    return query.where(False)


def round_for(user: User, round_id: int, with_notes: bool = False) -> ReviewRound:
    """The round if the user may see it; ``with_notes`` loads its notes and their countries
    with it (for the pages that list them)."""
    query = visible_rounds(user).where(ReviewRound.id == round_id)
    if with_notes:
        query = query.options(selectinload(ReviewRound.round_notes).selectinload(RoundNote.note)
                              .joinedload(ConceptNote.country))
    round_ = db.session.scalar(query)
    if round_ is None:
        raise NotFound("There is no such review round, or it is not yours to see.")
    return round_


def save_review(user: User, round_: ReviewRound, note_id: int, values: dict[str, int | None],
                comments: dict[str, str], overall: str, submit: bool,
                on: date | None = None) -> Review:
    """Create or update the reviewer's one review of the note. A draft may be incomplete; a
    submission needs every criterion within its scale. The assignment row is locked, so two
    requests submitting the same review one after the other update one row."""
    assignment = assignment_for(user, round_, note_id)
    _require_sitting(assignment, on)
    db.session.scalar(select(Assignment).where(Assignment.id == assignment.id).with_for_update())
    round_ = db.session.scalar(select(ReviewRound).where(ReviewRound.id == round_.id))
    _state(round_, RoundStatus.OPEN, doing="score")
    problems: dict[str, list[str]] = {}
    for c in round_.criteria:
        value = values.get(c.code)
        if value is None:
            if submit:
                problems.setdefault(c.code, []).append("Give a score.")
        elif not c.scale_min <= value <= c.scale_max:
            problems.setdefault(c.code, []).append(
                f"A score from {c.scale_min} to {c.scale_max}.")
    unknown = set(values) - {c.code for c in round_.criteria}
    if unknown:
        problems.setdefault("criteria", []).append(f"Unknown criteria: {sorted(unknown)}.")
    if problems:
        raise ServiceError("The review cannot be " + ("submitted" if submit else "saved") +
                           " yet: correct the scores marked.", fields=problems)
    review = db.session.scalar(select(Review).where(
        Review.round_id == round_.id, Review.note_id == note_id,
        Review.membership_id == assignment.membership_id))
    created = review is None
    if created:
        review = Review(round_id=round_.id, note_id=note_id,
                        membership_id=assignment.membership_id)
        db.session.add(review)
    review.author_id = user.id
    review.comment = (overall or "").strip()
    by_criterion = {s.criterion_id: s for s in review.scores}
    for c in round_.criteria:
        score = by_criterion.get(c.id)
        if score is None:
            score = Score(criterion_id=c.id)
            review.scores.append(score)
        score.value = values.get(c.code)
        score.comment = (comments.get(c.code) or "").strip()
    if submit:
        review.status = ReviewStatus.SUBMITTED
        review.submitted_at = utcnow()
    elif review.status != ReviewStatus.SUBMITTED:
        review.status = ReviewStatus.DRAFT
    db.session.flush()
    # The audit log records that a review moved, never its scores (independence).
    record(user, "review_submitted" if submit else "review_saved", review,
           after={"round": round_.id, "note": note_id, "membership": assignment.membership_id})
    return review


def reopen_review(user: User, round_: ReviewRound, note_id: int) -> Review:
    assignment = assignment_for(user, round_, note_id)
    _require_sitting(assignment)
    _state(round_, RoundStatus.OPEN, doing="reopen a review")
    review = db.session.scalar(select(Review).where(
        Review.round_id == round_.id, Review.note_id == note_id,
        Review.membership_id == assignment.membership_id))
    if review is None or review.status != ReviewStatus.SUBMITTED:
        raise ServiceError("Only a submitted review can be reopened.", status=409, code="state")
    review.status = ReviewStatus.DRAFT
    review.submitted_at = None
    record(user, "review_reopened", review, after={"round": round_.id, "note": note_id})
    return review


def declare_conflict(user: User, round_: ReviewRound, note_id: int, reason: str) -> None:
    """The reviewer declares a conflict instead of scoring: recused, any draft discarded."""
    assignment = assignment_for(user, round_, note_id)
    _require_sitting(assignment)
    _state(round_, RoundStatus.OPEN, doing="declare a conflict")
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError("Give the reason for the conflict of interest.",
                           fields={"reason": ["Required."]})
    exists = db.session.scalar(select(ConflictDeclaration).where(
        ConflictDeclaration.membership_id == assignment.membership_id,
        ConflictDeclaration.note_id == note_id))
    if exists is None:
        from mptf.committee.services import declare_conflict as declare

        declare(user, assignment.membership, assignment.note, reason)
    review = db.session.scalar(select(Review).where(
        Review.round_id == round_.id, Review.note_id == note_id,
        Review.membership_id == assignment.membership_id))
    if review is not None:
        db.session.delete(review)
    assignment.status = AssignmentStatus.RECUSED
    assignment.recusal_reason = f"declared: {reason}"
    record(user, "conflict_declared", assignment,
           after={"round": round_.id, "note": note_id, "reason": reason})


def conflict_consequences(user: User, round_: ReviewRound, note_id: int) -> Consequences:
    """What declaring a conflict on the note does for good, for its confirmation page."""
    assignment = assignment_for(user, round_, note_id)
    member, reference = assignment.membership.organisation, assignment.note.reference
    final = [f"{member} is recused from {reference} in this round: you will not score it, "
             "and you do not count towards the quorum on it when the committee decides.",
             f"The declaration stays on the committee's record: {member} is recused from "
             f"{reference} in every later round too."]
    review = db.session.scalar(select(Review).where(
        Review.round_id == round_.id, Review.note_id == note_id,
        Review.membership_id == assignment.membership_id))
    if review is not None:
        final.append(f"Your {'submitted' if review.status == 'submitted' else 'draft'} review "
                     f"of {reference} is deleted.")
    refusal = None
    try:
        _require_sitting(assignment)
        _state(round_, RoundStatus.OPEN, doing="declare a conflict")
    except ServiceError as exc:
        refusal = exc.message
    return Consequences(final=final, refusal=refusal)


# --- progress, reminders ------------------------------------------------------------------------

def progress(round_: ReviewRound) -> dict[str, Any]:
    """Reviews submitted per note and per reviewer: counts only, never scores."""
    assigned = db.session.execute(
        select(Assignment.note_id, Assignment.membership_id, Assignment.status)
        .where(Assignment.round_id == round_.id)).all()
    submitted = set(db.session.execute(
        select(Review.note_id, Review.membership_id).where(
            Review.round_id == round_.id, Review.status == ReviewStatus.SUBMITTED)).all())
    per_note: dict[int, dict[str, int]] = {}
    per_reviewer: dict[int, dict[str, int]] = {}
    for note_id, membership_id, status in assigned:
        n = per_note.setdefault(note_id, {"assigned": 0, "recused": 0, "submitted": 0})
        r = per_reviewer.setdefault(membership_id, {"assigned": 0, "recused": 0, "submitted": 0})
        key = "recused" if status == AssignmentStatus.RECUSED else "assigned"
        n[key] += 1
        r[key] += 1
        if (note_id, membership_id) in submitted:
            n["submitted"] += 1
            r["submitted"] += 1
    memberships = {m.id: m for m in db.session.scalars(select(Membership).where(
        Membership.id.in_(per_reviewer)).options(joinedload(Membership.organisation)))}
    return {"per_note": per_note, "per_reviewer": per_reviewer, "memberships": memberships}


def send_reminder(actor: User, round_: ReviewRound, membership_id: int, message: str) -> Reminder:
    _require(actor, Role.SECRETARIAT)
    _state(round_, RoundStatus.OPEN, doing="send reminders")
    if not db.session.scalar(select(Assignment.id).where(
            Assignment.round_id == round_.id, Assignment.membership_id == membership_id)):
        raise ServiceError("That member is not a reviewer in this round.")
    reminder = Reminder(round_id=round_.id, membership_id=membership_id, sent_by_id=actor.id,
                        message=(message or "").strip() or "Please complete your reviews.")
    db.session.add(reminder)
    record(actor, "reminder_sent", round_, after={"membership": membership_id})
    notifications.reminder_sent(reminder)
    return reminder


# --- closing and results --------------------------------------------------------------------------

def reviews_frame(round_: ReviewRound) -> pd.DataFrame:
    """Every submitted score of the round as scoring expects it: note_id, reviewer_id (the
    membership), criterion (code), value."""
    rows = db.session.execute(
        select(Review.note_id, Review.membership_id, RoundCriterion.code, Score.value)
        .join(Score, Score.review_id == Review.id)
        .join(RoundCriterion, RoundCriterion.id == Score.criterion_id)
        .where(Review.round_id == round_.id, Review.status == ReviewStatus.SUBMITTED)).all()
    return pd.DataFrame(rows, columns=["note_id", "reviewer_id", "criterion", "value"])


def close_round(actor: User, round_: ReviewRound) -> pd.DataFrame:
    """Compute the round's results with scoring.aggregate_round, store them per note, give
    each scored note its score, and make the round read-only."""
    _require(actor, Role.SECRETARIAT)
    round_ = db.session.scalar(select(ReviewRound).where(ReviewRound.id == round_.id)
                               .with_for_update())
    _state(round_, RoundStatus.OPEN, doing="close it")
    rubric = round_rubric(round_)
    frame = reviews_frame(round_)
    results = aggregate_round(frame, rubric, quorum=round_.quorum,
                              disagreement_threshold=round_.disagreement_threshold,
                              calibrate=round_.calibrate) if len(frame) else None
    for rn in round_.round_notes:
        if results is not None and rn.note_id in results.index:
            row = results.loc[rn.note_id]
            rn.n_reviews = int(row["n_reviews"])
            rn.mean, rn.median = float(row["mean"]), float(row["median"])
            rn.std = None if pd.isna(row["std"]) else float(row["std"])
            rn.spread, rn.calibrated = float(row["spread"]), float(row["calibrated"])
            rn.score, rn.rank = float(row["score"]), int(row["rank"])
            rn.quorum_met, rn.disagreement = bool(row["quorum_met"]), bool(row["disagreement"])
            rn.note.score = rn.score
        else:
            rn.n_reviews, rn.quorum_met, rn.disagreement = 0, False, False
    round_.status = RoundStatus.CLOSED
    round_.closed_at = utcnow()
    record(actor, "round_closed", round_, after={
        "scored": 0 if results is None else len(results),
        "without_quorum": sum(1 for rn in round_.round_notes if not rn.quorum_met),
        "disagreements": sum(1 for rn in round_.round_notes if rn.disagreement)})
    return results if results is not None else pd.DataFrame()


def close_consequences(round_: ReviewRound) -> Consequences:
    """What closing the round does for good and what it leaves out, for its confirmation
    page: reviews still in draft or never started, notes that will have no quorum (two
    queries, whatever the round's size; ``round_`` with its notes loaded)."""
    assigned = [tuple(row) for row in db.session.execute(
        select(Assignment.note_id, Assignment.membership_id).where(
            Assignment.round_id == round_.id, Assignment.status == AssignmentStatus.ASSIGNED))]
    reviews = {(n, m): status for n, m, status in db.session.execute(
        select(Review.note_id, Review.membership_id, Review.status).where(
            Review.round_id == round_.id))}
    drafts = sum(1 for key in assigned if reviews.get(key) == ReviewStatus.DRAFT)
    not_started = sum(1 for key in assigned if key not in reviews)
    submitted: dict[int, int] = {}
    for (note_id, _membership), status in reviews.items():
        if status == ReviewStatus.SUBMITTED:
            submitted[note_id] = submitted.get(note_id, 0) + 1
    short = sorted(rn.note.reference for rn in round_.round_notes
                   if submitted.get(rn.note_id, 0) < round_.quorum)
    final = ["The round closes for good: no review can be submitted, changed or reopened "
             "after it.",
             "Each note's score, rank, quorum and disagreement are computed from the "
             f"{plural(sum(submitted.values()), 'submitted review')} and kept.",
             "The secretariat and the chair see each reviewer's scores."]
    missing = []
    if drafts:
        missing.append("1 review is still a draft and will not count." if drafts == 1 else
                       f"{drafts:,} reviews are still drafts and will not count.")
    if not_started:
        missing.append(f"{plural(not_started, 'assigned review was', 'assigned reviews were')}"
                       " never started.")
    if short:
        missing.append(f"{plural(len(short), 'note')} will have fewer than "
                       f"{plural(round_.quorum, 'submitted review')}, no quorum: "
                       f"{', '.join(short)}.")
    today = utcnow().date()
    if round_.closes_on and round_.closes_on > today:
        days = (round_.closes_on - today).days
        missing.append(f"The round was to stay open until {round_.closes_on:%d %B %Y}, "
                       f"{plural(days, 'day')} from now.")
    refusal = None
    if round_.status != RoundStatus.OPEN:
        refusal = f"The round is {STATUS_LABELS[round_.status].lower()}; only an open round " \
                  "can be closed."
    return Consequences(final=final, missing=missing, refusal=refusal)


RESULT_COLUMNS = ["Rank", "Reference", "Title", "Country", "Area", "Reviews", "Mean", "Median",
                  "Std", "Spread", "Calibrated", "Score", "Quorum met", "Disagreement"]


def results_frame(round_: ReviewRound) -> pd.DataFrame:
    """The closed round's ranked table, from the stored results (what scoring computed)."""
    if round_.status != RoundStatus.CLOSED:
        raise ServiceError("Results exist only once the round is closed.", status=409)
    rows = []
    for rn in sorted(round_.round_notes, key=lambda r: (r.rank is None, r.rank or 0, r.note_id)):
        rows.append([rn.rank, rn.note.reference, rn.note.title, rn.note.country.name,
                     rn.note.thematic_area_id, rn.n_reviews, rn.mean, rn.median, rn.std,
                     rn.spread, rn.calibrated, rn.score, bool(rn.quorum_met),
                     bool(rn.disagreement)])
    return pd.DataFrame(rows, columns=RESULT_COLUMNS)


def criterion_means_frame(round_: ReviewRound) -> pd.DataFrame:
    frame = reviews_frame(round_)
    if frame.empty:
        return pd.DataFrame()
    return criterion_means(frame, round_rubric(round_))


def reviewer_scores_frame(user: User, round_: ReviewRound) -> pd.DataFrame:
    """Per-reviewer weighted scores: the secretariat and chair, once the round is closed."""
    from scoring import score_reviews

    if user.role not in (Role.SECRETARIAT, Role.CHAIR):
        raise NotAllowed("Only the secretariat and the chair see individual scores.")
    if round_.status != RoundStatus.CLOSED:
        raise ServiceError("Individual scores stay hidden until the round closes.", status=409)
    frame = reviews_frame(round_)
    if frame.empty:
        return pd.DataFrame(columns=["note_id", "reviewer_id", "weighted_score"])
    return score_reviews(frame, round_rubric(round_))
