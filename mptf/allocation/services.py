"""The fund's money (DESIGN.md §6): contributions recorded by the fund office, less the
Administrative Agent's fee at deposit, less what approved cycles allocated. The arithmetic is
``mptf.allocation.balance`` on frames this module builds from the database.

A contribution is never deleted and changes only through ``correct_contribution``, which
keeps the row (its reference is what the donor and the MPTF Office quote) and writes an audit
event with the figures before and after and the reason (docs/fund.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from mptf.allocation import balance as arithmetic
from mptf.extensions import db
from mptf.formatting import usd
from mptf.models import (
    Allocation,
    AuditEvent,
    Contribution,
    FundConfig,
    FundingCycle,
    Organisation,
    ThematicArea,
    User,
)
from mptf.money import MAX_CENTS, aa_fee
from mptf.services.audit import record
from mptf.services.dates import today
from mptf.services.errors import NotAllowed, NotFound, ServiceError
from mptf.services.policy import MONEY_ROLES, Role

DONOR_KINDS = ("state", "other", "stakeholder")
DONOR_KIND_LABELS = {"state": "State", "other": "Other partner", "stakeholder": "Stakeholder"}
REFERENCE_MAX = 60


def _require_fund_office(user: User) -> None:
    if user.role != Role.FUND_OFFICE:
        raise NotAllowed("Only the fund office (MPTF Office) records contributions.")


def fee_rate_bp() -> int:
    """The Administrative Agent's fee rate now, in basis points (100 = 1 %)."""
    rate = db.session.scalar(select(FundConfig.aa_fee_rate_bp).where(FundConfig.id == 1))
    if rate is None:
        raise ServiceError("The fund is not configured yet; run 'mptf seed' first.")
    return int(rate)


def thematic_areas() -> list[ThematicArea]:
    return list(db.session.scalars(select(ThematicArea).order_by(ThematicArea.id)))


# --- donors -------------------------------------------------------------------------------------

def donors() -> list[Organisation]:
    """Who may give money: states, other partners (foundations, private donors) and
    stakeholder organisations; states first, then by name."""
    order = {kind: i for i, kind in enumerate(DONOR_KINDS)}
    found = db.session.scalars(select(Organisation).where(Organisation.kind.in_(DONOR_KINDS)))
    return sorted(found, key=lambda o: (order[o.kind], o.name.casefold(), o.id))


def add_partner(actor: User, name: str, acronym: str = "") -> Organisation:
    """A new donor of kind 'other' (a foundation, a private donor). The acronym defaults to
    the name; neither may repeat an existing partner's, case aside."""
    _require_fund_office(actor)
    name = " ".join((name or "").split())
    acronym = " ".join((acronym or "").split()) or name
    problems: dict[str, list[str]] = {}
    if not name:
        problems["new_donor_name"] = ["Name the new partner."]
    elif len(name) > 200:
        problems["new_donor_name"] = ["At most 200 characters."]
    if len(acronym) > 40:
        problems["new_donor_acronym"] = ["At most 40 characters (give a short name)."]
    if problems:
        raise ServiceError("The new partner cannot be added: "
                           + " ".join(p for ps in problems.values() for p in ps),
                           fields=problems)
    existing = db.session.scalar(select(Organisation).where(
        Organisation.kind.in_(DONOR_KINDS),
        (func.lower(Organisation.name) == name.lower())
        | ((Organisation.kind == "other") & (func.lower(Organisation.acronym) == acronym.lower()))))
    if existing is not None:
        raise ServiceError(f"{existing.name} ({existing.acronym}) is already a donor; choose "
                           "it from the list.", fields={"new_donor_name": ["Already listed."]})
    partner = Organisation(kind="other", name=name, acronym=acronym)
    db.session.add(partner)
    db.session.flush()
    record(actor, "partner_added", partner, after={"kind": "other", "name": name,
                                                   "acronym": acronym})
    return partner


# --- contributions ----------------------------------------------------------------------------

@dataclass
class ContributionInput:
    reference: str
    donor_id: int | None
    deposited_on: date | None
    amount_cents: int | None
    earmark_area_id: int | None = None


def _state(contribution: Contribution) -> dict:
    """The audited figures of a contribution."""
    return {"reference": contribution.reference, "donor": contribution.donor_id,
            "deposited_on": contribution.deposited_on, "amount": contribution.amount_cents,
            "fee": contribution.fee_cents, "net": contribution.net_cents,
            "fee_rate_bp": contribution.fee_rate_bp, "earmark": contribution.earmark_area_id}


def _checked(data: ContributionInput, current: Contribution | None = None) -> tuple[
        str, Organisation, date, int, ThematicArea | None]:
    """Every problem of the input at once, as field errors; or its clean values."""
    problems: dict[str, list[str]] = {}
    duplicate = False
    reference = " ".join((data.reference or "").split())
    if not reference:
        problems["reference"] = ["Give the deposit's reference, e.g. the MPTF Office's "
                                 "deposit number."]
    elif len(reference) > REFERENCE_MAX:
        problems["reference"] = [f"At most {REFERENCE_MAX} characters."]
    else:
        clash = db.session.scalar(select(Contribution).where(
            func.lower(Contribution.reference) == reference.lower()))
        duplicate = clash is not None and clash is not current
        if duplicate:
            problems["reference"] = [
                f"Reference {clash.reference} is already recorded ({clash.donor.name}, "
                f"{usd(clash.amount_cents)} deposited on {clash.deposited_on}); a deposit is "
                "recorded once."]
    donor = db.session.get(Organisation, data.donor_id) if data.donor_id else None
    if donor is None or donor.kind not in DONOR_KINDS:
        problems["donor"] = ["Choose the donor, or name a new partner."]
    if data.deposited_on is None:
        problems["deposited_on"] = ["Give the day of deposit as YYYY-MM-DD."]
    elif data.deposited_on > today():
        problems["deposited_on"] = [f"A deposit cannot be dated after today ({today()})."]
    amount = data.amount_cents
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        problems["amount"] = ["The amount must be more than zero."]
    elif amount > MAX_CENTS:
        problems["amount"] = [f"The amount is more than {usd(MAX_CENTS)}; check the figure."]
    area = None
    if data.earmark_area_id is not None:
        area = db.session.get(ThematicArea, data.earmark_area_id)
        if area is None:
            problems["earmark"] = ["Choose a thematic area, or none."]
    if problems:
        first = next(iter(problems.values()))[0]
        more = len(problems) - 1
        noun = "correction" if current is not None else "contribution"
        raise ServiceError(f"The {noun} was not recorded. {first}"
                           + (f" See {more} more problem{'s' if more > 1 else ''} below."
                              if more else ""),
                           fields=problems, code="duplicate" if duplicate else None)
    return reference, donor, data.deposited_on, amount, area


def record_contribution(actor: User, data: ContributionInput) -> Contribution:
    """Record a deposit; the fee is taken now at the fund's current rate."""
    _require_fund_office(actor)
    reference, donor, day, amount, area = _checked(data)
    rate = fee_rate_bp()
    fee = aa_fee(amount, rate)
    contribution = Contribution(reference=reference, donor=donor, deposited_on=day,
                                amount_cents=amount, fee_cents=fee, net_cents=amount - fee,
                                fee_rate_bp=rate, earmark_area=area, recorded_by_id=actor.id)
    db.session.add(contribution)
    db.session.flush()
    record(actor, "contribution_recorded", contribution,
           after={**_state(contribution), "donor_name": donor.name})
    return contribution


def correct_contribution(actor: User, contribution: Contribution, data: ContributionInput,
                         reason: str) -> Contribution:
    """Correct a recorded contribution in place, with an audit event holding the figures
    before and after and the reason. The fee is recomputed at the rate charged at deposit.

    Refused when nothing changes, without a reason, or when the fund would then hold less
    than it allocated: unearmarked, or earmarked to the area the money left. The fund's
    configuration row is locked first, as the cycle approval does, so a correction and an
    approval never pass each other."""
    _require_fund_office(actor)
    reason = " ".join((reason or "").split())
    if not reason:
        raise ServiceError("Say why the contribution is corrected (the audit log keeps it).",
                           fields={"reason": ["Give the reason."]})
    db.session.scalar(select(FundConfig).where(FundConfig.id == 1).with_for_update())
    contribution = db.session.scalar(
        select(Contribution).where(Contribution.id == contribution.id).with_for_update()
        .execution_options(populate_existing=True))
    reference, donor, day, amount, area = _checked(data, current=contribution)
    fee = aa_fee(amount, contribution.fee_rate_bp)
    before = _state(contribution)
    before_donor = contribution.donor.name
    after = {"reference": reference, "donor": donor.id, "deposited_on": day, "amount": amount,
             "fee": fee, "net": amount - fee, "fee_rate_bp": contribution.fee_rate_bp,
             "earmark": area.id if area else None}
    changed = [key for key in after if after[key] != before[key]]
    if not changed:
        raise ServiceError("Nothing to correct: the figures are the ones recorded.")
    _refuse_overdraw(contribution, after)
    contribution.reference = reference
    contribution.donor = donor
    contribution.deposited_on = day
    contribution.amount_cents = amount
    contribution.fee_cents = fee
    contribution.net_cents = amount - fee
    contribution.earmark_area = area
    db.session.flush()
    names = {}
    if "donor" in changed:
        names = {"before": {"donor_name": before_donor}, "after": {"donor_name": donor.name}}
    record(actor, "contribution_corrected", contribution,
           before={**{k: before[k] for k in changed}, **names.get("before", {})},
           after={**{k: after[k] for k in changed}, **names.get("after", {}), "reason": reason})
    return contribution


def _refuse_overdraw(contribution: Contribution, after: dict) -> None:
    """The balance as it would be after the correction; refuse if a source of money the
    correction touches would hold less than was allocated from it."""
    frame = contributions_frame()
    at = frame.index[frame["id"] == contribution.id]
    frame.loc[at, ["deposited_on", "amount", "fee", "net"]] = [
        pd.Timestamp(after["deposited_on"]), after["amount"], after["fee"], after["net"]]
    frame.loc[at, "earmark"] = pd.NA if after["earmark"] is None else after["earmark"]
    sources = arithmetic.fund_balance(frame, allocations_frame()).sources
    for source in dict.fromkeys([contribution.earmark_area_id, after["earmark"]]):
        found = sources[sources["earmark"].isna() if source is None
                        else sources["earmark"] == source]
        if found.empty or found["available"].iloc[0] >= 0:
            continue
        where = ("unearmarked money" if source is None
                 else f"money earmarked to thematic area {source}")
        raise ServiceError(
            f"This correction would leave {usd(int(found['net'].iloc[0]))} of {where} "
            f"against {usd(int(found['allocated'].iloc[0]))} already allocated from it; "
            "nothing was changed.", status=409, code="insufficient_funds")


def contribution_for(user: User, contribution_id: int) -> Contribution:
    if user.role not in MONEY_ROLES:
        raise NotFound("There is no such contribution.")
    contribution = db.session.get(Contribution, contribution_id)
    if contribution is None:
        raise NotFound("There is no such contribution.")
    return contribution


def contributions(on: date | None = None) -> list[Contribution]:
    """Every contribution deposited on or before ``on`` (all when None), in deposit order."""
    query = (select(Contribution)
             .options(selectinload(Contribution.donor), selectinload(Contribution.earmark_area))
             .order_by(Contribution.deposited_on, Contribution.id))
    if on is not None:
        query = query.where(Contribution.deposited_on <= on)
    return list(db.session.scalars(query))


def corrected_ids() -> set[int]:
    """Contributions that have been corrected at least once."""
    return set(db.session.scalars(select(AuditEvent.entity_id).where(
        AuditEvent.entity_type == "contributions",
        AuditEvent.action == "contribution_corrected").distinct()))


# --- frames for the arithmetic -------------------------------------------------------------------

def contributions_frame() -> pd.DataFrame:
    """``balance.CONTRIBUTION_COLUMNS`` plus ``id``, one row per contribution."""
    rows = db.session.execute(select(
        Contribution.id, Contribution.deposited_on, Contribution.amount_cents,
        Contribution.fee_cents, Contribution.net_cents, Contribution.earmark_area_id)).all()
    frame = pd.DataFrame(rows, columns=["id", *arithmetic.CONTRIBUTION_COLUMNS])
    return _typed(frame, ("id", "amount", "fee", "net"), "deposited_on")


def allocations_frame() -> pd.DataFrame:
    """``balance.ALLOCATION_COLUMNS``, one row per allocation; its day is the day its cycle
    was approved (the allocation's own time if the cycle has none)."""
    rows = db.session.execute(
        select(Allocation.cycle_id, FundingCycle.approved_at, Allocation.created_at,
               Allocation.amount_cents, Allocation.from_earmarked_cents,
               Allocation.from_unearmarked_cents, Allocation.earmark_area_id)
        .join(FundingCycle, FundingCycle.id == Allocation.cycle_id)).all()
    frame = pd.DataFrame(
        [(cycle, approved or created, *rest) for cycle, approved, created, *rest in rows],
        columns=list(arithmetic.ALLOCATION_COLUMNS))
    return _typed(frame, ("cycle", "amount", "from_earmarked", "from_unearmarked"),
                  "allocated_on")


def _typed(frame: pd.DataFrame, integers: tuple[str, ...], day: str) -> pd.DataFrame:
    for column in integers:
        frame[column] = frame[column].astype("int64")
    frame[day] = pd.to_datetime(frame[day]).dt.normalize()
    frame["earmark"] = frame["earmark"].astype("Int64")
    return frame


# --- the balance ----------------------------------------------------------------------------------

def balance(on: date | None = None) -> arithmetic.FundBalance:
    """The fund balance on ``on`` (today's position when None), every thematic area listed."""
    return arithmetic.fund_balance(contributions_frame(), allocations_frame(),
                                   areas=[a.id for a in thematic_areas()], on=on)


def available_funds(on: date | None = None) -> tuple[int, dict[int, int]]:
    """Money the next cycle may spend: (unearmarked cents, {thematic area id: earmarked
    cents}), every area listed. A source overdrawn (never expected) counts as zero: money
    that is not there cannot be spent."""
    fund = balance(on)
    return max(fund.unearmarked, 0), {a: max(c, 0) for a, c in fund.earmarked.items()}


def allocated_by_cycle(on: date | None = None) -> pd.DataFrame:
    """``balance.allocated_by_cycle`` with each cycle's name (column ``name``)."""
    table = arithmetic.allocated_by_cycle(allocations_frame(), on=on)
    names = dict(db.session.execute(select(FundingCycle.id, FundingCycle.name).where(
        FundingCycle.id.in_(table["cycle"].tolist()))).all())
    table.insert(1, "name", [names[int(c)] for c in table["cycle"]])
    return table


def cumulative(on: date | None = None) -> pd.DataFrame:
    return arithmetic.cumulative(contributions_frame(), allocations_frame(), on=on)
