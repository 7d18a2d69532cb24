"""What each role's dashboard shows: counts, computed in a few grouped queries."""

from __future__ import annotations

from sqlalchemy import func

from mptf.extensions import db
from mptf.models import (
    AuditEvent,
    ConceptNote,
    Contribution,
    FundingCycle,
    Membership,
    MembershipRepresentative,
    ReviewRound,
    User,
)
from mptf.models.base import utcnow


def notes_by_status(country_id: int | None = None) -> dict[str, int]:
    query = db.select(ConceptNote.status, func.count()).group_by(ConceptNote.status)
    if country_id is not None:
        query = query.where(ConceptNote.country_id == country_id)
    return dict(db.session.execute(query).all())


def dashboard(user: User) -> dict:
    data: dict = {"role": user.role}
    if user.role == "country_team":
        data["notes"] = notes_by_status(user.country_id)
    if user.role in ("secretariat", "chair", "fund_office", "reviewer"):
        data["notes"] = notes_by_status()
        data["rounds"] = dict(db.session.execute(
            db.select(ReviewRound.status, func.count()).group_by(ReviewRound.status)).all())
        data["cycles"] = dict(db.session.execute(
            db.select(FundingCycle.status, func.count()).group_by(FundingCycle.status)).all())
    if user.role == "reviewer":
        today = utcnow().date()
        data["memberships"] = list(db.session.scalars(
            db.select(Membership)
            .join(MembershipRepresentative)
            .where(MembershipRepresentative.user_id == user.id,
                   Membership.start_date <= today, Membership.end_date > today)))
    if user.role == "fund_office":
        gross, fees, net = db.session.execute(db.select(
            func.coalesce(func.sum(Contribution.amount_cents), 0),
            func.coalesce(func.sum(Contribution.fee_cents), 0),
            func.coalesce(func.sum(Contribution.net_cents), 0))).one()
        data["money"] = {"gross": gross, "fees": fees, "net": net}
    if user.role == "admin":
        data["users"] = dict(db.session.execute(
            db.select(User.role, func.count()).group_by(User.role)).all())
        data["recent_events"] = list(db.session.scalars(
            db.select(AuditEvent).order_by(AuditEvent.id.desc()).limit(10)))
    return data
