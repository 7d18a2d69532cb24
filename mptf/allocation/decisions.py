"""The Steering Committee's decision on a funding cycle (DESIGN.md §7), beside the cycles it
decides. The secretariat drafts it; the chair issues it, which approves the cycle and seals
the PDF in one transaction: an issued decision never changes, and its stored bytes are what is
served. The decision's documents are gathered by ``decision_documents`` and rendered by
``mptf.documents``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import current_app, has_request_context
from sqlalchemy import func, select

from mptf.allocation import decision_documents
from mptf.allocation.cycles import approve, latest_run, stale_reasons, stale_sentence
from mptf.allocation.decision_documents import present, quorum
from mptf.committee.services import quorums_on_notes, sitting_on
from mptf.documents.pdf import sha256
from mptf.extensions import db
from mptf.models import (
    AllocationRunLine,
    ConceptNote,
    Decision,
    DecisionAttendance,
    FundingCycle,
    IssuedDocument,
    Membership,
    User,
)
from mptf.models.base import utcnow
from mptf.models.money import (
    ESCALATION_LABELS,
    OUTCOME_LABELS,
    AllocationStatus,
    CycleStatus,
    DecisionStatus,
)
from mptf.notifications import events as notifications
from mptf.services.audit import record
from mptf.services.confirmation import Consequences, plural
from mptf.services.errors import Conflict, NotAllowed, NotFound, ServiceError
from mptf.services.policy import DECISION_DRAFTERS, Role
from mptf.urls import external_url

# The address ``make demo`` serves: sealed documents built on the command line without
# MPTF_BASE_URL (the demo's build) print their verify page on it.
DEMO_BASE_URL = "http://127.0.0.1:5000"



def decision_for_cycle(cycle: FundingCycle) -> Decision | None:
    return db.session.scalar(select(Decision).where(Decision.cycle_id == cycle.id))


def decision_for(user: User, decision_id: int) -> Decision:
    decision = db.session.get(Decision, decision_id)
    if decision is None or (decision.status != DecisionStatus.ISSUED
                            and user.role not in DECISION_DRAFTERS):
        raise NotFound("There is no such decision.")
    return decision


def next_reference(year: int) -> str:
    from mptf.pipeline.services import fund_config

    prefix = f"{fund_config().reference_prefix}-SC-{year}-"
    count = db.session.scalar(select(func.count()).select_from(Decision).where(
        Decision.reference.like(prefix + "%")))
    return f"{prefix}{count + 1:02d}"


@dataclass
class DraftInput:
    meeting_date: date | None
    place: str
    virtual: bool
    present_ids: list[int]
    outcome_mode: str | None
    escalation_step: str | None
    text: str
    other_decisions: str
    conditions: dict[int, str]


def members_on(day: date) -> list[Membership]:
    return sitting_on(day)


def save_draft(actor: User, cycle: FundingCycle, data: DraftInput) -> Decision:
    """Create or update the cycle's draft decision."""
    if actor.role not in DECISION_DRAFTERS:
        raise NotAllowed("Only the secretariat and the chair draft decisions.")
    decision = decision_for_cycle(cycle)
    if decision is not None and decision.status == DecisionStatus.ISSUED:
        raise Conflict("The decision is issued and can no longer change.")
    if cycle.status != CycleStatus.DRAFT:
        raise ServiceError("The cycle is approved already.", status=409, code="state")
    run = latest_run(cycle)
    if run is None:
        raise ServiceError("Run the cycle's allocation before drafting its decision.")
    problems: dict[str, list[str]] = {}
    if data.outcome_mode not in (None, "", *OUTCOME_LABELS):
        problems["outcome_mode"] = ["Choose consensus or no consensus."]
    if data.outcome_mode == "no_consensus" and data.escalation_step not in ESCALATION_LABELS:
        problems["escalation_step"] = ["Without consensus, say which escalation step was taken."]
    if data.outcome_mode == "consensus" and data.escalation_step:
        problems["escalation_step"] = ["A consensus decision has no escalation step."]
    funded = {line.note_id for line in run.lines if line.status == AllocationStatus.FUNDED}
    unknown = sorted(set(data.conditions) - funded)
    if unknown:
        problems["conditions"] = [f"Conditions only apply to funded notes; not: {unknown}."]
    seated = {m.id for m in members_on(data.meeting_date)} if data.meeting_date else set()
    strangers = sorted(set(data.present_ids) - seated)
    if strangers:
        problems["present_ids"] = ["Only members seated on the meeting date can be present."]
    if problems:
        raise ServiceError("The decision cannot be saved: correct the fields marked.",
                           fields=problems)
    created = decision is None
    if created:
        decision = Decision(cycle=cycle, reference=next_reference(
            (data.meeting_date or utcnow().date()).year), status=DecisionStatus.DRAFT,
            drafted_by_id=actor.id)
        db.session.add(decision)
    decision.run = run
    decision.meeting_date = data.meeting_date
    decision.place = (data.place or "").strip()
    decision.virtual = data.virtual
    decision.outcome_mode = data.outcome_mode or None
    decision.escalation_step = data.escalation_step or None
    decision.text = (data.text or "").strip()
    decision.other_decisions = (data.other_decisions or "").strip()
    decision.conditions = {str(k): v.strip() for k, v in data.conditions.items() if v.strip()}
    decision.attendance.clear()
    db.session.flush()
    for membership_id in sorted(seated):
        decision.attendance.append(DecisionAttendance(
            membership_id=membership_id, present=membership_id in set(data.present_ids)))
    db.session.flush()
    record(actor, "decision_drafted" if created else "decision_redrafted", decision,
           after={"cycle": cycle.id, "run": run.id, "outcome": decision.outcome_mode,
                  "present": sorted(data.present_ids)})
    return decision


def items_without_quorum(decision: Decision) -> dict[str, list[str]]:
    """Per note the run funds (by reference), why the meeting has no quorum on it: members
    recused from a note do not count as present when it is decided (docs/committee.md).
    Empty when every funded note has its quorum."""
    funded = list(db.session.scalars(
        select(ConceptNote).join(AllocationRunLine, AllocationRunLine.note_id == ConceptNote.id)
        .where(AllocationRunLine.run_id == decision.run_id, AllocationRunLine.status == AllocationStatus.FUNDED)
        .order_by(AllocationRunLine.order)))
    verdicts = quorums_on_notes(present(decision), decision.meeting_date, funded)
    return {note.reference: verdicts[note.id][1] for note in funded
            if not verdicts[note.id][0]}


EXCLUDE_REMEDY = ("exclude those notes from the cycle's run with a reason ('Exclude notes' on "
                  "the cycle's page), run the allocation again and save the draft")


def no_quorum_on_notes(decision: Decision, lacking: dict[str, list[str]]) -> str:
    """The sentence for funded notes without their quorum, with the remedies that exist: more
    members present (while some seated member is recorded absent), or excluding the notes."""
    absent = any(not a.present for a in decision.attendance)
    remedy = (f"Record who else was present, or {EXCLUDE_REMEDY}." if absent else
              f"Every member seated on the meeting date is recorded present, so "
              f"{EXCLUDE_REMEDY}.")
    return ("Without the members recused from them, the meeting had no quorum on "
            + "; ".join(f"{reference} ({' '.join(why)})" for reference, why in lacking.items())
            + ". " + remedy)


def issue_blockers(decision: Decision) -> list[str]:
    """Why the chair cannot issue the draft now, a sentence each; empty when it can be
    issued. The draft page shows them with the Issue button disabled, and ``issue`` refuses
    with them: an incomplete draft, a draft based on a run that is not the cycle's latest, a
    run whose money, policy, scores or exclusions changed since, no quorum at the meeting, or
    a funded note without its quorum once its recused members are left out."""
    problems = []
    if decision.meeting_date is None:
        problems.append("the meeting date")
    if decision.outcome_mode is None:
        problems.append("the outcome (consensus or not)")
    if problems:
        return [f"Complete the draft first: {', '.join(problems)}."]
    blockers = []
    latest = latest_run(decision.cycle)
    if latest is not None and decision.run_id != latest.id:
        blockers.append(f"The draft is based on run {decision.run_id}, but the cycle's latest "
                        f"run is {latest.id}: save the draft again.")
    elif decision.run is not None and (stale := stale_reasons(decision.run)):
        blockers.append(f"{stale_sentence(stale)} Then save the draft again.")
    met, reasons = quorum(decision)
    if not met:
        blockers.append("The meeting had no quorum: " + " ".join(reasons) +
                        " A decision needs a quorum.")
    elif lacking := items_without_quorum(decision):
        blockers.append(no_quorum_on_notes(decision, lacking))
    return blockers


def issue(actor: User, decision: Decision) -> Decision:
    """Approve the cycle and seal the decision's PDF, in the caller's one transaction."""
    if actor.role != Role.CHAIR:
        raise NotAllowed("Only the chair issues the committee's decision.")
    decision = db.session.scalar(select(Decision).where(Decision.id == decision.id)
                                 .with_for_update().execution_options(populate_existing=True))
    if decision.status == DecisionStatus.ISSUED:
        raise Conflict(f"{decision.reference} is issued already; it cannot be issued again.")
    blockers = issue_blockers(decision)
    if blockers:
        raise ServiceError(" ".join(blockers))
    conditions = {int(k): v for k, v in (decision.conditions or {}).items()}
    approve(actor, decision.cycle, decision.run, conditions=conditions)
    issued_at = utcnow().replace(microsecond=0)
    decision.issued_at = issued_at
    decision.issued_by = actor
    db.session.flush()
    pdf = decision_documents.decision_pdf(decision, verification_url())
    decision.pdf = pdf
    decision.pdf_sha256 = sha256(pdf)
    decision.status = DecisionStatus.ISSUED
    db.session.flush()
    record(actor, "decision_issued", decision, after={
        "reference": decision.reference, "sha256": decision.pdf_sha256,
        "issued_at": issued_at})
    notifications.decision_issued(decision)
    return decision


def issue_consequences(decision: Decision) -> Consequences:
    """What issuing does for good, what the draft still lacks, and why issuing would be
    refused now, for the chair's confirmation page."""
    from mptf.formatting import usd

    cycle, run = decision.cycle, decision.run
    funded = [line for line in run.lines if line.status == AllocationStatus.FUNDED]
    deferred = len(run.lines) - len(funded)
    final = [f"{decision.reference} is issued and never changes: its PDF is sealed with its "
             "SHA-256, and each decision letter is sealed at its first download.",
             f"The funding cycle '{cycle.name}' is approved: "
             f"{usd(sum(line.amount_cents for line in funded))} is allocated to "
             f"{plural(len(funded), 'note')}, which become selected, and the transfer "
             "instructions to the Administrative Agent are written."]
    if deferred:
        final.append(f"The {plural(deferred, 'other note')} considered stay in the pipeline "
                     "for later cycles.")
    missing = []
    if not (decision.text or "").strip():
        missing.append("The decision has no text of its own.")
    if not decision.virtual and not (decision.place or "").strip():
        missing.append("No place of the meeting is recorded.")
    absent = [a for a in decision.attendance if not a.present]
    if absent:
        missing.append(f"{plural(len(absent), 'seated member is', 'seated members are')} "
                       "recorded absent.")
    refusal = None
    if decision.status == DecisionStatus.ISSUED:
        refusal = f"{decision.reference} is issued already."
    elif blockers := issue_blockers(decision):
        refusal = " ".join(blockers)
    return Consequences(final=final, missing=missing, refusal=refusal)


def store_document(kind: str, reference: str, title: str, data: bytes, *,
                   decision: Decision | None = None, note_id: int | None = None,
                   issued_at=None) -> IssuedDocument:
    """Keep a sealed document (a letter) once; a second call returns the stored one."""
    existing = db.session.scalar(select(IssuedDocument).where(
        IssuedDocument.reference == reference))
    if existing is not None:
        return existing
    document = IssuedDocument(kind=kind, reference=reference, title=title, data=data,
                              sha256=sha256(data), decision_id=decision.id if decision else None,
                              note_id=note_id, issued_at=issued_at or utcnow())
    db.session.add(document)
    db.session.flush()
    return document


def verify(digest: str) -> dict | None:
    """What an SHA-256 belongs to: an issued decision or a stored document; None if nothing."""
    digest = (digest or "").strip().lower()
    if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise ServiceError("An SHA-256 is 64 hexadecimal characters.",
                           fields={"sha256": ["64 hexadecimal characters."]})
    decision = db.session.scalar(select(Decision).where(Decision.pdf_sha256 == digest))
    if decision is not None:
        return {"kind": "Steering Committee decision", "reference": decision.reference,
                "title": f"Decision on {decision.cycle.name}", "issued_at": decision.issued_at,
                "decision_id": decision.id}
    document = db.session.scalar(select(IssuedDocument).where(IssuedDocument.sha256 == digest))
    if document is not None:
        return {"kind": document.kind.replace("_", " ").capitalize(),
                "reference": document.reference, "title": document.title,
                "issued_at": document.issued_at, "decision_id": document.decision_id}
    return None


def verification_url() -> str:
    """The verify page's full address, printed on every sealed document: on ``MPTF_BASE_URL``
    (production requires it), else on the request's host; on the command line without a base
    URL (the demo's build), on the address ``make demo`` serves."""
    if current_app.config.get("BASE_URL") or has_request_context():
        return external_url("reports.verify")
    return external_url("reports.verify", base_url=DEMO_BASE_URL)


def letter(decision: Decision, note: ConceptNote) -> IssuedDocument:
    """The decision letter on ``note``, rendered and kept sealed at its first request (the
    caller commits); the stored one afterwards."""
    reference = decision_documents.letter_reference(decision, note)
    stored = db.session.scalar(select(IssuedDocument).where(
        IssuedDocument.reference == reference))
    if stored is not None:
        return stored
    return store_document(
        "letter", reference, f"Decision letter on {note.reference}",
        decision_documents.letter_pdf(decision, note, verification_url()), decision=decision,
        note_id=note.id, issued_at=decision.issued_at)
