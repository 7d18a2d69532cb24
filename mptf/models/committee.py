"""The Steering Committee: seats, memberships with terms, rotation order and conflicts of
interest (DESIGN.md §4). Who sits on a date is derived from memberships, never stored."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mptf.extensions import db
from mptf.models.accounts import User
from mptf.models.base import one_of, utcnow
from mptf.models.reference import Organisation

CONSTITUENCIES = ("chair", "un_network", "contributing_state", "cotd_state", "stakeholder",
                  "ex_officio")
VOTING_CONSTITUENCIES = ("chair", "un_network", "contributing_state", "cotd_state", "stakeholder")

CONSTITUENCY_LABELS = {
    "chair": "Chair (Network Coordinator)",
    "un_network": "UN Network on Migration",
    "contributing_state": "Contributing states",
    "cotd_state": "Countries of origin, transit and destination",
    "stakeholder": "Stakeholders",
    "ex_officio": "Ex officio (MPTF Office)",
}


class Seat(db.Model):
    __tablename__ = "seats"
    __table_args__ = (
        one_of("constituency", CONSTITUENCIES),
        UniqueConstraint("constituency", "position"),
        db.CheckConstraint("position >= 1", name="position_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    constituency: Mapped[str] = mapped_column(String(30))
    position: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="seat", order_by="Membership.start_date")

    @property
    def votes(self) -> bool:
        return self.constituency in VOTING_CONSTITUENCIES

    @property
    def label(self) -> str:
        return f"{CONSTITUENCY_LABELS[self.constituency]} {self.position}"


class Membership(db.Model):
    """A party in a seat for a term. The term includes ``start_date`` and excludes
    ``end_date``: a membership ending on 1 July and its successor starting on 1 July do not
    overlap, and on 1 July the successor sits."""

    __tablename__ = "memberships"
    __table_args__ = (db.CheckConstraint("end_date > start_date", name="term_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    seat_id: Mapped[int] = mapped_column(ForeignKey("seats.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    seat: Mapped[Seat] = relationship(back_populates="memberships")
    organisation: Mapped[Organisation] = relationship()
    representatives: Mapped[list[MembershipRepresentative]] = relationship(
        back_populates="membership", cascade="all, delete-orphan")

    def sits_on(self, day: date) -> bool:
        return self.start_date <= day < self.end_date

    def __str__(self) -> str:
        return f"{self.organisation} ({self.seat.label})"


class MembershipRepresentative(db.Model):
    """A user who acts for a membership: its representative, or its alternate."""

    __tablename__ = "membership_representatives"

    membership_id: Mapped[int] = mapped_column(
        ForeignKey("memberships.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True, index=True)
    is_alternate: Mapped[bool] = mapped_column(Boolean, default=False)

    membership: Mapped[Membership] = relationship(back_populates="representatives")
    user: Mapped[User] = relationship()


class RotationOrder(db.Model):
    """The fund's rotation order for one constituency: parties in the order they take seats."""

    __tablename__ = "rotation_order"
    __table_args__ = (
        one_of("constituency", CONSTITUENCIES),
        UniqueConstraint("constituency", "position"),
        UniqueConstraint("constituency", "organisation_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    constituency: Mapped[str] = mapped_column(String(30))
    position: Mapped[int] = mapped_column(Integer)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))

    organisation: Mapped[Organisation] = relationship()


class ConflictDeclaration(db.Model):
    """A conflict of interest declared by a member (or by the secretariat on a member's
    behalf), with a reason. Detected conflicts (PUNO entity, own country) are computed."""

    __tablename__ = "conflict_declarations"
    __table_args__ = (
        UniqueConstraint("membership_id", "note_id"),
        db.CheckConstraint("length(reason) > 0", name="reason_given"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    membership_id: Mapped[int] = mapped_column(ForeignKey("memberships.id"), index=True)
    note_id: Mapped[int] = mapped_column(ForeignKey("concept_notes.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    declared_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    declared_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    membership: Mapped[Membership] = relationship()
    declared_by: Mapped[User | None] = relationship()
