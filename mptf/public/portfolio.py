"""What the public may see (DESIGN.md §1, anonymous): the funded portfolio, the fund's money,
contributions by donor and the pipeline's unfunded demand in aggregate only.

Nothing here reads an unfunded note's title or text, nor any review: the funded programmes are
the allocations of approved cycles, and the unfunded pipeline is only counted and summed (by
``scoring.demand``). The public pages and the public API both read from this module.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import pandas as pd
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import selectinload

from mptf.extensions import db
from mptf.forms_util import digits
from mptf.models import (
    REGIONS,
    Allocation,
    AuditEvent,
    ConceptNote,
    Contribution,
    Country,
    Decision,
    FundConfig,
    FundingCycle,
    Organisation,
    PunoBudgetLine,
    ThematicArea,
    TransferLine,
)
from mptf.models.base import MAX_ID, utcnow
from mptf.models.money import CycleStatus, DecisionStatus
from mptf.models.pipeline import NoteStatus
from mptf.pagination import paginate
from scoring import demand

# Bump when what the public pages or the public API show changes shape, so that cached copies
# (ETag) are not taken for the new ones.
REPRESENTATION_VERSION = "1"
# The notes the public counts (in aggregate only): a draft being edited changes nothing public.
PUBLIC_NOTE_STATUSES = (NoteStatus.PIPELINE, NoteStatus.SELECTED, NoteStatus.FUNDED)
# Audit entity types whose changes the public pages show.
PUBLIC_AUDIT_ENTITIES = ("contributions", "funding_cycles", "allocations", "transfer_lines",
                         "decisions", "organisations")
MIN_YEAR, MAX_YEAR = 2000, 2200


# --- filters -----------------------------------------------------------------------------------

@dataclass
class PortfolioFilters:
    """The public filters: thematic area id, region name, country (ISO alpha-3), decision
    year and a search in the funded programmes' reference, title and summary."""

    area: int | None = None
    region: str | None = None
    country: str | None = None
    year: int | None = None
    q: str | None = None
    errors: dict[str, list[str]] = field(default_factory=dict)

    NAMES = ("area", "region", "country", "year", "q")

    @classmethod
    def from_args(cls, args: Any) -> PortfolioFilters:
        """Parse query-string values; a bad one is recorded in ``errors`` and left out."""
        f = cls()

        def bad(name: str, message: str) -> None:
            f.errors.setdefault(name, []).append(message)

        def text(name: str, limit: int) -> str | None:
            value = (args.get(name) or "").strip()
            if "\x00" in value:
                bad(name, "Must not contain NUL characters.")
                return None
            if len(value) > limit:
                bad(name, f"At most {limit} characters.")
                return None
            return value or None

        area = text("area", 10)
        if area is not None:
            if digits(area) and 1 <= int(area) <= 99:
                f.area = int(area)
            else:
                bad("area", "A thematic area number from 1 to 99.")
        region = text("region", 60)
        if region is not None:
            if region in REGIONS:
                f.region = region
            else:
                bad("region", "One of: " + ", ".join(REGIONS) + ".")
        country = text("country", 3)
        if country is not None:
            if len(country) == 3 and country.isascii() and country.isalpha():
                f.country = country.upper()
            else:
                bad("country", "An ISO 3166 alpha-3 country code, such as KEN.")
        year = text("year", 4)
        if year is not None:
            if digits(year) and MIN_YEAR <= int(year) <= MAX_YEAR:
                f.year = int(year)
            else:
                bad("year", f"A year from {MIN_YEAR} to {MAX_YEAR}.")
        f.q = text("q", 200)
        return f

    def as_args(self) -> dict[str, str]:
        return {name: str(getattr(self, name)) for name in self.NAMES
                if getattr(self, name) is not None}


# --- funded programmes -------------------------------------------------------------------------

def _decision_day():
    return func.coalesce(Decision.meeting_date, FundingCycle.decision_date)


def programmes_query(f: PortfolioFilters):
    """The allocations of approved cycles matching the filters (no ordering, no paging)."""
    query = (select(Allocation)
             .join(FundingCycle, FundingCycle.id == Allocation.cycle_id)
             .join(ConceptNote, ConceptNote.id == Allocation.note_id)
             .join(Country, Country.id == ConceptNote.country_id)
             .outerjoin(Decision, and_(Decision.cycle_id == FundingCycle.id,
                                       Decision.status == DecisionStatus.ISSUED))
             .where(FundingCycle.status == CycleStatus.APPROVED))
    if f.area is not None:
        query = query.where(ConceptNote.thematic_area_id == f.area)
    if f.region is not None:
        query = query.where(Country.region == f.region)
    if f.country is not None:
        query = query.where(Country.iso3 == f.country)
    if f.year is not None:
        start, end = date(f.year, 1, 1), date(f.year + 1, 1, 1)
        day = _decision_day()
        query = query.where(or_(
            and_(day.is_not(None), day >= start, day < end),
            and_(day.is_(None), FundingCycle.approved_at >= datetime(f.year, 1, 1),
                 FundingCycle.approved_at < datetime(f.year + 1, 1, 1))))
    if f.q:
        needle = f.q.lower()
        query = query.where(or_(
            func.lower(ConceptNote.title).contains(needle, autoescape=True),
            func.lower(ConceptNote.summary).contains(needle, autoescape=True),
            func.lower(ConceptNote.reference).contains(needle, autoescape=True)))
    return query


PROGRAMME_LOADS = (
    selectinload(Allocation.note).selectinload(ConceptNote.country),
    selectinload(Allocation.note).selectinload(ConceptNote.countries),
    selectinload(Allocation.note).selectinload(ConceptNote.thematic_area),
    selectinload(Allocation.note).selectinload(ConceptNote.puno_lines)
    .selectinload(PunoBudgetLine.organisation),
    selectinload(Allocation.cycle),
    selectinload(Allocation.transfers).selectinload(TransferLine.organisation),
)


@dataclass
class Programme:
    """A funded joint programme as the public sees it."""

    allocation: Allocation
    decision: Decision | None

    @property
    def note(self) -> ConceptNote:
        return self.allocation.note

    @property
    def cycle(self) -> FundingCycle:
        return self.allocation.cycle

    @property
    def approved_on(self) -> date:
        return self.cycle.approved_at.date()

    @property
    def decision_date(self) -> date:
        """The committee's meeting date, else the cycle's decision date, else its approval."""
        if self.decision is not None and self.decision.meeting_date is not None:
            return self.decision.meeting_date
        return self.cycle.decision_date or self.approved_on

    @property
    def lead(self) -> Organisation | None:
        return next((p.organisation for p in self.note.puno_lines if p.is_lead), None)


def _with_decisions(allocations: list[Allocation]) -> list[Programme]:
    cycle_ids = {a.cycle_id for a in allocations}
    decisions = {d.cycle_id: d for d in db.session.scalars(select(Decision).where(
        Decision.cycle_id.in_(cycle_ids), Decision.status == DecisionStatus.ISSUED))} if cycle_ids else {}
    return [Programme(a, decisions.get(a.cycle_id)) for a in allocations]


def programmes_after(f: PortfolioFilters, after_id: int, limit: int) -> list[Programme]:
    """Keyset page: up to ``limit`` programmes with an allocation id above ``after_id``."""
    allocations = db.session.scalars(
        programmes_query(f).where(Allocation.id > after_id).options(*PROGRAMME_LOADS)
        .order_by(Allocation.id).limit(limit)).unique().all()
    return _with_decisions(list(allocations))


def programmes_page(f: PortfolioFilters, page: int, per_page: int):
    """A numbered page for the HTML portfolio, newest decisions first; a page beyond the last
    is the last."""
    query = programmes_query(f).options(*PROGRAMME_LOADS).order_by(
        FundingCycle.approved_at.desc(), Allocation.rank, Allocation.id)
    paged = paginate(query, page, per_page)
    return paged, _with_decisions(list(paged.items))


def programme(allocation_id: int) -> Programme | None:
    if not 1 <= allocation_id <= MAX_ID:
        return None
    allocation = db.session.scalar(
        programmes_query(PortfolioFilters()).where(Allocation.id == allocation_id)
        .options(*PROGRAMME_LOADS))
    return _with_decisions([allocation])[0] if allocation is not None else None


def programmes_count(f: PortfolioFilters) -> tuple[int, int]:
    """(number, total amount in cents) of the programmes matching the filters."""
    ids = programmes_query(f).with_only_columns(Allocation.id).scalar_subquery()
    count, total = db.session.execute(select(
        func.count(Allocation.id), func.coalesce(func.sum(Allocation.amount_cents), 0))
        .where(Allocation.id.in_(ids))).one()
    return int(count), int(total)


def years() -> list[int]:
    """Decision years that have funded programmes, newest first."""
    rows = db.session.execute(
        select(_decision_day(), FundingCycle.approved_at)
        .select_from(FundingCycle)
        .outerjoin(Decision, and_(Decision.cycle_id == FundingCycle.id,
                                  Decision.status == DecisionStatus.ISSUED))
        .where(FundingCycle.status == CycleStatus.APPROVED)).all()
    found = {(day or approved.date()).year for day, approved in rows
             if day is not None or approved is not None}
    return sorted(found, reverse=True)


# --- the fund's money -----------------------------------------------------------------------

@dataclass(frozen=True)
class FundTotals:
    gross_cents: int
    fee_cents: int
    net_cents: int
    allocated_cents: int
    available_cents: int
    contributions: int
    donors: int
    programmes: int


def fund_totals() -> FundTotals:
    """Deposits (gross, the Administrative Agent's fee, net) and allocated, from the fund
    office's balance (``mptf.allocation.services.balance``), and what is available for the
    next cycle (``available_funds``: unearmarked money plus every earmark)."""
    from mptf.allocation import services as fund_office

    fund = fund_office.balance()
    unearmarked, earmarked = fund_office.available_funds()
    count, donors = db.session.execute(select(
        func.count(Contribution.id), func.count(func.distinct(Contribution.donor_id)))).one()
    programmes = db.session.scalar(select(func.count(Allocation.id)))
    return FundTotals(gross_cents=fund.gross, fee_cents=fund.fee, net_cents=fund.net,
                      allocated_cents=fund.allocated,
                      available_cents=unearmarked + sum(earmarked.values()),
                      contributions=int(count), donors=int(donors), programmes=int(programmes))


def contributions_by_donor() -> list[dict[str, Any]]:
    """Per donor: the number of deposits and their gross and net amounts, largest first."""
    rows = db.session.execute(
        select(Organisation.id, Organisation.name, Organisation.acronym, Organisation.kind,
               func.count(Contribution.id), func.sum(Contribution.amount_cents),
               func.sum(Contribution.net_cents), func.min(Contribution.deposited_on),
               func.max(Contribution.deposited_on))
        .join(Contribution, Contribution.donor_id == Organisation.id)
        .group_by(Organisation.id, Organisation.name, Organisation.acronym, Organisation.kind)
        .order_by(func.sum(Contribution.amount_cents).desc(), Organisation.name)).all()
    return [{"id": i, "name": name, "acronym": acronym, "kind": kind, "contributions": n,
             "gross_cents": int(gross), "net_cents": int(net), "first": first, "last": last}
            for i, name, acronym, kind, n, gross, net, first, last in rows]


def contributions_by_earmark() -> list[dict[str, Any]]:
    """Deposits by earmark: unearmarked (area None) first, then each thematic area."""
    rows = db.session.execute(
        select(Contribution.earmark_area_id, func.count(Contribution.id),
               func.sum(Contribution.amount_cents), func.sum(Contribution.net_cents))
        .group_by(Contribution.earmark_area_id)).all()
    rows = sorted(rows, key=lambda r: (r[0] is not None, r[0] or 0))
    return [{"area": area, "contributions": n, "gross_cents": int(gross),
             "net_cents": int(net)} for area, n, gross, net in rows]


# --- the pipeline in aggregate ----------------------------------------------------------------

def demand_frame() -> pd.DataFrame:
    """Pipeline, selected and funded notes as ``scoring.demand`` reads them: counts, money,
    country, region and thematic area only, never a title or a text (the pipeline report
    reads it too)."""
    rows = db.session.execute(
        select(ConceptNote.id, ConceptNote.status, ConceptNote.total_cents, Country.name,
               Country.region, ConceptNote.thematic_area_id, Allocation.amount_cents)
        .join(Country, Country.id == ConceptNote.country_id)
        .outerjoin(Allocation, Allocation.note_id == ConceptNote.id)
        .where(ConceptNote.status.in_(PUBLIC_NOTE_STATUSES))).all()
    frame = pd.DataFrame(rows, columns=["note_id", "status", "requested", "country", "region",
                                        "thematic_area", "allocated"])
    frame["allocated"] = frame["allocated"].fillna(0).astype("int64")
    frame["requested"] = frame["requested"].astype("int64")
    frame["thematic_area"] = frame["thematic_area"].fillna(0).astype("int64")
    return frame


def area_names() -> dict[int, str]:
    return {a.id: a.short_name for a in db.session.scalars(
        select(ThematicArea).order_by(ThematicArea.id))}


def pipeline_demand() -> dict[str, list[dict[str, Any]]]:
    """Funded and unfunded demand by thematic area and by region (``scoring.demand``), with
    every area and region listed."""
    frame = demand_frame()
    names = area_names()
    out: dict[str, list[dict[str, Any]]] = {}
    for key, keys in (("thematic_area", list(names)), ("region", list(REGIONS))):
        table = demand(frame, key) if len(frame) else pd.DataFrame(
            columns=["funded_notes", "funded", "unfunded_notes", "unfunded_demand"])
        rows = []
        for k in list(dict.fromkeys([*keys, *table.index])):
            values = table.loc[k] if k in table.index else None
            rows.append({
                "key": k,
                "label": (f"{k}. {names[k]}" if k in names else "Area not set")
                if key == "thematic_area" else k,
                "funded_notes": int(values["funded_notes"]) if values is not None else 0,
                "funded_cents": int(values["funded"]) if values is not None else 0,
                "unfunded_notes": int(values["unfunded_notes"]) if values is not None else 0,
                "unfunded_demand_cents": int(values["unfunded_demand"])
                if values is not None else 0,
            })
        out[key] = rows
    return out


# --- freshness --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Freshness:
    """A fingerprint of everything the public sees, and when it last changed: one query."""

    fingerprint: str
    last_modified: datetime | None

    def etag(self, *parts: object) -> str:
        text = "|".join([REPRESENTATION_VERSION, self.fingerprint, *map(str, parts)])
        return hashlib.sha256(text.encode()).hexdigest()[:32]


def freshness() -> Freshness:
    def scalar(expression, *where):
        return select(expression).where(*where).scalar_subquery()

    transferred = TransferLine.transferred_on.is_not(None)
    public_note = ConceptNote.status.in_(PUBLIC_NOTE_STATUSES)
    money_event = AuditEvent.entity_type.in_(PUBLIC_AUDIT_ENTITIES)
    values = db.session.execute(select(
        scalar(func.count(Allocation.id)), scalar(func.max(Allocation.id)),
        scalar(func.coalesce(func.sum(Allocation.amount_cents), 0)),
        scalar(func.max(FundingCycle.approved_at), FundingCycle.status == CycleStatus.APPROVED),
        scalar(func.count(Contribution.id)), scalar(func.max(Contribution.id)),
        scalar(func.coalesce(func.sum(Contribution.amount_cents), 0)),
        scalar(func.coalesce(func.sum(Contribution.net_cents), 0)),
        scalar(func.max(Contribution.recorded_at)),
        scalar(func.count(ConceptNote.id), public_note),
        scalar(func.max(ConceptNote.updated_at), public_note),
        scalar(func.coalesce(func.sum(ConceptNote.total_cents), 0), public_note),
        scalar(func.count(TransferLine.id), transferred),
        scalar(func.coalesce(func.sum(TransferLine.id), 0), transferred),
        scalar(func.max(TransferLine.transferred_on)),
        scalar(func.count(Decision.id), Decision.status == DecisionStatus.ISSUED),
        scalar(func.max(Decision.issued_at)),
        scalar(func.max(FundConfig.fund_name)),
        # Corrections in place (a contribution's date or donor, a transfer) leave an audit
        # event; only the money's own events count, so others' activity is not revealed.
        scalar(func.max(AuditEvent.id), money_event),
        scalar(func.max(AuditEvent.at), money_event),
    )).one()
    stamps = [v for v in values if isinstance(v, datetime)]
    stamps += [datetime(v.year, v.month, v.day) for v in values
               if isinstance(v, date) and not isinstance(v, datetime)]
    fingerprint = hashlib.sha256(repr(tuple(values)).encode()).hexdigest()
    last = min(max(stamps), utcnow()).replace(microsecond=0) if stamps else None
    return Freshness(fingerprint, last)


def fund_name() -> str:
    return db.session.scalar(select(FundConfig.fund_name)) or "Migration Multi-Partner Trust Fund"
