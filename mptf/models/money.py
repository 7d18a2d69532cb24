"""The fund's money: contributions with earmarks, funding cycles with their policy and runs,
allocations with per-PUNO transfer lines (DESIGN.md §6). All amounts are integer cents."""

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
from mptf.models.base import non_negative, one_of, utcnow
from mptf.models.pipeline import ConceptNote
from mptf.models.reference import Organisation, ThematicArea


class CycleStatus(StrEnum):
    DRAFT = "draft"
    APPROVED = "approved"


class AllocationStatus(StrEnum):
    """Why a note in an allocation run is funded or not (``scoring.allocate``'s reasons)."""

    FUNDED = "funded"
    BELOW_MIN_SCORE = "below_min_score"
    NO_QUORUM = "no_quorum"
    MARKER = "marker"
    COUNTRY_LIMIT = "country_limit"
    THEMATIC_CAP = "thematic_cap"
    REGION_CAP = "region_cap"
    INSUFFICIENT_FUNDS = "insufficient_funds"
    EXPIRED = "expired"
    EXCLUDED = "excluded"


CYCLE_STATUSES = tuple(CycleStatus)
ALLOCATION_STATUSES = tuple(AllocationStatus)
# What a run line's status says, on the cycle's page, the decision and its letters.
ALLOCATION_STATUS_LABELS = {
    AllocationStatus.FUNDED: "Funded",
    AllocationStatus.BELOW_MIN_SCORE: "Below the minimum score",
    AllocationStatus.NO_QUORUM: "No quorum in review",
    AllocationStatus.MARKER: "Gender marker below the minimum",
    AllocationStatus.COUNTRY_LIMIT: "Country limit reached",
    AllocationStatus.THEMATIC_CAP: "Thematic area cap reached",
    AllocationStatus.REGION_CAP: "Region cap reached",
    AllocationStatus.INSUFFICIENT_FUNDS: "Insufficient funds",
    AllocationStatus.EXPIRED: "Expired before the decision",
    AllocationStatus.EXCLUDED: "Excluded by the secretariat",
}


class Contribution(db.Model):
    """Money deposited with the Administrative Agent. The fee is taken at deposit:
    ``net_cents = amount_cents - fee_cents``."""

    __tablename__ = "contributions"
    __table_args__ = (
        *non_negative("fee_cents", "net_cents"),
        db.CheckConstraint("amount_cents > 0", name="amount_positive"),
        db.CheckConstraint("net_cents + fee_cents = amount_cents", name="net_plus_fee"),
        # USD 10^12 at most: anything larger is a typing error, and the fee's product below
        # stays far inside a 64-bit integer.
        db.CheckConstraint("amount_cents <= 100000000000000", name="amount_at_most_a_trillion"),
        db.CheckConstraint("fee_rate_bp >= 0 AND fee_rate_bp <= 10000", name="fee_rate_range"),
        # The fee rule, half up to the cent (docs/fund.md); all terms are non-negative, so
        # integer division is the floor on SQLite and PostgreSQL alike.
        db.CheckConstraint("fee_cents = (amount_cents * fee_rate_bp + 5000) / 10000",
                           name="fee_rule"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(60), unique=True)
    donor_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    deposited_on: Mapped[date] = mapped_column(Date, index=True)
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    fee_cents: Mapped[int] = mapped_column(BigInteger)
    net_cents: Mapped[int] = mapped_column(BigInteger)
    # The Administrative Agent's fee rate in force at deposit (FundConfig.aa_fee_rate_bp then),
    # kept so that a correction recomputes the fee at the rate the deposit was charged.
    fee_rate_bp: Mapped[int] = mapped_column(Integer, default=100)
    earmark_area_id: Mapped[int | None] = mapped_column(ForeignKey("thematic_areas.id"))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    donor: Mapped[Organisation] = relationship()
    earmark_area: Mapped[ThematicArea | None] = relationship()


cycle_rounds = db.Table(
    "cycle_rounds",
    db.Column("cycle_id", ForeignKey("funding_cycles.id", ondelete="CASCADE"), primary_key=True),
    db.Column("round_id", ForeignKey("review_rounds.id"), primary_key=True),
)


class FundingCycle(db.Model):
    __tablename__ = "funding_cycles"
    __table_args__ = (
        one_of("status", CYCLE_STATUSES),
        db.CheckConstraint("envelope_cents IS NULL OR envelope_cents >= 0",
                           name="envelope_non_negative"),
        db.CheckConstraint("status != 'approved' OR approved_at IS NOT NULL",
                           name="approved_has_time"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    decision_date: Mapped[date | None] = mapped_column(Date)
    # None: all the money available when the cycle runs.
    envelope_cents: Mapped[int | None] = mapped_column(BigInteger)
    # scoring.AllocationPolicy.to_dict()
    policy: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(10), default="draft", index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    approved_at: Mapped[datetime | None] = mapped_column(DateTime)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    rounds: Mapped[list[Any]] = relationship("ReviewRound", secondary=cycle_rounds)
    runs: Mapped[list[AllocationRun]] = relationship(
        back_populates="cycle", cascade="all, delete-orphan", order_by="AllocationRun.id")
    allocations: Mapped[list[Allocation]] = relationship(
        back_populates="cycle", order_by="Allocation.rank")
    exclusions: Mapped[list[CycleExclusion]] = relationship(
        back_populates="cycle", cascade="all, delete-orphan", order_by="CycleExclusion.id")


class CycleExclusion(db.Model):
    """A note the secretariat takes out of a draft cycle's runs, and why (for instance: the
    committee cannot reach its quorum on it without the members recused from it). The run
    lists it as 'excluded'; the decision shows the reason."""

    __tablename__ = "cycle_exclusions"
    __table_args__ = (
        UniqueConstraint("cycle_id", "note_id"),
        db.CheckConstraint("reason != ''", name="reason_given"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(
        ForeignKey("funding_cycles.id", ondelete="CASCADE"), index=True)
    note_id: Mapped[int] = mapped_column(ForeignKey("concept_notes.id"))
    reason: Mapped[str] = mapped_column(Text)
    excluded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    excluded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    cycle: Mapped[FundingCycle] = relationship(back_populates="exclusions")
    note: Mapped[ConceptNote] = relationship()
    excluded_by: Mapped[User | None] = relationship()


class AllocationRun(db.Model):
    """A saved run of the allocator for a cycle: its inputs and one line per note."""

    __tablename__ = "allocation_runs"
    __table_args__ = (
        one_of("method", ("greedy", "optimal")),
        *non_negative("envelope_cents", "allocated_cents"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(
        ForeignKey("funding_cycles.id", ondelete="CASCADE"), index=True)
    method: Mapped[str] = mapped_column(String(10), default="greedy")
    policy: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    funds: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    envelope_cents: Mapped[int] = mapped_column(BigInteger)
    allocated_cents: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # What the run was computed from, one SHA-256 per part (money, policy, notes, exclusions;
    # mptf.allocation.cycles.RunInputs): a part that differs now makes the run stale. None for
    # runs saved before runs kept it.
    inputs_digest: Mapped[dict[str, str] | None] = mapped_column(JSON)

    cycle: Mapped[FundingCycle] = relationship(back_populates="runs")
    lines: Mapped[list[AllocationRunLine]] = relationship(
        back_populates="run", cascade="all, delete-orphan", order_by="AllocationRunLine.order")


class AllocationRunLine(db.Model):
    __tablename__ = "allocation_run_lines"
    __table_args__ = (
        UniqueConstraint("run_id", "note_id"),
        one_of("status", ALLOCATION_STATUSES),
        *non_negative("requested_cents", "amount_cents", "from_earmarked_cents",
                      "from_unearmarked_cents"),
        db.CheckConstraint("from_earmarked_cents + from_unearmarked_cents = amount_cents",
                           name="sources_sum"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("allocation_runs.id", ondelete="CASCADE"))
    note_id: Mapped[int] = mapped_column(ForeignKey("concept_notes.id"), index=True)
    order: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))
    score: Mapped[float | None] = mapped_column(Float)
    requested_cents: Mapped[int] = mapped_column(BigInteger)
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    from_earmarked_cents: Mapped[int] = mapped_column(BigInteger)
    from_unearmarked_cents: Mapped[int] = mapped_column(BigInteger)

    run: Mapped[AllocationRun] = relationship(back_populates="lines")
    note: Mapped[ConceptNote] = relationship()


class Allocation(db.Model):
    """Money approved for a note in a cycle. A note is allocated at most once."""

    __tablename__ = "allocations"
    __table_args__ = (
        UniqueConstraint("note_id"),
        db.CheckConstraint("amount_cents > 0", name="amount_positive"),
        *non_negative("from_earmarked_cents", "from_unearmarked_cents"),
        db.CheckConstraint("from_earmarked_cents + from_unearmarked_cents = amount_cents",
                           name="sources_sum"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("funding_cycles.id"), index=True)
    note_id: Mapped[int] = mapped_column(ForeignKey("concept_notes.id"))
    rank: Mapped[int] = mapped_column(Integer)
    score: Mapped[float | None] = mapped_column(Float)
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    from_earmarked_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    from_unearmarked_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    earmark_area_id: Mapped[int | None] = mapped_column(ForeignKey("thematic_areas.id"))
    conditions: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    cycle: Mapped[FundingCycle] = relationship(back_populates="allocations")
    note: Mapped[ConceptNote] = relationship()
    transfers: Mapped[list[TransferLine]] = relationship(
        back_populates="allocation", cascade="all, delete-orphan", order_by="TransferLine.id")


class TransferLine(db.Model):
    """What the Administrative Agent transfers to one PUNO for one allocation: direct costs and
    indirect support costs, to the cent; the lines of an allocation sum to it."""

    __tablename__ = "transfer_lines"
    __table_args__ = (
        UniqueConstraint("allocation_id", "organisation_id"),
        *non_negative("direct_cents", "indirect_cents"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    allocation_id: Mapped[int] = mapped_column(ForeignKey("allocations.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    direct_cents: Mapped[int] = mapped_column(BigInteger)
    indirect_cents: Mapped[int] = mapped_column(BigInteger)
    transferred_on: Mapped[date | None] = mapped_column(Date)

    allocation: Mapped[Allocation] = relationship(back_populates="transfers")
    organisation: Mapped[Organisation] = relationship()

    @property
    def total_cents(self) -> int:
        return self.direct_cents + self.indirect_cents


OUTCOME_LABELS = {"consensus": "Consensus",
                  "no_consensus": "No consensus: escalated"}
ESCALATION_LABELS = {
    "principals": "The Coordinator works with the principals of the Network's Executive "
                  "Committee to reach agreement",
    "secretary_general": "Referred to the Secretary-General",
}
OUTCOME_MODES = tuple(OUTCOME_LABELS)
ESCALATION_STEPS = tuple(ESCALATION_LABELS)


class DecisionStatus(StrEnum):
    DRAFT = "draft"
    ISSUED = "issued"


DECISION_STATUSES = tuple(DecisionStatus)


class Decision(db.Model):
    """The Steering Committee's decision on a funding cycle. Once issued it is immutable: its
    PDF bytes and their SHA-256 are stored and served as stored."""

    __tablename__ = "decisions"
    __table_args__ = (
        UniqueConstraint("cycle_id"),
        one_of("status", DECISION_STATUSES),
        db.CheckConstraint("outcome_mode IS NULL OR outcome_mode IN ('consensus', 'no_consensus')",
                           name="outcome_mode_valid"),
        db.CheckConstraint(
            "escalation_step IS NULL OR escalation_step IN ('principals', 'secretary_general')",
            name="escalation_step_valid"),
        db.CheckConstraint("outcome_mode != 'no_consensus' OR escalation_step IS NOT NULL",
                           name="no_consensus_escalated"),
        db.CheckConstraint(
            "status != 'issued' OR (issued_at IS NOT NULL AND pdf_sha256 IS NOT NULL "
            "AND outcome_mode IS NOT NULL)", name="issued_is_sealed"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("funding_cycles.id"))
    # The saved run the decision approves; its funded lines become the allocations.
    run_id: Mapped[int | None] = mapped_column(ForeignKey("allocation_runs.id"))
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    status: Mapped[str] = mapped_column(String(10), default="draft")
    meeting_date: Mapped[date | None] = mapped_column(Date)
    place: Mapped[str] = mapped_column(String(200), default="")
    virtual: Mapped[bool] = mapped_column(Boolean, default=False)
    outcome_mode: Mapped[str | None] = mapped_column(String(20))
    escalation_step: Mapped[str | None] = mapped_column(String(30))
    text: Mapped[str] = mapped_column(Text, default="")
    other_decisions: Mapped[str] = mapped_column(Text, default="")
    # Conditions the committee attaches to a note's funding: {note id (text): condition}.
    conditions: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    drafted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    issued_at: Mapped[datetime | None] = mapped_column(DateTime)
    pdf: Mapped[bytes | None] = mapped_column(db.LargeBinary, deferred=True)
    pdf_sha256: Mapped[str | None] = mapped_column(String(64), unique=True)

    cycle: Mapped[FundingCycle] = relationship()
    run: Mapped[AllocationRun | None] = relationship()
    issued_by: Mapped[User | None] = relationship(foreign_keys=[issued_by_id])
    attendance: Mapped[list[DecisionAttendance]] = relationship(
        back_populates="decision", cascade="all, delete-orphan")


class DecisionAttendance(db.Model):
    """Whether a member seated on the meeting date was present."""

    __tablename__ = "decision_attendance"

    decision_id: Mapped[int] = mapped_column(
        ForeignKey("decisions.id", ondelete="CASCADE"), primary_key=True)
    membership_id: Mapped[int] = mapped_column(ForeignKey("memberships.id"), primary_key=True)
    present: Mapped[bool] = mapped_column(Boolean, default=True)

    decision: Mapped[Decision] = relationship(back_populates="attendance")
    membership: Mapped[Any] = relationship("Membership")


class IssuedDocument(db.Model):
    """A sealed document other than the cycle decision (a decision letter, a report), stored
    with its SHA-256 so that the verify page can recognise it."""

    __tablename__ = "issued_documents"
    __table_args__ = (one_of("kind", ("decision", "letter", "pipeline_report", "round_report")),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    reference: Mapped[str] = mapped_column(String(60), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    decision_id: Mapped[int | None] = mapped_column(ForeignKey("decisions.id"))
    note_id: Mapped[int | None] = mapped_column(ForeignKey("concept_notes.id"))
    issued_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    data: Mapped[bytes] = mapped_column(db.LargeBinary, deferred=True)
