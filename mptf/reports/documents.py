"""The tables of every document, as DataFrames in integer cents, and the documents built
from them: the PDF shows these frames and the CSV/XLSX twins export the very same frames, so
the numbers agree by construction."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
from flask import current_app, has_request_context
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from mptf.extensions import db
from mptf.models import (
    Allocation,
    AllocationRun,
    Assignment,
    ConceptNote,
    Country,
    Decision,
    Membership,
    PunoBudgetLine,
    ReviewRound,
    ThematicArea,
)
from mptf.models.base import utcnow
from mptf.charts import bars
from mptf.reports.pdf import render_pdf, sha256
from mptf.spreadsheet import Table, csv_text, xlsx_bytes
from scoring import AllocationPolicy
from scoring.summaries import allocation_totals, demand, transfer_totals

__all__ = ["sha256"]

MONEY_SUFFIX = "(USD)"
DEMO_BASE_URL = "http://127.0.0.1:5000"


# --- decision --------------------------------------------------------------------------------

def _run_lines(run: AllocationRun) -> pd.DataFrame:
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
    from mptf.allocation.cycles import STATUS_LABELS, line_reasons

    run = decision.run
    lines = _run_lines(run)
    funded = lines[lines["status"] == "funded"].reset_index(drop=True)
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
    deferred = lines[lines["status"] != "funded"]
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


MONEY_COLUMNS = {"Amount", "From earmarked", "From unearmarked", "Direct costs", "Indirect support costs", "Total",
                 "Requested", "Allocated", "Floor", "Cap", "Funded", "Unfunded demand"}


def recusals(decision: Decision) -> dict[int, list[str]]:
    """Per note, the members recused from it in the cycle's review rounds."""
    round_ids = [r.id for r in decision.cycle.rounds]
    if not round_ids:
        return {}
    rows = db.session.scalars(select(Assignment).where(
        Assignment.round_id.in_(round_ids), Assignment.status == "recused")
        .options(selectinload(Assignment.membership).selectinload(Membership.organisation)))
    out: dict[int, list[str]] = {}
    for a in rows:
        name = str(a.membership.organisation)
        if name not in out.setdefault(a.note_id, []):
            out[a.note_id].append(name)
    return out


def decision_context(decision: Decision) -> dict:
    from mptf.reports.decisions import ESCALATION_LABELS, OUTCOME_LABELS, quorum

    tables = decision_tables(decision)
    by_area = tables["by_area"]
    labels = {a.id: f"{a.id}. {a.short_name}" for a in db.session.scalars(select(ThematicArea))}
    chart = bars([labels.get(a, str(a)) for a in by_area["Thematic area"]],
                 {"Requested": by_area["Requested"].tolist(),
                  "Allocated": by_area["Allocated"].tolist()},
                 title="Requested and allocated by thematic area")
    from mptf.committee.services import seat_key

    # The fund's seat order (chair first, ex officio last), as on the committee's pages.
    attendance = sorted(decision.attendance, key=lambda a: seat_key(a.membership.seat))
    met, reasons = quorum(decision) if decision.meeting_date else (False, ["No meeting date."])
    notes_by_ref = {n.reference: n.id for n in db.session.scalars(select(ConceptNote).where(
        ConceptNote.reference.in_(tables["approved"]["Reference"].tolist()
                                  + tables["deferred"]["Reference"].tolist())))}
    recused = recusals(decision)
    return {
        "decision": decision, "cycle": decision.cycle, "run": decision.run, "tables": tables,
        "chart": chart, "attendance": attendance, "quorum_met": met, "quorum_reasons": reasons,
        "outcome_label": OUTCOME_LABELS.get(decision.outcome_mode or "", "—"),
        "escalation_label": ESCALATION_LABELS.get(decision.escalation_step or "", ""),
        "recused": {ref: recused.get(nid, []) for ref, nid in notes_by_ref.items()},
        "area_names": labels,
        "total_allocated": int(tables["approved"]["Amount"].sum()),
        "chair": decision.issued_by,
    }


def verification_url() -> str:
    """The verify page's full address, printed on every sealed document: on ``MPTF_BASE_URL``
    (production requires it), else on the request's host; on the command line without a base
    URL (the demo's build), on the address ``make demo`` serves."""
    from mptf.web import external_url

    if current_app.config.get("BASE_URL") or has_request_context():
        return external_url("reports.verify")
    return external_url("reports.verify", base_url=DEMO_BASE_URL)


def decision_pdf(decision: Decision) -> bytes:
    created = decision.issued_at or utcnow().replace(microsecond=0)
    return render_pdf("pdf/decision.html", reference=decision.reference,
                      title=f"Steering Committee decision {decision.reference}",
                      created=created, sealed_at=decision.issued_at,
                      verify_url=verification_url(), **decision_context(decision))


# --- letters -----------------------------------------------------------------------------------

def letter_reference(decision: Decision, note: ConceptNote) -> str:
    return f"{decision.reference}-L-{note.reference}"


def letter_pdf(decision: Decision, note: ConceptNote) -> bytes:
    """The decision letter to the Resident Coordinator of the note's country."""
    from mptf.allocation.cycles import STATUS_LABELS

    line = next((x for x in decision.run.lines if x.note_id == note.id), None)
    if line is None:
        raise ValueError(f"{note.reference} was not considered in {decision.reference}")
    allocation = db.session.scalar(select(Allocation).where(Allocation.note_id == note.id,
                                                            Allocation.cycle_id ==
                                                            decision.cycle_id))
    transfers = []
    if allocation is not None:
        transfers = [(t.organisation.acronym, t.direct_cents, t.indirect_cents, t.total_cents)
                     for t in allocation.transfers]
    return render_pdf(
        "pdf/letter.html", reference=letter_reference(decision, note),
        title=f"Decision letter {note.reference}", created=decision.issued_at,
        sealed_at=decision.issued_at, verify_url=verification_url(),
        decision=decision, note=note, line=line, allocation=allocation, transfers=transfers,
        reason=STATUS_LABELS.get(line.status, line.status),
        conditions=(decision.conditions or {}).get(str(note.id), ""))


# --- pipeline report --------------------------------------------------------------------------

def pipeline_frame() -> pd.DataFrame:
    rows = db.session.execute(
        select(ConceptNote.id, ConceptNote.status, ConceptNote.total_cents, Country.name,
               Country.region, ConceptNote.thematic_area_id, Allocation.amount_cents)
        .join(Country, Country.id == ConceptNote.country_id)
        .outerjoin(Allocation, Allocation.note_id == ConceptNote.id)
        .where(ConceptNote.status.in_(["pipeline", "selected", "funded"]))).all()
    frame = pd.DataFrame(rows, columns=["note_id", "status", "requested", "country", "region",
                                        "thematic_area", "allocated"])
    frame["allocated"] = frame["allocated"].fillna(0).astype("int64")
    frame["requested"] = frame["requested"].astype("int64")
    frame["thematic_area"] = frame["thematic_area"].fillna(0).astype("int64")
    return frame


def pipeline_tables() -> dict[str, pd.DataFrame]:
    frame = pipeline_frame()
    names = {a.id: f"{a.id}. {a.short_name}" for a in db.session.scalars(select(ThematicArea))}
    out = {}
    for key, label in (("thematic_area", "Thematic area"), ("region", "Region"),
                       ("country", "Country")):
        table = demand(frame, key).reset_index()
        if key == "thematic_area":
            table[key] = table[key].map(lambda a: names.get(a, str(a)))
        out[key] = table.rename(columns={
            key: label, "funded_notes": "Funded notes", "funded": "Funded",
            "unfunded_notes": "Unfunded notes", "unfunded_demand": "Unfunded demand"})
    return out


def pipeline_report_pdf(created: datetime | None = None) -> bytes:
    created = created or utcnow().replace(microsecond=0)
    tables = pipeline_tables()
    charts = {}
    for key in ("thematic_area", "region"):
        t = tables[key]
        first = t.columns[0]
        charts[key] = bars(t[first].tolist(), {"Funded": t["Funded"].tolist(),
                                               "Unfunded demand": t["Unfunded demand"].tolist()},
                           title=f"Funded and unfunded demand by {first.lower()}")
    return render_pdf("pdf/pipeline_report.html",
                      reference=f"MIG-PIPELINE-{created:%Y%m%d}",
                      title="The pipeline: funded portfolio and unfunded demand",
                      created=created, tables=tables, charts=charts)


# --- round scoring report ------------------------------------------------------------------------

def round_report_pdf(round_: ReviewRound, created: datetime | None = None) -> bytes:
    from mptf.review import services as review

    created = created or round_.closed_at or utcnow().replace(microsecond=0)
    return render_pdf("pdf/round_report.html", reference=f"MIG-ROUND-{round_.id:03d}",
                      title=f"Scoring report: {round_.name}", created=created, round_=round_,
                      results=review.results_frame(round_),
                      means=review.criterion_means_frame(round_))


# --- twins ------------------------------------------------------------------------------------------

DECISION_TABLE_LABELS = {
    "approved": "Approved allocations", "transfers": "Transfer instructions",
    "puno_totals": "Totals per PUNO", "by_area": "By thematic area", "by_region": "By region",
    "deferred": "Notes deferred"}
PIPELINE_TABLE_LABELS = {"thematic_area": "By thematic area", "region": "By region",
                         "country": "By country"}


def export_table(frame: pd.DataFrame) -> Table:
    """A document's table for ``mptf.spreadsheet``: its money columns in cents, thematic areas
    by their names (the tables hold the area's number for the charts), days as days, scores
    with the document's one decimal."""
    out = frame.copy()
    if "Thematic area" in out.columns and not any(
            isinstance(a, str) for a in out["Thematic area"]):
        names = {a.id: str(a) for a in db.session.scalars(select(ThematicArea))}
        out["Thematic area"] = [names.get(int(a), "") if pd.notna(a) else ""
                                for a in out["Thematic area"]]
    if "In the pipeline until" in out.columns:
        out["In the pipeline until"] = [date.fromisoformat(d) if d else None
                                        for d in out["In the pipeline until"]]
    return Table(out, money=MONEY_COLUMNS & set(out.columns), decimals={"Score": 1})


def to_csv(frame: pd.DataFrame) -> str:
    return csv_text(export_table(frame))


def to_xlsx(frames: dict[str, pd.DataFrame], labels: dict[str, str] | None = None) -> bytes:
    """One sheet per table, named by ``labels`` (the table's key when none)."""
    labels = labels or {}
    return xlsx_bytes({labels.get(name, name): export_table(frame)
                       for name, frame in frames.items()})
