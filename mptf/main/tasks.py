"""Each role's next tasks on its dashboard: what waits for the user, each a link to the page
where it is done. Every list is read in a fixed number of queries (joins and grouped counts,
never a query per row) and shows at most ``SHOWN`` items, with a link to the full listing
when there are more."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import joinedload

from mptf.extensions import db
from mptf.models import (
    Allocation,
    AllocationRun,
    Assignment,
    ConceptNote,
    Contribution,
    Decision,
    FundingCycle,
    LoginThrottle,
    MembershipRepresentative,
    Organisation,
    Review,
    ReviewRound,
    Screening,
    TransferLine,
    User,
)
from mptf.models.base import utcnow
from mptf.models.money import CycleStatus, DecisionStatus
from mptf.models.pipeline import NoteStatus
from mptf.models.review import AssignmentStatus, ReviewStatus, RoundStatus
from mptf.services.policy import Role

SHOWN = 10


@dataclass
class Task:
    """One thing to do: ``label`` links to ``endpoint`` (with ``args``); ``detail`` says what
    it is about; ``due`` is its deadline, if any, ``late`` when it has passed."""

    label: str
    endpoint: str
    args: dict = field(default_factory=dict)
    detail: str = ""
    due: date | None = None
    late: bool = False


@dataclass
class TaskList:
    """A heading, its tasks (at most SHOWN), and where the rest are when there are more."""

    title: str
    tasks: list[Task]
    empty: str
    more: tuple[str, dict] | None = None
    action: tuple[str, str, dict] | None = None  # (label, endpoint, args): start a new one

    @classmethod
    def of(cls, title: str, tasks: list[Task], empty: str, more: tuple[str, dict],
           action: tuple[str, str, dict] | None = None) -> TaskList:
        return cls(title, tasks[:SHOWN], empty, more if len(tasks) > SHOWN else None, action)


def _day(moment: datetime | date | None) -> str:
    return f"{moment:%d %B %Y}".lstrip("0") if moment else ""


def next_tasks(user: User) -> list[TaskList]:
    """The user's next tasks, by role."""
    builders = {Role.COUNTRY_TEAM: _country_team, Role.SECRETARIAT: _secretariat,
                Role.REVIEWER: _reviewer, Role.CHAIR: _chair, Role.FUND_OFFICE: _fund_office,
                Role.ADMIN: _admin}
    builder = builders.get(user.role)
    return builder(user) if builder else []


# --- country team ------------------------------------------------------------------------------

def _own_notes(user: User, status: str) -> list[ConceptNote]:
    return list(db.session.scalars(
        select(ConceptNote).where(ConceptNote.country_id == user.country_id,
                                  ConceptNote.status == status)
        .order_by(ConceptNote.updated_at.desc(), ConceptNote.id.desc()).limit(SHOWN + 1)))


def _country_team(user: User) -> list[TaskList]:
    returned = _own_notes(user, NoteStatus.RETURNED)
    reasons = {}
    if returned:
        for note_id, text in db.session.execute(
                select(Screening.note_id, Screening.reasons)
                .where(Screening.note_id.in_([n.id for n in returned]),
                       Screening.outcome == NoteStatus.RETURNED).order_by(Screening.id)):
            reasons[note_id] = text  # the latest screening wins
    drafts = [Task(f"{n.reference}: {n.title or 'untitled'}", "pipeline.edit",
                   {"note_id": n.id}, f"last saved {_day(n.updated_at)}")
              for n in _own_notes(user, NoteStatus.DRAFT)]
    sent_back = [Task(f"{n.reference}: {n.title or 'untitled'}", "pipeline.edit",
                      {"note_id": n.id}, f"returned by the secretariat: {reasons[n.id]}"
                      if reasons.get(n.id) else "returned by the secretariat")
                 for n in returned]
    return [
        TaskList.of("Drafts to finish", drafts, "No draft waiting.",
                    ("pipeline.index", {"status": "draft"}),
                    ("New concept note", "pipeline.new", {})),
        TaskList.of("Notes returned to you", sent_back, "No note was returned to you.",
                    ("pipeline.index", {"status": "returned"})),
    ]


# --- secretariat ---------------------------------------------------------------------------------

def _secretariat(user: User) -> list[TaskList]:
    today = utcnow().date()
    to_screen = [Task(f"{n.reference}: {n.title}", "pipeline.screen", {"note_id": n.id},
                      f"{n.country.name}, submitted {_day(n.submitted_at)}")
                 for n in db.session.scalars(
                     select(ConceptNote).where(ConceptNote.status == NoteStatus.SUBMITTED)
                     .options(joinedload(ConceptNote.country))
                     .order_by(ConceptNote.submitted_at, ConceptNote.id).limit(SHOWN + 1))]
    return [
        TaskList.of("Notes to screen", to_screen, "No submitted note waits for screening.",
                    ("pipeline.index", {"status": "submitted"})),
        TaskList.of("Rounds to close", _rounds_to_close(today),
                    "No open round is past its closing date or has every review in.",
                    ("review.index", {})),
        TaskList.of("Runs and decisions to draft", _cycles_to_prepare(),
                    "Every funding cycle in preparation has its run and its draft decision.",
                    ("allocation.cycles", {}), ("New funding cycle", "allocation.new_cycle", {})),
    ]


def _rounds_to_close(today: date) -> list[Task]:
    """Open rounds past their closing date, or with every assigned review submitted."""
    assigned = (select(Assignment.round_id, func.count().label("n"))
                .where(Assignment.status == "assigned").group_by(Assignment.round_id)
                .subquery())
    submitted = (select(Review.round_id, func.count().label("n"))
                 .where(Review.status == ReviewStatus.SUBMITTED).group_by(Review.round_id).subquery())
    rows = db.session.execute(
        select(ReviewRound, func.coalesce(assigned.c.n, 0), func.coalesce(submitted.c.n, 0))
        .outerjoin(assigned, assigned.c.round_id == ReviewRound.id)
        .outerjoin(submitted, submitted.c.round_id == ReviewRound.id)
        .where(ReviewRound.status == RoundStatus.OPEN)
        .order_by(ReviewRound.closes_on, ReviewRound.id)).all()
    tasks = []
    for round_, n_assigned, n_submitted in rows:
        past = round_.closes_on is not None and round_.closes_on < today
        complete = n_assigned > 0 and n_submitted >= n_assigned
        if not (past or complete):
            continue
        detail = f"{n_submitted} of {n_assigned} reviews submitted"
        if past:
            detail = f"closing date {_day(round_.closes_on)} passed; {detail}"
        tasks.append(Task(f"Close {round_.name}", "review.close", {"round_id": round_.id},
                          detail, due=round_.closes_on, late=past))
    return tasks


def _cycles_to_prepare() -> list[Task]:
    """Cycles in preparation without a run (to run), or with a run and no decision yet (to
    draft)."""
    runs = (select(AllocationRun.cycle_id, func.count().label("n"))
            .group_by(AllocationRun.cycle_id).subquery())
    rows = db.session.execute(
        select(FundingCycle, func.coalesce(runs.c.n, 0), Decision.id)
        .outerjoin(runs, runs.c.cycle_id == FundingCycle.id)
        .outerjoin(Decision, Decision.cycle_id == FundingCycle.id)
        .where(FundingCycle.status == CycleStatus.DRAFT)
        .order_by(FundingCycle.decision_date.is_(None), FundingCycle.decision_date,
                  FundingCycle.id)).all()
    tasks = []
    for cycle, n_runs, decision_id in rows:
        when = f"decision planned on {_day(cycle.decision_date)}" if cycle.decision_date else \
            "no decision date yet"
        if not n_runs:
            tasks.append(Task(f"Run the allocation of {cycle.name}", "allocation.cycle",
                              {"cycle_id": cycle.id}, when, due=cycle.decision_date))
        elif decision_id is None:
            tasks.append(Task(f"Draft the decision on {cycle.name}", "reports.decision",
                              {"cycle_id": cycle.id}, when, due=cycle.decision_date))
    return tasks


# --- reviewer -----------------------------------------------------------------------------------

def _reviewer(user: User) -> list[TaskList]:
    """Notes the user's seats are to score in open rounds, not yet submitted, soonest
    deadline first."""
    mine = select(MembershipRepresentative.membership_id).where(
        MembershipRepresentative.user_id == user.id)
    rows = db.session.execute(
        select(ReviewRound, ConceptNote, Review.status).select_from(Assignment)
        .join(ReviewRound, ReviewRound.id == Assignment.round_id)
        .join(ConceptNote, ConceptNote.id == Assignment.note_id)
        .outerjoin(Review, and_(Review.round_id == Assignment.round_id,
                                Review.note_id == Assignment.note_id,
                                Review.membership_id == Assignment.membership_id))
        .where(Assignment.membership_id.in_(mine), Assignment.status == AssignmentStatus.ASSIGNED,
               ReviewRound.status == RoundStatus.OPEN,
               or_(Review.status.is_(None), Review.status != ReviewStatus.SUBMITTED))
        .order_by(ReviewRound.closes_on.is_(None), ReviewRound.closes_on, ReviewRound.id,
                  ConceptNote.reference)
        .limit(SHOWN + 1)).all()
    today = utcnow().date()
    tasks = []
    for round_, note, status in rows:
        due = round_.closes_on
        detail = f"{round_.name}; " + (f"due {_day(due)}" if due else "no closing date") + \
            ("; your draft is saved" if status == ReviewStatus.DRAFT else "; not started")
        tasks.append(Task(f"Score {note.reference}: {note.title}", "review.score",
                          {"round_id": round_.id, "note_id": note.id}, detail, due=due,
                          late=due is not None and due < today))
    return [TaskList.of("Reviews due", tasks, "No review waits for you in an open round.",
                        ("review.index", {}))]


# --- chair --------------------------------------------------------------------------------------

def _chair(user: User) -> list[TaskList]:
    rows = db.session.execute(
        select(Decision, FundingCycle).join(FundingCycle, FundingCycle.id == Decision.cycle_id)
        .where(Decision.status == DecisionStatus.DRAFT, FundingCycle.status == CycleStatus.DRAFT)
        .order_by(Decision.meeting_date.is_(None), Decision.meeting_date, Decision.id)
        .limit(SHOWN + 1)).all()
    tasks = [Task(f"Issue {decision.reference} on {cycle.name}", "reports.decision",
                  {"cycle_id": cycle.id},
                  f"meeting of {_day(decision.meeting_date)}" if decision.meeting_date
                  else "no meeting date yet", due=decision.meeting_date)
             for decision, cycle in rows]
    return [TaskList.of("Decisions to issue", tasks, "No draft decision waits for you.",
                        ("reports.index", {}))]


# --- fund office ---------------------------------------------------------------------------------

def _fund_office(user: User) -> list[TaskList]:
    deposits = [Task(f"{c.reference}: {c.donor.name}", "allocation.contribution",
                     {"contribution_id": c.id}, f"deposited {_day(c.deposited_on)}",
                     due=None)
                for c in db.session.scalars(
                    select(Contribution).options(joinedload(Contribution.donor))
                    .order_by(Contribution.deposited_on.desc(), Contribution.id.desc())
                    .limit(5))]
    rows = db.session.execute(
        select(TransferLine, ConceptNote.reference, Organisation.acronym, Decision.id,
               Decision.reference, Decision.issued_at)
        .join(Allocation, Allocation.id == TransferLine.allocation_id)
        .join(ConceptNote, ConceptNote.id == Allocation.note_id)
        .join(Organisation, Organisation.id == TransferLine.organisation_id)
        .join(Decision, and_(Decision.cycle_id == Allocation.cycle_id,
                             Decision.status == DecisionStatus.ISSUED))
        .where(TransferLine.transferred_on.is_(None))
        .order_by(Decision.issued_at, ConceptNote.reference, Organisation.acronym)
        .limit(SHOWN + 1)).all()
    transfers = [Task(f"{reference}: {acronym}", "reports.decision_view",
                      {"decision_id": decision_id},
                      f"{_usd(line.total_cents)} ({decision_reference}, "
                      f"issued {_day(issued_at)})")
                 for line, reference, acronym, decision_id, decision_reference, issued_at
                 in rows]
    return [
        TaskList("Latest deposits", deposits, "No contribution is recorded yet.",
                 ("allocation.contributions", {}) if deposits else None,
                 ("Record a contribution", "allocation.new_contribution", {})),
        TaskList.of("Transfers to make", transfers,
                    "Every approved allocation is transferred.", ("reports.index", {})),
    ]


def _usd(cents: int) -> str:
    from mptf.formatting import usd

    return usd(cents)


# --- admin --------------------------------------------------------------------------------------

def _admin(user: User) -> list[TaskList]:
    now = utcnow()
    locks = db.session.execute(
        select(LoginThrottle.key, LoginThrottle.failures, LoginThrottle.locked_until)
        .where(LoginThrottle.locked_until > now)
        .order_by(LoginThrottle.locked_until.desc()).limit(SHOWN + 1)).all()
    emails = {key.split("|", 1)[0] for key, _failures, _until in locks}
    known = set(db.session.scalars(select(User.email).where(User.email.in_(emails)))) \
        if emails else set()
    locked = []
    for key, failures, until in locks:
        email, address = key.split("|", 1)
        locked.append(Task(email, "admin.users", {},
                           f"{failures} failed sign-ins from {address}; locked until "
                           f"{until:%H:%M} UTC" + ("" if email in known else
                                                   "; no account has this address")))
    inactive = [Task(f"{u.email}: {u.role_label}", "admin.users", {},
                     "deactivated" + (f"; {u.name}" if u.name else ""))
                for u in db.session.scalars(select(User).where(User.active.is_(False))
                                            .order_by(User.email).limit(SHOWN + 1))]
    return [
        TaskList.of("Accounts locked after failed sign-ins", locked,
                    "No account is locked.", ("admin.users", {})),
        TaskList.of("Deactivated accounts", inactive, "No account is deactivated.",
                    ("admin.users", {})),
    ]
