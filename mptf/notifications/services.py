"""Writing to the outbox, in the caller's transaction: ``notify`` renders one message per
recipient from the event's templates and adds it to the session; the caller's commit keeps
it, its rollback takes it away. Also each user's list, their choices and the admin's outbox."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, has_request_context
from sqlalchemy import func, select, update

from mptf.extensions import db
from mptf.models import FundConfig, Notification, NotificationPreference, User
from mptf.models.base import utcnow
from mptf.services.audit import record
from mptf.services.errors import NotFound, ServiceError
from mptf.services.policy import AUDIT_READERS, Role
from mptf.urls import external_url

# Links in a message written outside a request (a command) with no MPTF_BASE_URL: the
# development server's address, where ``mptf serve`` answers.
LOCAL_BASE_URL = "http://localhost:5000"
DEFAULT_FUND_NAME = "Migration Multi-Partner Trust Fund"


@dataclass(frozen=True)
class EventKind:
    label: str          # what the preferences page calls it
    who: str            # who receives it, in a few words
    mandatory: bool     # a message the recipient must receive by e-mail


# The kinds of message the fund sends, in the order the preferences page lists them.
EVENTS: dict[str, EventKind] = {
    "note_submitted": EventKind("Receipt of a concept note you submitted", "country team",
                                True),
    "note_to_screen": EventKind("A new concept note to screen", "secretariat", False),
    "note_returned": EventKind("A concept note returned with reasons", "country team", True),
    "note_in_pipeline": EventKind("A concept note screened into the pipeline", "country team",
                                  True),
    "note_withdrawn": EventKind("A concept note withdrawn", "country team and secretariat",
                                False),
    "note_expired": EventKind("A concept note expired", "country team", True),
    "round_opened": EventKind("A review round opened with notes for you to score",
                              "reviewers", True),
    "reminder": EventKind("A reminder from the secretariat about your reviews", "reviewers",
                          True),
    "decision_issued": EventKind("A funding decision issued",
                                 "chair, secretariat, MPTF Office, country teams", False),
}


def link_to(endpoint: str, **values: Any) -> str:
    """The absolute address of a page, for a message: on MPTF_BASE_URL when set."""
    base = None
    if not current_app.config.get("BASE_URL") and not has_request_context():
        base = LOCAL_BASE_URL
    return external_url(endpoint, base_url=base, **values)


def local_path(link: str) -> str:
    """A message's link as the site links it: its path, on whichever host serves the page."""
    parts = urlsplit(link)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def fund_name() -> str:
    return db.session.scalar(select(FundConfig.fund_name)) or DEFAULT_FUND_NAME


def _render(name: str, context: dict[str, Any]) -> tuple[str, str, str]:
    """(subject, text, html) from ``mail/<event>.txt`` (its ``subject`` block and the
    whole) and ``mail/<event>.html``; the HTML is autoescaped, as every .html template."""
    env = current_app.jinja_env
    text_template = env.get_template(f"notifications/mail/{name}.txt")
    subject = "".join(text_template.blocks["subject"](text_template.new_context(context)))
    subject = " ".join(subject.split())[:300]
    text = text_template.render(context).strip() + "\n"
    html = env.get_template(f"notifications/mail/{name}.html").render(context)
    return subject, text, html


def by_email(user: User, event: str) -> bool:
    if EVENTS[event].mandatory:
        return True
    choice = db.session.get(NotificationPreference, (user.id, event))
    return choice is None or choice.by_email


def notify(recipients: Iterable[User], event: str, key: str, *, endpoint: str,
           values: dict[str, Any] | None = None, **context: Any) -> list[Notification]:
    """One message of ``event`` to each active recipient (each once: a recipient who has a
    message with ``key`` already gets no second one), added to the caller's transaction.

    ``endpoint`` and ``values`` name the page the message is about; ``context`` goes to the
    templates with ``recipient``, ``link``, ``fund_name`` and ``preferences_link``."""
    if event not in EVENTS:
        raise ValueError(f"unknown notification event {event!r}")
    people = {u.id: u for u in recipients if u.active}
    if not people:
        return []
    db.session.flush()
    known = set(db.session.scalars(select(Notification.user_id).where(
        Notification.user_id.in_(people), Notification.dedup_key == key)))
    link = link_to(endpoint, **(values or {}))
    shared = {**context, "link": link, "fund_name": fund_name(),
              "preferences_link": link_to("notifications.preferences"),
              "event_kind": EVENTS[event], "link_to": link_to}
    now = utcnow()
    written = []
    for user in sorted(people.values(), key=lambda u: u.id):
        if user.id in known:
            continue
        subject, text, html = _render(event, {**shared, "recipient": user})
        message = Notification(
            user_id=user.id, email=user.email, event=event, dedup_key=key[:200],
            subject=subject, body_text=text, body_html=html, link=link[:1000],
            state="queued" if by_email(user, event) else "site_only", attempts=0,
            last_error="", created_at=now, next_attempt_at=now)
        db.session.add(message)
        written.append(message)
    return written


# --- recipients ---------------------------------------------------------------------------------

def users_with_role(*roles: Role) -> list[User]:
    return list(db.session.scalars(select(User).where(
        User.role.in_(roles), User.active.is_(True)).order_by(User.id)))


def country_team(country_id: int | None) -> list[User]:
    if country_id is None:
        return []
    return list(db.session.scalars(select(User).where(
        User.role == Role.COUNTRY_TEAM, User.country_id == country_id,
        User.active.is_(True)).order_by(User.id)))


def representatives(membership_id: int) -> list[User]:
    from mptf.models import MembershipRepresentative

    return list(db.session.scalars(select(User).join(
        MembershipRepresentative, MembershipRepresentative.user_id == User.id).where(
        MembershipRepresentative.membership_id == membership_id,
        User.active.is_(True)).order_by(User.id)))


# --- each user's list and choices ----------------------------------------------------------------

def my_notifications(user: User):
    """The user's messages, newest first (a query, for paging)."""
    return (select(Notification).where(Notification.user_id == user.id)
            .order_by(Notification.created_at.desc(), Notification.id.desc()))


def unread_count(user: User) -> int:
    return db.session.scalar(select(func.count(Notification.id)).where(
        Notification.user_id == user.id, Notification.read_at.is_(None))) or 0


def mark_read(user: User, upto: int) -> int:
    """Marks the user's unread messages up to id ``upto`` read; returns how many."""
    result = db.session.execute(
        update(Notification).where(Notification.user_id == user.id,
                                   Notification.id <= upto, Notification.read_at.is_(None))
        .values(read_at=utcnow()).execution_options(synchronize_session=False))
    return result.rowcount or 0


def preferences(user: User) -> dict[str, bool]:
    """Each kind of message: True when the user receives it by e-mail."""
    chosen = dict(db.session.execute(select(
        NotificationPreference.event, NotificationPreference.by_email).where(
        NotificationPreference.user_id == user.id)).all())
    return {event: kind.mandatory or chosen.get(event, True) for event, kind in EVENTS.items()}


def set_preferences(user: User, choices: dict[str, bool]) -> list[str]:
    """Records the user's choice for each optional kind; returns the kinds that changed.
    A kind the user must receive cannot be turned off."""
    unknown = set(choices) - set(EVENTS)
    if unknown:
        raise ServiceError("There is no such kind of message: " + ", ".join(sorted(unknown))
                           + ".")
    refused = [EVENTS[e].label for e, on in choices.items() if EVENTS[e].mandatory and not on]
    if refused:
        raise ServiceError("These messages cannot be turned off, they concern what you must "
                           "act on: " + "; ".join(refused) + ".")
    before = preferences(user)
    changed = []
    for event, on in choices.items():
        if EVENTS[event].mandatory or before[event] == on:
            continue
        row = db.session.get(NotificationPreference, (user.id, event))
        if row is None:
            db.session.add(NotificationPreference(user_id=user.id, event=event, by_email=on))
        else:
            row.by_email = on
        changed.append(event)
    if changed:
        record(user, "notification_preferences_changed", user,
               before={e: before[e] for e in changed}, after={e: choices[e] for e in changed})
    db.session.flush()
    return changed


# --- the admin's outbox ---------------------------------------------------------------------------

def outbox(state: str | None = None):
    query = select(Notification).order_by(Notification.id.desc())
    if state:
        query = query.where(Notification.state == state)
    return query


def outbox_counts() -> dict[str, int]:
    return dict(db.session.execute(select(Notification.state, func.count(Notification.id))
                                   .group_by(Notification.state)).all())


def can_read_messages(user: User) -> bool:
    """Whether the outbox shows ``user`` what messages say: the secretariat reads them (it
    sees every note); the admin sees their delivery only (recipient, kind, state, error)."""
    return user.role == Role.SECRETARIAT


def message_for(user: User, notification_id: int) -> Notification:
    """One message of the outbox, for the secretariat and the admin."""
    message = db.session.get(Notification, notification_id)
    if message is None or user.role not in AUDIT_READERS:
        raise NotFound("There is no such message.")
    return message


def retry(actor: User, message: Notification) -> None:
    """Queue a message that failed for good once more (after the address or the server was
    put right)."""
    if message.state != "failed":
        raise ServiceError("Only a message that failed can be sent again; this one is "
                           f"{message.state.replace('_', ' ')}.", status=409, code="state")
    message.state = "queued"
    message.attempts = 0
    message.next_attempt_at = utcnow()
    record(actor, "notification_requeued", message, before={"state": "failed"},
           after={"state": "queued", "last_error": message.last_error})
    db.session.flush()
