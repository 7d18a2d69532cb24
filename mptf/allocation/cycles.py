"""Funding cycles (DESIGN.md §6): a cycle's notes frame from the scored pipeline, its funds,
runs of ``scoring.allocate`` (saved or what-if), and approval, which writes allocations with
per-PUNO transfer lines under row locks so that money is never allocated twice."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from mptf.extensions import db
from mptf.models import (
    Allocation,
    AllocationRun,
    AllocationRunLine,
    ConceptNote,
    Country,
    CycleExclusion,
    FundConfig,
    FundingCycle,
    ReviewRound,
    RoundNote,
    TransferLine,
    User,
)
from mptf.models.base import utcnow
from mptf.models.money import ALLOCATION_STATUS_LABELS, AllocationStatus, CycleStatus
from mptf.models.pipeline import NoteStatus
from mptf.models.review import RoundStatus
from mptf.pipeline.services import move_note
from mptf.services.audit import record
from mptf.services.errors import Conflict, NotAllowed, NotFound, ServiceError
from mptf.services.policy import MONEY_ROLES, Role
from scoring import Allocation as AllocationResult
from scoring import AllocationPolicy, Funds, allocate, explain

STATUS_LABELS = ALLOCATION_STATUS_LABELS  # the labels live beside AllocationStatus


def _require(user: User, *roles: Role) -> None:
    if user.role not in roles:
        raise NotAllowed("Your role does not allow this.")


def cycle_for(user: User, cycle_id: int) -> FundingCycle:
    if user.role not in MONEY_ROLES:
        raise NotFound("There is no such funding cycle.")
    cycle = db.session.get(FundingCycle, cycle_id)
    if cycle is None:
        raise NotFound("There is no such funding cycle.")
    return cycle


# --- cycles ----------------------------------------------------------------------------------

@dataclass
class CycleInput:
    name: str
    decision_date: date | None
    envelope_cents: int | None
    policy: dict[str, Any]
    round_ids: list[int]


def _policy(data: dict[str, Any]) -> AllocationPolicy:
    try:
        return AllocationPolicy.from_dict(data)
    except (ValueError, TypeError) as exc:
        raise ServiceError(f"The policy is not valid: {exc}.", fields={"policy": [str(exc)]}) \
            from exc


def _rounds(round_ids: list[int]) -> list[ReviewRound]:
    rounds = list(db.session.scalars(select(ReviewRound).where(ReviewRound.id.in_(round_ids))))
    if len(rounds) != len(set(round_ids)):
        raise ServiceError("Unknown review round.", fields={"round_ids": ["Unknown round."]})
    open_ = [r.name for r in rounds if r.status != RoundStatus.CLOSED]
    if open_:
        raise ServiceError(f"Only closed rounds' scores count; not closed: {', '.join(open_)}.",
                           fields={"round_ids": ["Not closed."]})
    return rounds


def create_cycle(actor: User, data: CycleInput) -> FundingCycle:
    _require(actor, Role.SECRETARIAT)
    name = (data.name or "").strip()
    if not name:
        raise ServiceError("Give the cycle a name.", fields={"name": ["Required."]})
    if db.session.scalar(select(FundingCycle.id).where(FundingCycle.name == name)):
        raise ServiceError(f"A funding cycle named '{name}' exists already.",
                           fields={"name": ["Already used."]})
    if data.envelope_cents is not None and data.envelope_cents < 0:
        raise ServiceError("The envelope cannot be negative.", fields={"envelope": ["≥ 0."]})
    policy = _policy(data.policy)
    cycle = FundingCycle(name=name, decision_date=data.decision_date,
                         envelope_cents=data.envelope_cents, policy=policy.to_dict(),
                         rounds=_rounds(data.round_ids), status=CycleStatus.DRAFT)
    db.session.add(cycle)
    db.session.flush()
    record(actor, "cycle_created", cycle, after={"name": name, "policy": cycle.policy,
                                                 "envelope": data.envelope_cents,
                                                 "rounds": sorted(data.round_ids)})
    return cycle


def update_cycle(actor: User, cycle: FundingCycle, data: CycleInput) -> None:
    _require(actor, Role.SECRETARIAT)
    if cycle.status != CycleStatus.DRAFT:
        raise ServiceError("An approved cycle cannot change.", status=409, code="state")
    if data.envelope_cents is not None and data.envelope_cents < 0:
        raise ServiceError("The envelope cannot be negative.", fields={"envelope": ["≥ 0."]})
    policy = _policy(data.policy)
    before = {"policy": cycle.policy, "envelope": cycle.envelope_cents,
              "decision_date": cycle.decision_date}
    cycle.name = (data.name or cycle.name).strip()
    cycle.decision_date = data.decision_date
    cycle.envelope_cents = data.envelope_cents
    cycle.policy = policy.to_dict()
    cycle.rounds = _rounds(data.round_ids)
    record(actor, "cycle_changed", cycle, before=before,
           after={"policy": cycle.policy, "envelope": cycle.envelope_cents,
                  "decision_date": cycle.decision_date})


# --- the notes frame and the funds -------------------------------------------------------------

NOTE_FRAME_COLUMNS = ["note_id", "country", "region", "thematic_area", "requested", "score",
                      "quorum_met", "champion", "gender_marker", "submitted_at"]


def latest_results(round_ids: list[int] | None = None) -> pd.DataFrame:
    """Per note, the result of the latest closed round (of ``round_ids``, or of all) that
    scored it: note_id, round_id, score, quorum_met."""
    query = (select(RoundNote.note_id, RoundNote.round_id, RoundNote.score, RoundNote.quorum_met,
                    ReviewRound.closed_at)
             .join(ReviewRound, ReviewRound.id == RoundNote.round_id)
             .where(ReviewRound.status == RoundStatus.CLOSED, RoundNote.score.is_not(None)))
    if round_ids:
        query = query.where(RoundNote.round_id.in_(round_ids))
    frame = pd.DataFrame(db.session.execute(query).all(),
                         columns=["note_id", "round_id", "score", "quorum_met", "closed_at"])
    if frame.empty:
        return frame.drop(columns="closed_at")
    frame = frame.sort_values(["note_id", "closed_at", "round_id"]).drop_duplicates(
        "note_id", keep="last")
    return frame.drop(columns="closed_at").reset_index(drop=True)


def notes_frame(cycle: FundingCycle, on: date | None = None) -> tuple[pd.DataFrame, list[int]]:
    """The cycle's candidates as scoring.allocate expects them: pipeline notes with a score
    from the cycle's rounds. Also returns the ids of scored notes that expire before the
    decision date (they get the status 'expired' and are not allocated)."""
    on = on or cycle.decision_date or utcnow().date()
    results = latest_results([r.id for r in cycle.rounds] or None)
    if results.empty:
        return pd.DataFrame(columns=NOTE_FRAME_COLUMNS), []
    rows = db.session.execute(
        select(ConceptNote.id, Country.iso3, Country.region, ConceptNote.thematic_area_id,
               ConceptNote.total_cents, Country.champion, ConceptNote.gender_marker,
               ConceptNote.submitted_at, ConceptNote.expires_on)
        .join(Country, Country.id == ConceptNote.country_id)
        .where(ConceptNote.status == NoteStatus.PIPELINE,
               ConceptNote.id.in_(results["note_id"].tolist()))).all()
    notes = pd.DataFrame(rows, columns=["note_id", "country", "region", "thematic_area",
                                        "requested", "champion", "gender_marker",
                                        "submitted_at", "expires_on"])
    expired = notes["expires_on"].notna() & (notes["expires_on"] <= on)
    frame = notes[~expired].merge(results[["note_id", "score", "quorum_met"]], on="note_id")
    frame["gender_marker"] = frame["gender_marker"].fillna(0).astype("int64")
    frame["quorum_met"] = frame["quorum_met"].astype(bool)
    frame["champion"] = frame["champion"].astype(bool)
    return (frame[NOTE_FRAME_COLUMNS].sort_values("note_id").reset_index(drop=True),
            sorted(notes.loc[expired, "note_id"].tolist()))


def funds_for(cycle: FundingCycle, envelope_cents: int | None = None) -> Funds:
    """The money this cycle may spend: what is available now, or less when the cycle sets an
    envelope. Within a smaller envelope earmarked money is taken first (it can fund only its
    own area, so holding it back would leave it idle), area by area, then unearmarked."""
    from mptf.allocation.services import available_funds

    unearmarked, earmarked = available_funds()
    envelope = cycle.envelope_cents if envelope_cents is None else envelope_cents
    if envelope is None or envelope >= unearmarked + sum(earmarked.values()):
        return Funds(unearmarked, dict(earmarked))
    left = envelope
    taken: dict[int, int] = {}
    for area in sorted(earmarked):
        taken[area] = min(earmarked[area], left)
        left -= taken[area]
    return Funds(min(unearmarked, left), {a: c for a, c in taken.items() if c})


# --- what a run is computed from, and whether a saved run still matches it -------------------

STALE_PARTS = {
    "money": "the money the cycle may spend changed (a contribution was recorded or corrected, "
             "or another cycle was approved)",
    "policy": "the cycle's policy changed",
    "notes": "the notes' scores, budgets or place in the pipeline changed (a round closed, a "
             "note left the pipeline or expires before the decision date, a budget was "
             "revised, or the cycle's rounds changed)",
    "exclusions": "the notes excluded from the cycle changed",
}
NO_DIGEST = "the run was saved before runs kept a record of what they were computed from"


def _sha256(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class RunInputs:
    """Everything a run of the cycle is computed from, as of now."""

    notes: pd.DataFrame  # scoring.allocate's input: the candidates less the excluded notes
    excluded: pd.DataFrame  # the candidates the secretariat excluded (same columns)
    expired: list[int]  # scored pipeline notes that expire before the decision date
    funds: Funds
    policy: AllocationPolicy

    def digest(self) -> dict[str, str]:
        """One SHA-256 per part of :data:`STALE_PARTS`."""
        return {
            "money": _sha256([self.funds.unearmarked, sorted(self.funds.earmarked.items())]),
            "policy": _sha256(self.policy.to_dict()),
            "notes": _sha256([pd.concat([self.notes, self.excluded]).sort_values("note_id")
                              .to_dict("records"), self.expired]),
            "exclusions": _sha256(sorted(int(n) for n in self.excluded["note_id"])),
        }


def run_inputs(cycle: FundingCycle, envelope_cents: int | None = None) -> RunInputs:
    frame, expired = notes_frame(cycle)
    excluded = frame["note_id"].isin([e.note_id for e in cycle.exclusions])
    return RunInputs(notes=frame[~excluded].reset_index(drop=True),
                     excluded=frame[excluded].reset_index(drop=True), expired=expired,
                     funds=funds_for(cycle, envelope_cents), policy=_policy(cycle.policy))


def stale_reasons(run: AllocationRun) -> list[str]:
    """Why a draft cycle's saved run no longer matches what it would be computed from now
    (clauses of :data:`STALE_PARTS`); empty when it matches, and for an approved cycle, whose
    run is history."""
    if run.cycle.status != CycleStatus.DRAFT:
        return []
    if run.inputs_digest is None:
        return [NO_DIGEST]
    now = run_inputs(run.cycle).digest()
    return [text for part, text in STALE_PARTS.items() if run.inputs_digest.get(part) != now[part]]


def stale_sentence(reasons: list[str]) -> str:
    return (f"The saved run is out of date: since it was saved, {'; '.join(reasons)}. "
            "Run the allocation again.")


def compute(cycle: FundingCycle, *, policy: dict[str, Any] | None = None,
            envelope_cents: int | None = None, method: str = "greedy") -> AllocationResult:
    """Run the allocator on the cycle's notes (less those excluded) and funds; nothing saved."""
    inputs = run_inputs(cycle, envelope_cents)
    return allocate(inputs.notes, inputs.funds,
                    _policy(policy) if policy is not None else inputs.policy, method=method)


def save_run(actor: User, cycle: FundingCycle, method: str = "greedy") -> AllocationRun:
    """Run with the cycle's own policy and envelope and store the result line by line, with
    the excluded and the expired notes after the allocated ones, and the digest of the
    inputs (so that the run shows as stale once they change)."""
    _require(actor, Role.SECRETARIAT)
    if cycle.status != CycleStatus.DRAFT:
        raise ServiceError("An approved cycle is not run again.", status=409, code="state")
    inputs = run_inputs(cycle)
    funds = inputs.funds
    result = allocate(inputs.notes, funds, inputs.policy, method=method)
    run = AllocationRun(cycle=cycle, method=method, policy=cycle.policy,
                        funds={"unearmarked": funds.unearmarked,
                               "earmarked": {str(a): c for a, c in funds.earmarked.items()}},
                        envelope_cents=funds.total, allocated_cents=result.summary.allocated,
                        inputs_digest=inputs.digest(), created_by_id=actor.id)
    db.session.add(run)
    for row in result.table.itertuples(index=False):
        run.lines.append(AllocationRunLine(
            note_id=int(row.note_id), order=int(row.order), status=row.status,
            score=float(row.score), requested_cents=int(row.requested),
            amount_cents=int(row.amount), from_earmarked_cents=int(row.from_earmarked),
            from_unearmarked_cents=int(row.from_unearmarked)))
    position = len(result.table)
    for row in inputs.excluded.itertuples(index=False):
        position += 1
        run.lines.append(AllocationRunLine(
            note_id=int(row.note_id), order=position, status=AllocationStatus.EXCLUDED,
            score=None if pd.isna(row.score) else float(row.score),
            requested_cents=int(row.requested), amount_cents=0, from_earmarked_cents=0,
            from_unearmarked_cents=0))
    expired = inputs.expired
    requested = dict(db.session.execute(select(ConceptNote.id, ConceptNote.total_cents).where(
        ConceptNote.id.in_(expired))).all())
    for note_id in expired:
        position += 1
        run.lines.append(AllocationRunLine(
            note_id=note_id, order=position, status=AllocationStatus.EXPIRED, score=None,
            requested_cents=requested[note_id], amount_cents=0, from_earmarked_cents=0,
            from_unearmarked_cents=0))
    db.session.flush()
    record(actor, "cycle_run", cycle, after={"run": run.id, "method": method,
                                             "envelope": funds.total,
                                             "allocated": result.summary.allocated,
                                             "excluded": len(inputs.excluded)})
    return run


def run_funds(run: AllocationRun) -> Funds:
    """The funds a saved run spent from."""
    return Funds(int(run.funds["unearmarked"]),
                 {int(a): int(c) for a, c in (run.funds.get("earmarked") or {}).items()})


def line_reasons(run: AllocationRun, lines: pd.DataFrame) -> list[str]:
    """The sentence beside each line of ``lines`` (the run's lines as
    ``mptf.allocation.decision_documents.run_lines`` builds them): scoring.explain's, and the
    secretariat's reason for an excluded note."""
    said = explain(lines, run_funds(run), _policy(run.policy)).tolist()
    reasons = exclusion_reasons(run.cycle)
    return [f"Excluded by the secretariat: {reasons[note_id]}"
            if status == AllocationStatus.EXCLUDED and note_id in reasons else text
            for note_id, status, text in zip(lines["note_id"], lines["status"], said,
                                             strict=True)]


# --- notes excluded by the secretariat ---------------------------------------------------------

def exclusion_reasons(cycle: FundingCycle) -> dict[int, str]:
    return {e.note_id: e.reason for e in cycle.exclusions}


def exclusion_candidates(cycle: FundingCycle) -> list[ConceptNote]:
    """The notes the cycle's runs consider now and that are not excluded yet."""
    frame, _expired = notes_frame(cycle)
    taken = set(exclusion_reasons(cycle))
    ids = [int(n) for n in frame["note_id"] if int(n) not in taken]
    return list(db.session.scalars(select(ConceptNote).where(ConceptNote.id.in_(ids))
                                   .order_by(ConceptNote.reference)))


REASON_MAX = 2000


def exclude_note(actor: User, cycle: FundingCycle, note_id: int | None,
                 reason: str) -> CycleExclusion:
    """Take a note out of the draft cycle's runs, saying why; the next run lists it as
    excluded, and the decision shows the reason."""
    _require(actor, Role.SECRETARIAT)
    if cycle.status != CycleStatus.DRAFT:
        raise ServiceError("The cycle is approved; its notes can no longer be excluded.",
                           status=409, code="state")
    reason = (reason or "").strip()
    problems: dict[str, list[str]] = {}
    if not reason:
        problems["reason"] = ["Say why the note is taken out of the cycle."]
    elif len(reason) > REASON_MAX:
        problems["reason"] = [f"At most {REASON_MAX:,} characters."]
    note = db.session.get(ConceptNote, note_id) if note_id else None
    if note is None:
        problems["note_id"] = ["Choose a note."]
    elif note.id in exclusion_reasons(cycle):
        problems["note_id"] = [f"{note.reference} is excluded from this cycle already."]
    elif note.id not in {n.id for n in exclusion_candidates(cycle)}:
        problems["note_id"] = [f"{note.reference} is not among the notes this cycle's runs "
                               "consider (scored pipeline notes that do not expire before "
                               "the decision date)."]
    if problems:
        raise ServiceError("The note cannot be excluded: correct the fields marked.",
                           fields=problems)
    exclusion = CycleExclusion(cycle=cycle, note=note, reason=reason, excluded_by_id=actor.id)
    db.session.add(exclusion)
    db.session.flush()
    record(actor, "note_excluded", cycle, after={"note": note.reference, "reason": reason})
    return exclusion


def include_note(actor: User, cycle: FundingCycle, note_id: int) -> ConceptNote:
    """Undo an exclusion: the note counts again from the next run."""
    _require(actor, Role.SECRETARIAT)
    exclusion = db.session.scalar(select(CycleExclusion).where(
        CycleExclusion.cycle_id == cycle.id, CycleExclusion.note_id == note_id))
    if exclusion is None:
        raise NotFound("That note is not excluded from this cycle.")
    if cycle.status != CycleStatus.DRAFT:
        raise ServiceError("The cycle is approved; its exclusions can no longer change.",
                           status=409, code="state")
    note = exclusion.note
    cycle.exclusions.remove(exclusion)
    db.session.flush()
    record(actor, "note_included", cycle, before={"note": note.reference,
                                                  "reason": exclusion.reason})
    return note


def latest_run(cycle: FundingCycle) -> AllocationRun | None:
    return db.session.scalar(select(AllocationRun).where(AllocationRun.cycle_id == cycle.id)
                             .options(selectinload(AllocationRun.lines))
                             .order_by(AllocationRun.id.desc()).limit(1))


# --- approval ----------------------------------------------------------------------------------

def approve(actor: User, cycle: FundingCycle, run: AllocationRun | None = None,
            conditions: dict[int, str] | None = None) -> list[Allocation]:
    """Lock the cycle: write the run's funded notes as allocations with per-PUNO transfer
    lines, move them to 'selected', and refuse if the money is no longer there.

    The fund's configuration row is locked first (one approval at a time across the fund),
    then the cycle; the unique allocation per note is the last line of defence."""
    from mptf.allocation.services import available_funds

    _require(actor, Role.CHAIR)
    db.session.scalar(select(FundConfig).where(FundConfig.id == 1).with_for_update())
    cycle = db.session.scalar(select(FundingCycle).where(FundingCycle.id == cycle.id)
                              .with_for_update().execution_options(populate_existing=True))
    if cycle.status != CycleStatus.DRAFT:
        raise Conflict(f"The cycle '{cycle.name}' is approved already; nothing was changed.")
    run = run or latest_run(cycle)
    if run is None:
        raise ServiceError("Run the allocation before approving the cycle.")
    if run.cycle_id != cycle.id:
        raise ServiceError("That run belongs to another cycle.")
    funded = [line for line in run.lines if line.status == AllocationStatus.FUNDED]
    unearmarked, earmarked = available_funds()
    need_unearmarked = sum(line.from_unearmarked_cents for line in funded)
    notes = {n.id: n for n in db.session.scalars(
        select(ConceptNote).where(ConceptNote.id.in_([line.note_id for line in funded]))
        .options(selectinload(ConceptNote.puno_lines)).with_for_update())}
    need_by_area: dict[int, int] = {}
    for line in funded:
        if line.from_earmarked_cents:
            area = notes[line.note_id].thematic_area_id
            need_by_area[area] = need_by_area.get(area, 0) + line.from_earmarked_cents
    from mptf.formatting import usd

    if need_unearmarked > unearmarked:
        raise ServiceError(f"The run spends {usd(need_unearmarked)} of unearmarked money but "
                           f"only {usd(unearmarked)} is available now; run the cycle again.",
                           status=409, code="insufficient_funds")
    for area, need in need_by_area.items():
        if need > earmarked.get(area, 0):
            raise ServiceError(f"The run spends {usd(need)} earmarked to thematic area {area} "
                               f"but only {usd(earmarked.get(area, 0))} is available; run the "
                               "cycle again.", status=409, code="insufficient_funds")
    changed = [n.reference for n in notes.values() if n.status != NoteStatus.PIPELINE]
    if changed:
        raise ServiceError(f"These notes left the pipeline since the run: {', '.join(changed)};"
                           " run the cycle again.", status=409, code="state")
    allocations = []
    for rank, line in enumerate(sorted(funded, key=lambda x: x.order), start=1):
        note = notes[line.note_id]
        if line.amount_cents != note.total_cents:
            raise ServiceError(f"{note.reference}'s budget changed since the run; run the "
                               "cycle again.", status=409, code="state")
        allocation = Allocation(
            cycle=cycle, note=note, rank=rank, score=line.score, amount_cents=line.amount_cents,
            from_earmarked_cents=line.from_earmarked_cents,
            from_unearmarked_cents=line.from_unearmarked_cents,
            earmark_area_id=note.thematic_area_id if line.from_earmarked_cents else None,
            conditions=(conditions or {}).get(note.id, ""))
        for puno in note.puno_lines:
            allocation.transfers.append(TransferLine(organisation_id=puno.organisation_id,
                                                     direct_cents=puno.direct_cents,
                                                     indirect_cents=puno.indirect_cents))
        db.session.add(allocation)
        move_note(actor, note, NoteStatus.SELECTED, cycle=cycle.id, amount=line.amount_cents)
        allocations.append(allocation)
    cycle.status = CycleStatus.APPROVED
    cycle.approved_at = utcnow()
    cycle.approved_by_id = actor.id
    db.session.flush()
    record(actor, "cycle_approved", cycle, after={
        "run": run.id, "allocations": len(allocations),
        "allocated": sum(a.amount_cents for a in allocations)})
    return allocations


def allocated_total() -> int:
    return int(db.session.scalar(select(func.coalesce(func.sum(Allocation.amount_cents), 0))))
