"""The demo's outbox. The demo's history wrote its messages as it happened (each service
tells its people); here the messages of that history older than a day count as delivered and
read, one to an address that no longer exists failed for good, and the last day's wait in the
outbox, queued, as a newcomer without an SMTP server finds them (the admin's Outbox page,
``mptf mail show``)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from sqlalchemy import func, select

from mptf.extensions import db
from mptf.models import Notification, User
from mptf.models.base import utcnow

BOUNCED = "550 5.1.1 <{email}>: Recipient address rejected: User unknown in virtual mailbox table"


def build() -> Iterator[str]:
    now = utcnow()
    delivered_before = now - timedelta(days=1)
    db.session.flush()
    # Row by row: date arithmetic in SQL differs between SQLite and PostgreSQL.
    for message in db.session.scalars(select(Notification).where(
            Notification.state == "queued", Notification.created_at < delivered_before)):
        message.state, message.attempts = "sent", 1
        message.sent_at = message.created_at + timedelta(minutes=1)
        message.read_at = message.created_at + timedelta(hours=3)
    # A country team account that left: its last message bounced.
    bounced = db.session.scalar(
        select(Notification).join(User, User.id == Notification.user_id)
        .where(User.role == "country_team", Notification.state == "sent",
               User.email.not_like("country.kenya@%"))
        .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(1))
    if bounced is not None:
        bounced.state, bounced.attempts, bounced.sent_at = "failed", 10, None
        bounced.read_at = None
        bounced.last_error = BOUNCED.format(email=bounced.email)
    recent = db.session.scalar(select(func.count(Notification.id)).where(
        Notification.created_at >= delivered_before))
    if not recent:
        yield from _fresh_reminder()
    db.session.flush()
    counts = dict(db.session.execute(select(Notification.state, func.count(Notification.id))
                                     .group_by(Notification.state)).all())
    yield (f"Outbox: {counts.get('sent', 0)} messages of the demo's history delivered, "
           f"{counts.get('queued', 0)} queued (no SMTP server: read them on the Outbox page), "
           f"{counts.get('failed', 0)} failed.")


def _fresh_reminder() -> Iterator[str]:
    """Without a message of the last day, the secretariat reminds the open round's slowest
    member today, so the outbox holds one to read."""
    from mptf.models import Assignment, ReviewRound
    from mptf.review.services import send_reminder

    round_ = db.session.scalar(select(ReviewRound).where(ReviewRound.status == "open")
                               .order_by(ReviewRound.id.desc()).limit(1))
    secretariat = db.session.scalar(select(User).where(User.role == "secretariat")
                                    .order_by(User.id).limit(1))
    if round_ is None or secretariat is None:
        return
    membership_id = db.session.scalar(select(Assignment.membership_id).where(
        Assignment.round_id == round_.id, Assignment.status == "assigned")
        .order_by(Assignment.membership_id).limit(1))
    if membership_id is None:
        return
    send_reminder(secretariat, round_, membership_id,
                  "Dear colleague, reviews of yours are still open in this round; "
                  "please submit them before it closes, or declare a conflict of interest.")
    yield f"The secretariat reminded a member of '{round_.name}' today."
