"""Objects as the API gives them: plain JSON, every amount as integer cents and USD text,
dates as ISO 8601. No number is computed here: amounts are the stored ones, scores the stored
results of ``scoring``."""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any

from mptf.models import (
    AllocationRun,
    ConceptNote,
    Country,
    Decision,
    FundingCycle,
    PunoBudgetLine,
    Review,
    ReviewRound,
    User,
)
from mptf.money import usd_plain
from mptf.public.portfolio import FundTotals, Programme
from mptf.urls import external_url


def money(prefix: str, cents: int | None) -> dict[str, Any]:
    if cents is None:
        return {f"{prefix}_cents": None, f"{prefix}_usd": None}
    return {f"{prefix}_cents": int(cents), f"{prefix}_usd": usd_plain(int(cents))}


def day(value: date | datetime | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.replace(microsecond=0).isoformat() + "Z"
    return value.isoformat()


def number(value: float | None) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return round(float(value), 4)


def country(c: Country) -> dict[str, Any]:
    return {"iso3": c.iso3, "name": c.name, "region": c.region}


def puno_line(line: PunoBudgetLine) -> dict[str, Any]:
    return {"organisation": line.organisation.acronym, "organisation_id": line.organisation_id,
            "lead": line.is_lead, **money("direct", line.direct_cents),
            **money("indirect", line.indirect_cents), **money("total", line.total_cents)}


# --- public --------------------------------------------------------------------------------------

def decision_link(decision: Decision) -> dict[str, Any]:
    return {"id": decision.id, "reference": decision.reference,
            "pdf_url": external_url("reports.decision_pdf", decision_id=decision.id),
            "sha256": decision.pdf_sha256}


def programme(p: Programme) -> dict[str, Any]:
    note = p.note
    area = note.thematic_area
    return {
        "id": p.allocation.id,
        "reference": note.reference,
        "title": note.title,
        "summary": note.summary,
        "country": country(note.country),
        "countries": [country(c) for c in note.countries] if note.is_regional else [],
        "is_regional": note.is_regional,
        "thematic_area": {"id": area.id, "name": area.short_name} if area else None,
        "duration_months": note.duration_months,
        "gender_marker": note.gender_marker,
        "punos": [puno_line(line) for line in note.puno_lines],
        **money("amount", p.allocation.amount_cents),
        "cycle": {"id": p.cycle.id, "name": p.cycle.name},
        "approved_on": day(p.approved_on),
        "decision_date": day(p.decision_date),
        "decision": decision_link(p.decision) if p.decision else None,
        "transfers": [{"organisation": t.organisation.acronym,
                       **money("direct", t.direct_cents), **money("indirect", t.indirect_cents),
                       **money("amount", t.total_cents), "transferred_on": day(t.transferred_on)}
                      for t in p.allocation.transfers],
        "url": external_url("public.programme", allocation_id=p.allocation.id),
    }


def decision(d: Decision, programmes: int, allocated: int) -> dict[str, Any]:
    return {
        "id": d.id, "reference": d.reference,
        "cycle": {"id": d.cycle_id, "name": d.cycle.name},
        "meeting_date": day(d.meeting_date), "issued_at": day(d.issued_at),
        "outcome": d.outcome_mode,
        "sha256": d.pdf_sha256,
        "pdf_url": external_url("reports.decision_pdf", decision_id=d.id),
        "programmes": programmes, **money("allocated", allocated),
    }


def fund(totals: FundTotals, name: str) -> dict[str, Any]:
    return {"fund_name": name, **money("gross", totals.gross_cents),
            **money("fee", totals.fee_cents), **money("net", totals.net_cents),
            **money("allocated", totals.allocated_cents),
            **money("available", totals.available_cents),
            "contributions": totals.contributions, "donors": totals.donors,
            "programmes": totals.programmes}


def demand_row(row: dict[str, Any]) -> dict[str, Any]:
    return {"key": row["key"], "label": row["label"], "funded_notes": row["funded_notes"],
            **money("funded", row["funded_cents"]), "unfunded_notes": row["unfunded_notes"],
            **money("unfunded_demand", row["unfunded_demand_cents"])}


# --- signed in -----------------------------------------------------------------------------------

def me(user: User, token) -> dict[str, Any]:
    return {"id": user.id, "email": user.email, "name": user.name, "role": user.role,
            "country": country(user.country) if user.country else None,
            "token": {"id": token.id, "name": token.name, "created_at": day(token.created_at),
                      "expires_at": day(token.expires_at), "scope": token.scope}}


def note_summary(note: ConceptNote) -> dict[str, Any]:
    return {
        "id": note.id, "reference": note.reference, "status": note.status,
        "title": note.title, "country": country(note.country), "is_regional": note.is_regional,
        "thematic_area_id": note.thematic_area_id, **money("total", note.total_cents),
        "score": number(note.score), "submitted_at": day(note.submitted_at),
        "expires_on": day(note.expires_on), "updated_at": day(note.updated_at),
    }


def note(n: ConceptNote, can_edit: bool) -> dict[str, Any]:
    return {
        **note_summary(n),
        "countries": [country(c) for c in n.countries],
        "country_ids": [c.id for c in n.countries],
        "objective_ids": [o.id for o in n.objectives],
        "principles": {str(p.principle_id): p.how for p in n.principles},
        "punos": [puno_line(line) for line in n.puno_lines],
        "duration_months": n.duration_months,
        **{f"{m}_marker": getattr(n, f"{m}_marker") for m in ("gender", "human_rights", "child")},
        **{f"{m}_justification": getattr(n, f"{m}_justification")
           for m in ("gender", "human_rights", "child")},
        "summary": n.summary, "problem_statement": n.problem_statement,
        "theory_of_change": n.theory_of_change, "expected_results": n.expected_results,
        "national_partners": list(n.national_partners or []),
        "stakeholders": list(n.stakeholders or []),
        "government_endorsed": n.government_endorsed,
        "endorsement_date": day(n.endorsement_date),
        **money("total_direct", n.total_direct_cents),
        **money("total_indirect", n.total_indirect_cents),
        "current_version": n.current_version, "created_at": day(n.created_at),
        "can_edit": can_edit,
    }


def round_(r: ReviewRound) -> dict[str, Any]:
    return {
        "id": r.id, "name": r.name, "status": r.status, "opens_on": day(r.opens_on),
        "closes_on": day(r.closes_on), "quorum": r.quorum,
        "disagreement_threshold": r.disagreement_threshold, "calibrate": r.calibrate,
        "opened_at": day(r.opened_at), "closed_at": day(r.closed_at),
    }


def round_detail(r: ReviewRound) -> dict[str, Any]:
    return {
        **round_(r),
        "criteria": [{"code": c.code, "label": c.label, "weight": c.weight,
                      "scale_min": c.scale_min, "scale_max": c.scale_max,
                      "guidance": c.guidance} for c in r.criteria],
        "notes": [{"note_id": rn.note_id, "reference": rn.note.reference,
                   "title": rn.note.title, "country": rn.note.country.iso3}
                  for rn in r.round_notes],
    }


def review(round_id: int, note_id: int, found: Review | None) -> dict[str, Any]:
    if found is None:
        return {"round_id": round_id, "note_id": note_id, "status": None, "scores": {},
                "comments": {}, "comment": "", "submitted_at": None}
    return {
        "round_id": round_id, "note_id": note_id, "status": found.status,
        "scores": {s.criterion.code: s.value for s in found.scores},
        "comments": {s.criterion.code: s.comment for s in found.scores if s.comment},
        "comment": found.comment, "submitted_at": day(found.submitted_at),
    }


def _whole(value: Any) -> int | None:
    return None if value is None or value != value else int(value)


def results(round_id: int, frame) -> dict[str, Any]:
    """The closed round's stored results (``review.services.results_frame``), row by row."""
    out = []
    for values in frame.to_dict(orient="records"):
        out.append({
            "rank": _whole(values["Rank"]), "reference": values["Reference"],
            "title": values["Title"], "country": values["Country"],
            "thematic_area_id": _whole(values["Area"]), "n_reviews": _whole(values["Reviews"]),
            **{k.lower(): number(values[k]) for k in ("Mean", "Median", "Std", "Spread",
                                                       "Calibrated", "Score")},
            "quorum_met": bool(values["Quorum met"]),
            "disagreement": bool(values["Disagreement"]),
        })
    return {"round_id": round_id, "results": out}


def run_summary(run: AllocationRun) -> dict[str, Any]:
    return {"id": run.id, "method": run.method, "created_at": day(run.created_at),
            **money("envelope", run.envelope_cents), **money("allocated", run.allocated_cents)}


def cycle(c: FundingCycle, detail: bool = False) -> dict[str, Any]:
    out = {
        "id": c.id, "name": c.name, "status": c.status, "decision_date": day(c.decision_date),
        **money("envelope", c.envelope_cents), "policy": c.policy,
        "round_ids": sorted(r.id for r in c.rounds), "created_at": day(c.created_at),
        "approved_at": day(c.approved_at),
    }
    if detail:
        out["runs"] = [run_summary(r) for r in c.runs]
        out["allocations"] = [{"id": a.id, "note_id": a.note_id, "reference": a.note.reference,
                               "rank": a.rank, **money("amount", a.amount_cents)}
                              for a in c.allocations]
    return out


def run(r: AllocationRun, references: dict[int, str]) -> dict[str, Any]:
    return {
        **run_summary(r), "cycle_id": r.cycle_id, "policy": r.policy,
        "lines": [{"note_id": line.note_id, "reference": references.get(line.note_id, ""),
                   "order": line.order, "status": line.status, "score": number(line.score),
                   **money("requested", line.requested_cents),
                   **money("amount", line.amount_cents),
                   **money("from_earmarked", line.from_earmarked_cents),
                   **money("from_unearmarked", line.from_unearmarked_cents)}
                  for line in r.lines],
    }
