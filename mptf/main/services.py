"""What each role's dashboard shows: its next tasks (mptf.main.tasks) and counts, computed in
a few grouped queries."""

from __future__ import annotations

from sqlalchemy import func

from mptf.extensions import db
from mptf.models import (
    AuditEvent,
    Contribution,
    FundingCycle,
    Membership,
    MembershipRepresentative,
    ReviewRound,
    User,
)
from mptf.models.base import utcnow
from mptf.services.policy import NOTE_VIEWERS, PIPELINE_READERS, Role


def notes_by_status(user: User) -> dict[str, int]:
    """Counts of the notes ``user`` may see (pipeline.services.visible_notes), by status."""
    from mptf.pipeline.services import visible_notes

    visible = visible_notes(user).subquery()
    return dict(db.session.execute(
        db.select(visible.c.status, func.count()).group_by(visible.c.status)).all())


def dashboard(user: User) -> dict:
    from mptf.main.tasks import next_tasks

    data: dict = {"role": user.role, "tasks": next_tasks(user)}
    if user.role in NOTE_VIEWERS:
        data["notes"] = notes_by_status(user)
    if user.role in PIPELINE_READERS:
        data["rounds"] = dict(db.session.execute(
            db.select(ReviewRound.status, func.count()).group_by(ReviewRound.status)).all())
        data["cycles"] = dict(db.session.execute(
            db.select(FundingCycle.status, func.count()).group_by(FundingCycle.status)).all())
    if user.role == Role.REVIEWER:
        today = utcnow().date()
        data["memberships"] = list(db.session.scalars(
            db.select(Membership)
            .join(MembershipRepresentative)
            .where(MembershipRepresentative.user_id == user.id,
                   Membership.start_date <= today, Membership.end_date > today)))
    if user.role == Role.FUND_OFFICE:
        gross, fees, net = db.session.execute(db.select(
            func.coalesce(func.sum(Contribution.amount_cents), 0),
            func.coalesce(func.sum(Contribution.fee_cents), 0),
            func.coalesce(func.sum(Contribution.net_cents), 0))).one()
        data["money"] = {"gross": gross, "fees": fees, "net": net}
    if user.role == Role.ADMIN:
        data["users"] = dict(db.session.execute(
            db.select(User.role, func.count()).group_by(User.role)).all())
        data["recent_events"] = list(db.session.scalars(
            db.select(AuditEvent).order_by(AuditEvent.id.desc()).limit(10)))
    return data
