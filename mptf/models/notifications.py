"""The outbox: every message the fund sends, written in the transaction of the change it
tells of, delivered later by ``mptf mail worker``, and shown to its recipient on the site."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mptf.extensions import db
from mptf.models.accounts import User
from mptf.models.base import non_negative, one_of, utcnow

# Every kind of message, by the event it tells of (labels and who may turn one off are in
# mptf.notifications.events).
NOTIFICATION_EVENTS = (
    "note_submitted", "note_to_screen", "note_returned", "note_in_pipeline", "note_withdrawn",
    "note_expiring", "note_expired", "round_opened", "reminder", "round_closing",
    "round_closed", "decision_issued", "contribution_recorded", "rotation_confirmed",
)

# queued: waiting for the worker (or for the next try); sent: the SMTP server accepted it;
# failed: given up (the error says why); site_only: its recipient turned the e-mail off and
# reads it on the site.
NOTIFICATION_STATES = ("queued", "sent", "failed", "site_only")


class Notification(db.Model):
    __tablename__ = "notifications"
    __table_args__ = (
        one_of("event", NOTIFICATION_EVENTS),
        one_of("state", NOTIFICATION_STATES),
        *non_negative("attempts"),
        UniqueConstraint("user_id", "dedup_key"),
        db.CheckConstraint("state != 'sent' OR sent_at IS NOT NULL", name="sent_has_time"),
        db.Index("ix_notifications_due", "state", "next_attempt_at"),
        db.Index("ix_notifications_user_unread", "user_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # The address when the message was written: a later change of address does not redirect
    # a message already queued.
    email: Mapped[str] = mapped_column(String(254))
    event: Mapped[str] = mapped_column(String(40))
    # What makes the message unique for its recipient ("note_returned:12:3"): the same
    # event written twice (a retried request, the daily schedule run again) is one message.
    dedup_key: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    link: Mapped[str] = mapped_column(String(1000), default="")
    language: Mapped[str] = mapped_column(String(8), default="en")
    state: Mapped[str] = mapped_column(String(10), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)
    read_at: Mapped[datetime | None] = mapped_column(DateTime)

    user: Mapped[User] = relationship()


class NotificationPreference(db.Model):
    """A user's choice for one kind of message: by e-mail or on the site only. No row: by
    e-mail. Messages a user must receive ignore it (mptf.notifications.events)."""

    __tablename__ = "notification_preferences"
    __table_args__ = (one_of("event", NOTIFICATION_EVENTS),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True)
    event: Mapped[str] = mapped_column(String(40), primary_key=True)
    by_email: Mapped[bool] = mapped_column(Boolean, default=True)
