"""The data of a decision's documents, read from the run it approves: the decision's tables
(DataFrames in integer cents: the PDF shows them and the CSV/XLSX twins export the very same
frames, so the numbers agree by construction), the context of its PDF and of its letters,
handed to ``mptf.documents`` to render."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from mptf.allocation.cycles import STATUS_LABELS, line_reasons
from mptf.committee.services import quorum_met, seat_key
from mptf.documents import sealed
from mptf.extensions import db
from mptf.models import (
    Allocation,
    AllocationRun,
    Assignment,
    ConceptNote,
    Decision,
    Membership,
    PunoBudgetLine,
    ThematicArea,
)
from mptf.models.base import utcnow
from mptf.models.money import ESCALATION_LABELS, OUTCOME_LABELS, AllocationStatus
from mptf.models.review import AssignmentStatus
from scoring import AllocationPolicy
from scoring.summaries import allocation_totals, transfer_totals


def run_lines(run: AllocationRun) -> pd.DataFrame:
    """One row per note the run considered, in the run's order: its reference, country,
    thematic area, PUNOs and the run's amounts in cents (the cycle's page, its exports and the
    decision's tables all read it)."""
    notes = {n.id: n for n in db.session.scalars(
        select(ConceptNote).where(ConceptNote.id.in_([line.note_id for line in run.lines]))
        .options(selectinload(ConceptNote.country), selectinload(ConceptNote.thematic_area),
                 selectinload(ConceptNote.puno_lines).selectinload(PunoBudgetLine.organisation)))}
    rows = []
    for line in run.lines:
        note = notes[line.note_id]
        rows.append({
            "note_id": note.id, "order": line.order, "status": line.status,
            "reference": note.reference, "title": note.title, "country": note.country.name,
            "iso3": note.country.iso3, "region": note.country.region,
            "thematic_area": note.thematic_area_id,
            "area_name": note.thematic_area.short_name if note.thematic_area else "",
            "punos": ", ".join(p.organisation.acronym + ("*" if p.is_lead else "")
                               for p in note.puno_lines),
            "requested": int(line.requested_cents), "amount": int(line.amount_cents),
            "from_earmarked": int(line.from_earmarked_cents),
            "from_unearmarked": int(line.from_unearmarked_cents),
            "score": line.score, "expires_on": note.expires_on,
        })
    return pd.DataFrame(rows).sort_values("order").reset_index(drop=True)


def decision_tables(decision: Decision) -> dict[str, pd.DataFrame]:
    """Every table of the cycle decision, in cents, from the run the decision approves."""
    run = decision.run
    lines = run_lines(run)
    funded = lines[lines["status"] == AllocationStatus.FUNDED].reset_index(drop=True)
    conditions = decision.conditions or {}
    approved = pd.DataFrame({
        "Rank": range(1, len(funded) + 1),
        "Reference": funded["reference"], "Country": funded["country"],
        "Title": funded["title"], "Thematic area": funded["thematic_area"],
        "PUNOs": funded["punos"], "Amount": funded["amount"],
        "From earmarked": funded["from_earmarked"], "Score": funded["score"].round(1),
        "Conditions": [conditions.get(str(n), "") for n in funded["note_id"]],
    })
    order = {n: i for i, n in enumerate(funded["note_id"])}
    puno_lines = db.session.scalars(
        select(PunoBudgetLine).where(PunoBudgetLine.note_id.in_(list(order)))
        .options(selectinload(PunoBudgetLine.organisation), selectinload(PunoBudgetLine.note)))
    transfers = pd.DataFrame([{
        "note_id": line.note_id, "Reference": line.note.reference,
        "PUNO": line.organisation.acronym, "Direct costs": int(line.direct_cents),
        "Indirect support costs": int(line.indirect_cents),
        "Total": int(line.direct_cents + line.indirect_cents),
        "_order": (order[line.note_id], line.position)} for line in puno_lines],
        columns=["note_id", "Reference", "PUNO", "Direct costs", "Indirect support costs",
                 "Total", "_order"])
    transfers = transfers.sort_values("_order").drop(columns="_order").reset_index(drop=True)
    puno_totals = transfer_totals(transfers.rename(columns={
        "PUNO": "puno", "Direct costs": "direct", "Indirect support costs": "indirect"}))
    puno_totals = puno_totals.reset_index().rename(columns={
        "puno": "PUNO", "programmes": "Programmes", "direct": "Direct costs",
        "indirect": "Indirect support costs", "total": "Total"})
    policy = AllocationPolicy.from_dict(run.policy)
    areas = [a.id for a in db.session.scalars(select(ThematicArea).order_by(ThematicArea.id))]
    frame = lines[["note_id", "thematic_area", "region", "status", "requested", "amount"]]
    frame = frame.astype({"requested": "int64", "amount": "int64"})
    by_area = allocation_totals(frame, "thematic_area", envelope=run.envelope_cents,
                                floors=policy.thematic_floor, caps=policy.thematic_cap,
                                keys=areas)
    by_region = allocation_totals(frame, "region", envelope=run.envelope_cents,
                                  caps=policy.region_cap)
    deferred = lines[lines["status"] != AllocationStatus.FUNDED]
    said = dict(zip(lines["note_id"], line_reasons(run, lines), strict=True))
    deferred_table = pd.DataFrame({
        "Reference": deferred["reference"], "Country": deferred["country"],
        "Title": deferred["title"], "Requested": deferred["requested"],
        "Score": deferred["score"].round(1),
        "Reason": [reason_text(STATUS_LABELS.get(s, s), said[n])
                   for n, s in zip(deferred["note_id"], deferred["status"], strict=True)],
        "In the pipeline until": [d.isoformat() if d else "" for d in deferred["expires_on"]],
    }).reset_index(drop=True)
    return {
        "approved": approved,
        "transfers": transfers.drop(columns="note_id"),
        "puno_totals": puno_totals,
        "by_area": _totals_table(by_area, "Thematic area"),
        "by_region": _totals_table(by_region, "Region"),
        "deferred": deferred_table,
    }


def reason_text(label: str, sentence: str) -> str:
    """'Insufficient funds: Not enough unearmarked money left …', or the label alone; an
    excluded note's sentence ('Excluded by the secretariat: …') stands alone. Without the
    final full stop, as the PDF may add '; in the pipeline until …'."""
    if not sentence:
        return label
    sentence = sentence.removesuffix(".")
    return sentence if sentence.startswith(label + ":") else f"{label}: {sentence}"


def without_na(frame: pd.DataFrame) -> pd.DataFrame:
    """Missing values (a cap that does not exist) as None, for templates."""
    return frame.astype(object).where(frame.notna(), None)


def _totals_table(totals: pd.DataFrame, label: str) -> pd.DataFrame:
    out = without_na(totals.reset_index())
    return pd.DataFrame({
        label: out.iloc[:, 0], "Notes": out["n_notes"], "Requested": out["requested"],
        "Funded notes": out["n_funded"], "Allocated": out["allocated"],
        "Floor": out["floor_amount"], "Cap": out["cap_amount"],
        "Floor met": out["floor_met"], "Within cap": out["within_cap"]})


def recusals(decision: Decision) -> dict[int, list[str]]:
    """Per note, the members recused from it in the cycle's review rounds."""
    round_ids = [r.id for r in decision.cycle.rounds]
    if not round_ids:
        return {}
    rows = db.session.scalars(select(Assignment).where(
        Assignment.round_id.in_(round_ids), Assignment.status == AssignmentStatus.RECUSED)
        .options(selectinload(Assignment.membership).selectinload(Membership.organisation)))
    out: dict[int, list[str]] = {}
    for a in rows:
        name = str(a.membership.organisation)
        if name not in out.setdefault(a.note_id, []):
            out[a.note_id].append(name)
    return out


def present(decision: Decision) -> list[Membership]:
    """The members recorded present at the decision's meeting."""
    ids = [a.membership_id for a in decision.attendance if a.present]
    return list(db.session.scalars(select(Membership).where(Membership.id.in_(ids))))


def quorum(decision: Decision) -> tuple[bool, list[str]]:
    """The meeting's quorum from the attendance, by the committee's rule."""
    return quorum_met(present(decision), decision.meeting_date)


def area_labels() -> dict[int, str]:
    """Thematic areas as the decision's chart and tables name them: '1. Short name'."""
    return {a.id: f"{a.id}. {a.short_name}" for a in db.session.scalars(select(ThematicArea))}


def area_names() -> dict[int, str]:
    """Thematic areas by their full names, as the exports name them."""
    return {a.id: str(a) for a in db.session.scalars(select(ThematicArea))}


def decision_context(decision: Decision) -> dict:
    """Everything the decision's PDF shows, for ``mptf.documents.sealed.decision_pdf``."""
    tables = decision_tables(decision)
    # The fund's seat order (chair first, ex officio last), as on the committee's pages.
    attendance = sorted(decision.attendance, key=lambda a: seat_key(a.membership.seat))
    met, reasons = quorum(decision) if decision.meeting_date else (False, ["No meeting date."])
    notes_by_ref = {n.reference: n.id for n in db.session.scalars(select(ConceptNote).where(
        ConceptNote.reference.in_(tables["approved"]["Reference"].tolist()
                                  + tables["deferred"]["Reference"].tolist())))}
    recused = recusals(decision)
    return {
        "decision": decision, "cycle": decision.cycle, "run": decision.run, "tables": tables,
        "attendance": attendance, "quorum_met": met, "quorum_reasons": reasons,
        "outcome_label": OUTCOME_LABELS.get(decision.outcome_mode or "", "—"),
        "escalation_label": ESCALATION_LABELS.get(decision.escalation_step or "", ""),
        "recused": {ref: recused.get(nid, []) for ref, nid in notes_by_ref.items()},
        "area_names": area_labels(), "chair": decision.issued_by,
    }


def decision_pdf(decision: Decision, verify_url: str) -> bytes:
    """The decision's PDF (a draft's preview, or the document sealed when it is issued)."""
    created = decision.issued_at or utcnow().replace(microsecond=0)
    return sealed.decision_pdf(created=created, verify_url=verify_url,
                               **decision_context(decision))


def letter_reference(decision: Decision, note: ConceptNote) -> str:
    return sealed.letter_reference(decision.reference, note.reference)


def letter_pdf(decision: Decision, note: ConceptNote, verify_url: str) -> bytes:
    """The decision letter to the Resident Coordinator of the note's country."""
    line = next((x for x in decision.run.lines if x.note_id == note.id), None)
    if line is None:
        raise ValueError(f"{note.reference} was not considered in {decision.reference}")
    allocation = db.session.scalar(select(Allocation).where(
        Allocation.note_id == note.id, Allocation.cycle_id == decision.cycle_id))
    transfers = []
    if allocation is not None:
        transfers = [(t.organisation.acronym, t.direct_cents, t.indirect_cents, t.total_cents)
                     for t in allocation.transfers]
    return sealed.letter_pdf(
        decision=decision, note=note, line=line, allocation=allocation, transfers=transfers,
        reason=STATUS_LABELS.get(line.status, line.status),
        conditions=(decision.conditions or {}).get(str(note.id), ""), verify_url=verify_url)
