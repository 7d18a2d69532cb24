"""Concept notes, their frozen versions, PUNO budget lines and attachments (DESIGN.md §3)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mptf.extensions import db
from mptf.models.accounts import User
from mptf.models.base import marker_range, non_negative, one_of, utcnow
from mptf.models.reference import (
    Country,
    GcmObjective,
    GuidingPrinciple,
    Organisation,
    ThematicArea,
)


class NoteStatus(StrEnum):
    """Where a concept note stands (DESIGN.md §3). The moves between them are
    ``mptf.pipeline.rules.TRANSITIONS``, made only by ``mptf.pipeline.services.move_note``."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    PIPELINE = "pipeline"
    SELECTED = "selected"
    FUNDED = "funded"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"


NOTE_STATUSES = tuple(NoteStatus)

class ConceptNote(db.Model):
    """The working copy of a joint-programme concept note. Each submission freezes a
    ConceptNoteVersion; the working copy is what a country team edits next."""

    __tablename__ = "concept_notes"
    __table_args__ = (
        one_of("status", NOTE_STATUSES),
        marker_range("gender_marker"),
        marker_range("human_rights_marker"),
        marker_range("child_marker"),
        db.CheckConstraint("duration_months IS NULL OR duration_months > 0",
                           name="duration_positive"),
        db.CheckConstraint("status != 'pipeline' OR (pipeline_at IS NOT NULL AND expires_on IS NOT NULL)",
                           name="pipeline_has_dates"),
        db.CheckConstraint("score IS NULL OR (score >= 0 AND score <= 100)", name="score_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    title: Mapped[str] = mapped_column(String(300), default="")
    # The owning country team's country; a regional note also lists its countries.
    country_id: Mapped[int] = mapped_column(ForeignKey("countries.id"), index=True)
    is_regional: Mapped[bool] = mapped_column(Boolean, default=False)
    thematic_area_id: Mapped[int | None] = mapped_column(ForeignKey("thematic_areas.id"), index=True)
    duration_months: Mapped[int | None] = mapped_column(Integer)
    gender_marker: Mapped[int | None] = mapped_column(Integer)
    gender_justification: Mapped[str] = mapped_column(Text, default="")
    human_rights_marker: Mapped[int | None] = mapped_column(Integer)
    human_rights_justification: Mapped[str] = mapped_column(Text, default="")
    child_marker: Mapped[int | None] = mapped_column(Integer)
    child_justification: Mapped[str] = mapped_column(Text, default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    problem_statement: Mapped[str] = mapped_column(Text, default="")
    theory_of_change: Mapped[str] = mapped_column(Text, default="")
    expected_results: Mapped[str] = mapped_column(Text, default="")
    national_partners: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    stakeholders: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    government_endorsed: Mapped[bool] = mapped_column(Boolean, default=False)
    endorsement_date: Mapped[date | None] = mapped_column(Date)
    # Totals kept in step with the PUNO lines by the service that writes them, so that
    # listings of 10,000 notes sort and sum without joining the lines.
    total_direct_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    total_indirect_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    total_cents: Mapped[int] = mapped_column(BigInteger, default=0, index=True)
    current_version: Mapped[int] = mapped_column(Integer, default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)
    pipeline_at: Mapped[datetime | None] = mapped_column(DateTime)
    expires_on: Mapped[date | None] = mapped_column(Date, index=True)
    # The latest closed review round's score for this note (0–100), set when a round closes.
    score: Mapped[float | None] = mapped_column(db.Float)
    # Bumped by every UPDATE of the row (SQLAlchemy's version counter): a write based on an
    # older read changes nothing and fails, so two people editing at once cannot silently
    # overwrite each other, and an edit cannot land on a note submitted in the meantime.
    lock_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    __mapper_args__ = {"version_id_col": lock_version}

    country: Mapped[Country] = relationship()
    thematic_area: Mapped[ThematicArea | None] = relationship()
    created_by: Mapped[User | None] = relationship()
    objectives: Mapped[list[GcmObjective]] = relationship(
        secondary="note_objectives", order_by="GcmObjective.id")
    principles: Mapped[list[NotePrinciple]] = relationship(
        back_populates="note", cascade="all, delete-orphan", order_by="NotePrinciple.principle_id")
    countries: Mapped[list[Country]] = relationship(secondary="note_countries")
    puno_lines: Mapped[list[PunoBudgetLine]] = relationship(
        back_populates="note", cascade="all, delete-orphan", order_by="PunoBudgetLine.position")
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="note", cascade="all, delete-orphan", order_by="Attachment.id")
    versions: Mapped[list[ConceptNoteVersion]] = relationship(
        back_populates="note", cascade="all, delete-orphan", order_by="ConceptNoteVersion.number")
    screenings: Mapped[list[Screening]] = relationship(
        back_populates="note", cascade="all, delete-orphan", order_by="Screening.id")

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"


note_objectives = db.Table(
    "note_objectives",
    db.Column("note_id", ForeignKey("concept_notes.id", ondelete="CASCADE"), primary_key=True),
    db.Column("objective_id", ForeignKey("gcm_objectives.id"), primary_key=True),
)

note_countries = db.Table(
    "note_countries",
    db.Column("note_id", ForeignKey("concept_notes.id", ondelete="CASCADE"), primary_key=True),
    db.Column("country_id", ForeignKey("countries.id"), primary_key=True, index=True),
)


class NotePrinciple(db.Model):
    """A guiding principle a note addresses, with the sentence saying how."""

    __tablename__ = "note_principles"

    note_id: Mapped[int] = mapped_column(
        ForeignKey("concept_notes.id", ondelete="CASCADE"), primary_key=True)
    principle_id: Mapped[int] = mapped_column(ForeignKey("guiding_principles.id"), primary_key=True)
    how: Mapped[str] = mapped_column(Text, default="")

    note: Mapped[ConceptNote] = relationship(back_populates="principles")
    principle: Mapped[GuidingPrinciple] = relationship()


class PunoBudgetLine(db.Model):
    """A participating UN organisation (PUNO) and its direct-cost budget; the indirect support
    costs (7 % by default) are computed from it and stored to the cent."""

    __tablename__ = "puno_budget_lines"
    __table_args__ = (
        UniqueConstraint("note_id", "organisation_id"),
        *non_negative("direct_cents", "indirect_cents"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    note_id: Mapped[int] = mapped_column(
        ForeignKey("concept_notes.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    is_lead: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(Integer, default=0)
    direct_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    indirect_cents: Mapped[int] = mapped_column(BigInteger, default=0)

    note: Mapped[ConceptNote] = relationship(back_populates="puno_lines")
    organisation: Mapped[Organisation] = relationship()

    @property
    def total_cents(self) -> int:
        return self.direct_cents + self.indirect_cents


class ConceptNoteVersion(db.Model):
    """A submitted version, frozen: the whole note as it was submitted, as JSON."""

    __tablename__ = "concept_note_versions"
    __table_args__ = (UniqueConstraint("note_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    note_id: Mapped[int] = mapped_column(ForeignKey("concept_notes.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    submitted_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    content: Mapped[dict[str, Any]] = mapped_column(JSON)

    note: Mapped[ConceptNote] = relationship(back_populates="versions")
    submitted_by: Mapped[User | None] = relationship()


class Attachment(db.Model):
    __tablename__ = "attachments"
    __table_args__ = (
        one_of("kind", ("pdf", "docx", "xlsx")),
        db.CheckConstraint("size_bytes > 0", name="size_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    note_id: Mapped[int] = mapped_column(
        ForeignKey("concept_notes.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(10))
    media_type: Mapped[str] = mapped_column(String(120))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    # Deferred so that listing a note's attachments never loads their bytes.
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    uploaded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    note: Mapped[ConceptNote] = relationship(back_populates="attachments")


SCREENING_OUTCOMES = (NoteStatus.PIPELINE, NoteStatus.RETURNED)


class Screening(db.Model):
    """The secretariat's screening of one submitted version: checklist and outcome."""

    __tablename__ = "screenings"
    __table_args__ = (
        one_of("outcome", SCREENING_OUTCOMES),
        db.CheckConstraint("outcome != 'returned' OR length(reasons) > 0",
                           name="returned_has_reasons"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    note_id: Mapped[int] = mapped_column(
        ForeignKey("concept_notes.id", ondelete="CASCADE"), index=True)
    version_number: Mapped[int] = mapped_column(Integer)
    checklist: Mapped[dict[str, bool]] = mapped_column(JSON, default=dict)
    outcome: Mapped[str] = mapped_column(String(20))
    reasons: Mapped[str] = mapped_column(Text, default="")
    screened_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    screened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    note: Mapped[ConceptNote] = relationship(back_populates="screenings")
    screened_by: Mapped[User | None] = relationship()
