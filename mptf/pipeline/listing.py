"""The pipeline listing: filters, search, sort, pagination, counts and totals by area and
region, in a constant number of queries whatever the number of notes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import selectinload

from mptf.extensions import db
from mptf.forms_util import digits
from mptf.models import ConceptNote, Country, PunoBudgetLine, ThematicArea, User
from mptf.pagination import paginate
from mptf.pipeline.rules import STATUS_LABELS
from mptf.pipeline.services import visible_notes
from mptf.spreadsheet import Table

SORTS = {
    "submitted": (ConceptNote.submitted_at.desc().nulls_last(), ConceptNote.id.desc()),
    "submitted_asc": (ConceptNote.submitted_at.asc().nulls_last(), ConceptNote.id),
    "reference": (ConceptNote.reference,),
    "title": (ConceptNote.title, ConceptNote.id),
    "budget": (ConceptNote.total_cents.desc(), ConceptNote.id),
    "score": (ConceptNote.score.desc().nulls_last(), ConceptNote.id),
    "expires": (ConceptNote.expires_on.asc().nulls_last(), ConceptNote.id),
}


@dataclass
class Filters:
    status: str | None = None
    thematic_area_id: int | None = None
    region: str | None = None
    country_id: int | None = None
    puno_id: int | None = None
    gender_marker_min: int | None = None
    score_min: float | None = None
    submitted_from: date | None = None
    submitted_to: date | None = None
    q: str | None = None
    sort: str = "submitted"
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_args(cls, args: Any) -> Filters:
        """Parse query-string filters; a bad value is dropped with a message, never a 500."""
        f = cls()

        def integer(name: str, low: int, high: int) -> int | None:
            text = (args.get(name) or "").strip()
            if not text:
                return None
            if not digits(text) or not (low <= int(text) <= high):
                f.errors[name] = f"'{text[:40]}' is not a valid value."
                return None
            return int(text)

        def no_nul(name: str, text: str) -> str:
            if "\x00" in text:  # PostgreSQL cannot compare with it
                f.errors[name] = "Must not contain NUL characters."
                return ""
            return text

        status = (args.get("status") or "").strip()
        if status and status not in STATUS_LABELS:
            f.errors["status"] = "Unknown status."
        else:
            f.status = status or None
        f.thematic_area_id = integer("area", 1, 99)
        region = no_nul("region", (args.get("region") or "").strip())
        f.region = region or None
        f.country_id = integer("country", 1, 10**9)
        f.puno_id = integer("puno", 1, 10**9)
        f.gender_marker_min = integer("gender_marker", 0, 3)
        score = (args.get("score_min") or "").strip()
        if score:
            try:
                f.score_min = float(score)
                if not 0 <= f.score_min <= 100:
                    raise ValueError
            except ValueError:
                f.errors["score_min"] = "A score between 0 and 100."
                f.score_min = None
        for name in ("submitted_from", "submitted_to"):
            text = (args.get(name) or "").strip()
            if text:
                try:
                    setattr(f, name, date.fromisoformat(text))
                except ValueError:
                    f.errors[name] = "A date as YYYY-MM-DD."
        q = no_nul("q", (args.get("q") or "").strip())
        f.q = q[:200] or None
        sort = (args.get("sort") or "submitted").strip()
        f.sort = sort if sort in SORTS else "submitted"
        return f


def filtered(user: User, f: Filters):
    """The select of visible notes matching the filters (no ordering, no paging)."""
    query = visible_notes(user)
    conditions = []
    if f.status:
        conditions.append(ConceptNote.status == f.status)
    if f.thematic_area_id:
        conditions.append(ConceptNote.thematic_area_id == f.thematic_area_id)
    if f.region:
        conditions.append(ConceptNote.country_id.in_(
            select(Country.id).where(Country.region == f.region)))
    if f.country_id:
        conditions.append(ConceptNote.country_id == f.country_id)
    if f.puno_id:
        conditions.append(exists().where(and_(PunoBudgetLine.note_id == ConceptNote.id,
                                              PunoBudgetLine.organisation_id == f.puno_id)))
    if f.gender_marker_min is not None:
        conditions.append(ConceptNote.gender_marker >= f.gender_marker_min)
    if f.score_min is not None:
        conditions.append(ConceptNote.score >= f.score_min)
    if f.submitted_from:
        conditions.append(ConceptNote.submitted_at >= f.submitted_from)
    if f.submitted_to:
        conditions.append(func.date(ConceptNote.submitted_at) <= f.submitted_to)
    if f.q:
        needle = f.q.lower()
        conditions.append(or_(func.lower(ConceptNote.title).contains(needle, autoescape=True),
                              func.lower(ConceptNote.summary).contains(needle, autoescape=True),
                              func.lower(ConceptNote.reference).contains(needle,
                                                                         autoescape=True)))
    return query.where(*conditions)


def page_of(user: User, f: Filters, page: int, per_page: int):
    """One page of notes with what the table shows loaded up front (country, area, PUNOs); a
    page beyond the last is the last."""
    query = (filtered(user, f)
             .options(selectinload(ConceptNote.country), selectinload(ConceptNote.thematic_area),
                      selectinload(ConceptNote.puno_lines).selectinload(
                          PunoBudgetLine.organisation))
             .order_by(*SORTS[f.sort]))
    return paginate(query, page, per_page)


def totals(user: User, f: Filters) -> dict[str, Any]:
    """Counts and total requested by thematic area and by region, over the filtered notes: one
    scan grouped by (area, region), at most 5 × 5 rows, added up both ways here."""
    cells = db.session.execute(
        filtered(user, f)
        .with_only_columns(ConceptNote.thematic_area_id, Country.region,
                           func.count(ConceptNote.id), func.sum(ConceptNote.total_cents))
        .select_from(ConceptNote).join(Country, Country.id == ConceptNote.country_id)
        .group_by(ConceptNote.thematic_area_id, Country.region)).all()
    areas = db.session.execute(select(ThematicArea.id, ThematicArea.short_name)
                               .order_by(ThematicArea.id)).all()
    by_area = {a: [0, 0] for a, _ in areas}
    by_region: dict[str, list[int]] = {}
    for area, region, count, cents in cells:
        for bucket in ([by_area[area]] if area in by_area else []) + [
                by_region.setdefault(region, [0, 0])]:
            bucket[0] += count
            bucket[1] += int(cents or 0)
    return {
        "by_area": [{"id": a, "name": n, "count": by_area[a][0], "cents": by_area[a][1]}
                    for a, n in areas],
        "by_region": [{"region": r, "count": c, "cents": t}
                      for r, (c, t) in sorted(by_region.items())],
        "count": sum(c for c, _ in by_region.values()),
        "cents": sum(t for _, t in by_region.values()),
    }


EXPORT_COLUMNS = ["Reference", "Title", "Country", "Region", "Thematic area", "PUNOs",
                  "Lead", "Requested (USD)", "Gender marker", "Status", "Submitted", "Expires",
                  "Score"]


def export_frame(user: User, f: Filters) -> Table:
    """The filtered pipeline as the page shows it, every page, for ``mptf.spreadsheet``:
    statuses by their labels, money in cents, markers and scores as numbers."""
    notes = db.session.scalars(
        filtered(user, f)
        .options(selectinload(ConceptNote.country), selectinload(ConceptNote.thematic_area),
                 selectinload(ConceptNote.puno_lines).selectinload(PunoBudgetLine.organisation))
        .order_by(*SORTS[f.sort])).all()
    rows = []
    for n in notes:
        rows.append({
            "Reference": n.reference,
            "Title": n.title,
            "Country": n.country.name,
            "Region": n.country.region,
            "Thematic area": n.thematic_area.short_name if n.thematic_area else "",
            "PUNOs": ", ".join(line.organisation.acronym for line in n.puno_lines),
            "Lead": next((line.organisation.acronym for line in n.puno_lines if line.is_lead), ""),
            "Requested (USD)": n.total_cents,
            "Gender marker": n.gender_marker,
            "Status": STATUS_LABELS.get(n.status, n.status),
            "Submitted": n.submitted_at.date() if n.submitted_at else None,
            "Expires": n.expires_on,
            "Score": n.score,
        })
    frame = pd.DataFrame(rows, columns=EXPORT_COLUMNS).astype({"Gender marker": "object",
                                                               "Score": "object"})
    return Table(frame, money={"Requested (USD)"}, decimals={"Score": 1})
