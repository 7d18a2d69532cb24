"""The fund's events and who is told of each. The service that makes a change calls one of
these with the objects it changed, in its own transaction; each writes the outbox rows
(``services.notify``) and nothing else.

Conflict rules hold in messages: a reviewer is sent the scoring links of the notes assigned
to them only, never of a note they are recused from; no message carries a score.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from mptf.extensions import db
from mptf.models import (
    Assignment,
    ConceptNote,
    Decision,
    Reminder,
    Review,
    ReviewRound,
    User,
)
from mptf.notifications.services import country_team, notify, representatives, users_with_role
from mptf.services.policy import MONEY_ROLES, Role


def note_moved(actor: User | None, note: ConceptNote, before: str, target: str,
               **details: Any) -> None:
    """A concept note changed state: its country team (and for a new one the secretariat)
    is told of what concerns them."""
    version = note.current_version
    team = country_team(note.country_id)
    values = {"note_id": note.id}
    if target == "submitted":
        notify(team, "note_submitted", f"note_submitted:{note.id}:v{version}",
               endpoint="pipeline.show", values=values, note=note, resubmitted=before ==
               "returned")
        notify(users_with_role(Role.SECRETARIAT), "note_to_screen",
               f"note_to_screen:{note.id}:v{version}", endpoint="pipeline.screen",
               values=values, note=note, resubmitted=before == "returned")
    elif target == "returned":
        notify(team, "note_returned", f"note_returned:{note.id}:v{version}",
               endpoint="pipeline.show", values=values, note=note,
               reasons=details.get("reasons", ""))
    elif target == "pipeline":
        notify(team, "note_in_pipeline", f"note_in_pipeline:{note.id}", endpoint="pipeline.show",
               values=values, note=note, expires_on=note.expires_on)
    elif target == "withdrawn":
        notify([*team, *users_with_role(Role.SECRETARIAT)], "note_withdrawn",
               f"note_withdrawn:{note.id}", endpoint="pipeline.show", values=values, note=note,
               reason=details.get("reason", ""), actor=actor)
    elif target == "expired":
        notify(team, "note_expired", f"note_expired:{note.id}", endpoint="pipeline.show",
               values=values, note=note)


def _assigned_notes(round_: ReviewRound, membership_id: int,
                    outstanding: bool = False) -> list[ConceptNote]:
    """The notes a member scores in the round (never one it is recused from); with
    ``outstanding``, those it has not submitted a review of yet."""
    query = (select(ConceptNote).join(Assignment, Assignment.note_id == ConceptNote.id)
             .where(Assignment.round_id == round_.id,
                    Assignment.membership_id == membership_id,
                    Assignment.status == "assigned").order_by(ConceptNote.reference))
    if outstanding:
        submitted = select(Review.note_id).where(
            Review.round_id == round_.id, Review.membership_id == membership_id,
            Review.status == "submitted")
        query = query.where(ConceptNote.id.not_in(submitted))
    return list(db.session.scalars(query))


def round_opened(round_: ReviewRound) -> None:
    """Each seated reviewer learns of the round, its deadline and the notes they score."""
    db.session.flush()
    memberships = sorted({a.membership_id for a in round_.assignments})
    for membership_id in memberships:
        notes = _assigned_notes(round_, membership_id)
        notify(representatives(membership_id), "round_opened",
               f"round_opened:{round_.id}:{membership_id}", endpoint="review.show",
               values={"round_id": round_.id}, round=round_, notes=notes,
               recused=sum(1 for a in round_.assignments
                           if a.membership_id == membership_id and a.status == "recused"))


def reminder_sent(reminder: Reminder) -> None:
    """The secretariat's reminder, as it typed it, to the member's representatives, with the
    reviews still missing."""
    db.session.flush()
    round_ = db.session.get(ReviewRound, reminder.round_id)
    notify(representatives(reminder.membership_id), "reminder", f"reminder:{reminder.id}",
           endpoint="review.show", values={"round_id": round_.id}, round=round_,
           message=reminder.message,
           notes=_assigned_notes(round_, reminder.membership_id, outstanding=True))


def decision_issued(decision: Decision) -> None:
    """The chair, the secretariat and the fund office learn of the issued decision; each
    country team of a note the decision decided learns of its own note only (funded with
    its amount, or why not), with a link to its decision letter. No score is told."""
    from mptf.models.money import ALLOCATION_STATUS_LABELS as STATUS_LABELS

    db.session.flush()
    notify(users_with_role(*MONEY_ROLES), "decision_issued",
           f"decision_issued:{decision.id}", endpoint="reports.decision_view",
           values={"decision_id": decision.id}, decision=decision, line=None,
           funded=sum(1 for line in decision.run.lines if line.status == "funded"),
           funded_cents=sum(line.amount_cents for line in decision.run.lines
                            if line.status == "funded"))
    for line in sorted(decision.run.lines, key=lambda line: line.order):
        notify(country_team(line.note.country_id), "decision_issued",
               f"decision_issued:{decision.id}:{line.note_id}", endpoint="reports.letter",
               values={"decision_id": decision.id, "note_id": line.note_id},
               decision=decision, line=line, note=line.note,
               outcome=STATUS_LABELS.get(line.status, line.status))
