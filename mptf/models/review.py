"""Review rounds: a frozen rubric, the notes and reviewers of the round, reviews and scores,
and the aggregated results stored when the round closes (DESIGN.md §5)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mptf.extensions import db
from mptf.models.accounts import User
from mptf.models.base import one_of, utcnow
from mptf.models.committee import Membership
from mptf.models.pipeline import ConceptNote


class RoundStatus(StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"


class AssignmentStatus(StrEnum):
    ASSIGNED = "assigned"
    RECUSED = "recused"


class ReviewStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"


ROUND_STATUSES = tuple(RoundStatus)
ASSIGNMENT_STATUSES = tuple(AssignmentStatus)
REVIEW_STATUSES = tuple(ReviewStatus)


class ReviewRound(db.Model):
    __tablename__ = "review_rounds"
    __table_args__ = (
        one_of("status", ROUND_STATUSES),
        db.CheckConstraint("quorum >= 1", name="quorum_positive"),
        db.CheckConstraint("disagreement_threshold >= 0", name="threshold_non_negative"),
        db.CheckConstraint("closes_on IS NULL OR opens_on IS NULL OR closes_on >= opens_on",
                           name="dates_ordered"),
        db.CheckConstraint("status = 'draft' OR opened_at IS NOT NULL", name="opened_has_time"),
        db.CheckConstraint("status != 'closed' OR closed_at IS NOT NULL", name="closed_has_time"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(10), default="draft", index=True)
    opens_on: Mapped[date | None] = mapped_column(Date)
    closes_on: Mapped[date | None] = mapped_column(Date)
    quorum: Mapped[int] = mapped_column(Integer, default=3)
    disagreement_threshold: Mapped[float] = mapped_column(Float, default=25.0)
    calibrate: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    opened_at: Mapped[datetime | None] = mapped_column(DateTime)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)

    criteria: Mapped[list[RoundCriterion]] = relationship(
        back_populates="round", cascade="all, delete-orphan", order_by="RoundCriterion.position")
    round_notes: Mapped[list[RoundNote]] = relationship(
        back_populates="round", cascade="all, delete-orphan", order_by="RoundNote.id")
    assignments: Mapped[list[Assignment]] = relationship(
        back_populates="round", cascade="all, delete-orphan")


class RoundCriterion(db.Model):
    """A rubric criterion as frozen in one round."""

    __tablename__ = "round_criteria"
    __table_args__ = (
        UniqueConstraint("round_id", "code"),
        UniqueConstraint("round_id", "position"),
        db.CheckConstraint("weight > 0", name="weight_positive"),
        db.CheckConstraint("scale_max > scale_min", name="scale_ordered"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("review_rounds.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(60))
    label: Mapped[str] = mapped_column(String(200))
    guidance: Mapped[str] = mapped_column(Text, default="")
    weight: Mapped[float] = mapped_column(Float)
    scale_min: Mapped[int] = mapped_column(Integer, default=1)
    scale_max: Mapped[int] = mapped_column(Integer, default=5)

    round: Mapped[ReviewRound] = relationship(back_populates="criteria")


class RoundNote(db.Model):
    """A note in a round, the version frozen when the round opened, and its results once the
    round closes (all computed by scoring.aggregate_round)."""

    __tablename__ = "round_notes"
    __table_args__ = (
        UniqueConstraint("round_id", "note_id"),
        db.CheckConstraint("score IS NULL OR (score >= 0 AND score <= 100)", name="score_range"),
        db.CheckConstraint("rank IS NULL OR rank >= 1", name="rank_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("review_rounds.id", ondelete="CASCADE"))
    note_id: Mapped[int] = mapped_column(ForeignKey("concept_notes.id"), index=True)
    version_number: Mapped[int | None] = mapped_column(Integer)
    n_reviews: Mapped[int | None] = mapped_column(Integer)
    mean: Mapped[float | None] = mapped_column(Float)
    median: Mapped[float | None] = mapped_column(Float)
    std: Mapped[float | None] = mapped_column(Float)
    spread: Mapped[float | None] = mapped_column(Float)
    quorum_met: Mapped[bool | None] = mapped_column(Boolean)
    disagreement: Mapped[bool | None] = mapped_column(Boolean)
    calibrated: Mapped[float | None] = mapped_column(Float)
    score: Mapped[float | None] = mapped_column(Float)
    rank: Mapped[int | None] = mapped_column(Integer)
    committee_comment: Mapped[str] = mapped_column(Text, default="")

    round: Mapped[ReviewRound] = relationship(back_populates="round_notes")
    note: Mapped[ConceptNote] = relationship()


class Assignment(db.Model):
    """A reviewer (a committee membership) on a note of a round: assigned, or recused with the
    reason (detected or declared)."""

    __tablename__ = "assignments"
    __table_args__ = (
        UniqueConstraint("round_id", "note_id", "membership_id"),
        one_of("status", ASSIGNMENT_STATUSES),
        db.CheckConstraint("status != 'recused' OR length(recusal_reason) > 0",
                           name="recusal_has_reason"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("review_rounds.id", ondelete="CASCADE"))
    note_id: Mapped[int] = mapped_column(ForeignKey("concept_notes.id"), index=True)
    membership_id: Mapped[int] = mapped_column(ForeignKey("memberships.id"), index=True)
    status: Mapped[str] = mapped_column(String(10), default="assigned")
    recusal_reason: Mapped[str] = mapped_column(Text, default="")

    round: Mapped[ReviewRound] = relationship(back_populates="assignments")
    note: Mapped[ConceptNote] = relationship()
    membership: Mapped[Membership] = relationship()


class Review(db.Model):
    """One reviewer's review of one note in one round: at most one, updated in place."""

    __tablename__ = "reviews"
    __table_args__ = (
        UniqueConstraint("round_id", "note_id", "membership_id"),
        one_of("status", REVIEW_STATUSES),
        db.CheckConstraint("status != 'submitted' OR submitted_at IS NOT NULL",
                           name="submitted_has_time"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("review_rounds.id", ondelete="CASCADE"))
    note_id: Mapped[int] = mapped_column(ForeignKey("concept_notes.id"), index=True)
    membership_id: Mapped[int] = mapped_column(ForeignKey("memberships.id"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(10), default="draft")
    comment: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime)

    author: Mapped[User | None] = relationship()
    membership: Mapped[Membership] = relationship()
    scores: Mapped[list[Score]] = relationship(
        back_populates="review", cascade="all, delete-orphan")


class Score(db.Model):
    """One criterion's value in one review. Unique per (round, note, reviewer, criterion): the
    round, note and reviewer are fixed by the review, and (review, criterion) is unique."""

    __tablename__ = "scores"
    __table_args__ = (UniqueConstraint("review_id", "criterion_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"))
    criterion_id: Mapped[int] = mapped_column(ForeignKey("round_criteria.id"), index=True)
    value: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")

    review: Mapped[Review] = relationship(back_populates="scores")
    criterion: Mapped[RoundCriterion] = relationship()


class Reminder(db.Model):
    """A reminder the secretariat sent to a reviewer during an open round."""

    __tablename__ = "reminders"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("review_rounds.id", ondelete="CASCADE"))
    membership_id: Mapped[int] = mapped_column(ForeignKey("memberships.id"))
    sent_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    message: Mapped[str] = mapped_column(Text, default="")
