"""The Steering Committee (DESIGN.md §4, docs/committee.md): seats, memberships with terms,
composition on any date, rotation proposals, conflicts of interest and the quorum.

Who sits on a date is derived from the memberships (start inclusive, end exclusive), never
stored twice. Services check role and state, change models, record the audit event and flush;
the caller commits. ``actor=SYSTEM`` is the command line (or the demo), trusted like the
secretariat.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import func, inspect, or_, select
from sqlalchemy.orm import joinedload, selectinload

from mptf.committee.quorum import assess_quorum
from mptf.extensions import db
from mptf.models import (
    CONSTITUENCIES,
    CONSTITUENCY_LABELS,
    VOTING_CONSTITUENCIES,
    ConceptNote,
    ConflictDeclaration,
    FundConfig,
    Membership,
    MembershipRepresentative,
    Organisation,
    PunoBudgetLine,
    RotationOrder,
    Seat,
    User,
)
from mptf.models.pipeline import NoteStatus, note_countries
from mptf.pipeline.services import fund_config
from mptf.services.audit import record
from mptf.services.confirmation import Consequences
from mptf.services.dates import add_months, today
from mptf.services.dates import parse_day as parse_day  # the committee views and commands use it
from mptf.services.errors import NotAllowed, ServiceError
from mptf.services.policy import CONFLICT_DECLARERS, Actor, Role, is_system

ENDING_SOON_DAYS = 90
MAX_SEATS_PER_CONSTITUENCY = 20
MAX_TERM_MONTHS = 120

# The kind of party each constituency seats (Organisation.kind).
PARTY_KIND = {
    "chair": "un_entity",
    "un_network": "un_entity",
    "contributing_state": "state",
    "cotd_state": "state",
    "stakeholder": "stakeholder",
    "ex_officio": "other",
}
PARTY_HINT = {
    "un_entity": "the acronym of a UN Network member, e.g. ILO",
    "state": "the ISO 3166 alpha-3 code of a state, e.g. DEU",
    "stakeholder": "the acronym of a stakeholder organisation, e.g. ICMC",
    "other": "the acronym of a partner organisation, e.g. MPTF Office",
}
PARTY_NOUN = {
    "un_entity": "member entities of the UN Network on Migration",
    "state": "states",
    "stakeholder": "stakeholder organisations",
    "other": "partners such as the MPTF Office",
}
# The roles a representative (or alternate) of a seat of each constituency may have.
REPRESENTATIVE_ROLES = {"chair": (Role.CHAIR,), "ex_officio": (Role.FUND_OFFICE, Role.REVIEWER)}
DEFAULT_REPRESENTATIVE_ROLES = (Role.REVIEWER,)


def quorum_constituencies(config: FundConfig) -> list[str]:
    return [c for c in (config.quorum_constituencies or "").split(",") if c]


def _require_secretariat(actor: Actor, doing: str) -> None:
    if actor is None:
        raise TypeError("No actor: the command line and the demo act as "
                        "mptf.services.policy.SYSTEM, never None.")
    if not is_system(actor) and actor.role != Role.SECRETARIAT:
        raise NotAllowed(f"Only the Network Secretariat may {doing}.")


def seat_key(seat: Seat) -> tuple[int, int]:
    """Seats in the order the fund lists them: chair first, ex officio last."""
    return CONSTITUENCIES.index(seat.constituency), seat.position


def party_code(organisation: Organisation) -> str:
    return organisation.acronym


# --- composition on a date -----------------------------------------------------------------------

@dataclass(frozen=True)
class SeatOnDate:
    seat: Seat
    membership: Membership | None
    ends_soon: bool = False

    @property
    def vacant(self) -> bool:
        return self.membership is None


@dataclass(frozen=True)
class Composition:
    """Who sits on ``on``: every active seat (and any seat since removed that was filled that
    day), with its membership or None when vacant."""

    on: date
    seats: list[SeatOnDate]

    @property
    def members(self) -> list[Membership]:
        return [s.membership for s in self.seats if s.membership is not None]

    @property
    def vacant(self) -> list[Seat]:
        return [s.seat for s in self.seats if s.membership is None]

    @property
    def ending_soon(self) -> list[Membership]:
        return [s.membership for s in self.seats if s.ends_soon]

    def by_constituency(self) -> list[tuple[str, list[SeatOnDate]]]:
        groups: dict[str, list[SeatOnDate]] = defaultdict(list)
        for s in self.seats:
            groups[s.seat.constituency].append(s)
        return [(c, groups[c]) for c in CONSTITUENCIES if c in groups]

    def seated_refs(self) -> list[tuple[str, bool]]:
        return [(s.seat.constituency, s.seat.votes) for s in self.seats if s.membership]


def sitting_on(on: date) -> list[Membership]:
    """The memberships sitting on ``on``: start on or before it, end after it."""
    return list(db.session.scalars(
        select(Membership).where(Membership.start_date <= on, Membership.end_date > on)
        .options(joinedload(Membership.organisation), joinedload(Membership.seat),
                 selectinload(Membership.representatives)
                 .joinedload(MembershipRepresentative.user))))


def composition(on: date) -> Composition:
    memberships = {m.seat_id: m for m in sitting_on(on)}
    seats = db.session.scalars(select(Seat).where(
        or_(Seat.active.is_(True), Seat.id.in_(list(memberships)))))
    soon = on + timedelta(days=ENDING_SOON_DAYS)
    return Composition(on, [
        SeatOnDate(seat, memberships.get(seat.id),
                   seat.id in memberships and memberships[seat.id].end_date <= soon)
        for seat in sorted(seats, key=seat_key)])


def all_memberships() -> list[Membership]:
    """Every term, seat by seat, oldest first (the memberships list and the timeline)."""
    memberships = db.session.scalars(select(Membership).options(
        joinedload(Membership.organisation), joinedload(Membership.seat),
        selectinload(Membership.representatives).joinedload(MembershipRepresentative.user)))
    return sorted(memberships, key=lambda m: (seat_key(m.seat), m.start_date, m.id))


def memberships_of(user: User, on: date | None = None) -> list[Membership]:
    """The memberships ``user`` represents (or is the alternate of), sitting on ``on`` if
    given."""
    query = (select(Membership).join(MembershipRepresentative)
             .where(MembershipRepresentative.user_id == user.id)
             .options(joinedload(Membership.organisation), joinedload(Membership.seat)))
    if on is not None:
        query = query.where(Membership.start_date <= on, Membership.end_date > on)
    return sorted(db.session.scalars(query).unique(), key=lambda m: (m.start_date, m.id))


def active_seats() -> list[Seat]:
    return sorted(db.session.scalars(select(Seat).where(Seat.active.is_(True))), key=seat_key)


def next_term_end(after: date) -> date | None:
    """The earliest end of a term sitting on ``after``: the next date a rotation is due."""
    return db.session.scalar(select(func.min(Membership.end_date)).where(
        Membership.start_date <= after, Membership.end_date > after))


# --- parties -------------------------------------------------------------------------------------

def eligible_parties(constituency: str) -> list[Organisation]:
    """Every party of the kind the constituency seats, by acronym."""
    query = select(Organisation).where(Organisation.kind == PARTY_KIND[constituency])
    if PARTY_KIND[constituency] == "un_entity":
        query = query.where(Organisation.network_member.is_(True))
    return list(db.session.scalars(query.order_by(Organisation.acronym)))


def find_party(code: str, constituency: str, field_name: str = "party") -> Organisation:
    """The party with acronym (or ISO alpha-3 code) ``code`` that may sit for
    ``constituency``; a ServiceError naming the problem otherwise."""
    code = (code or "").strip()
    kind = PARTY_KIND[constituency]
    label = CONSTITUENCY_LABELS[constituency]
    if not code:
        raise ServiceError(f"Name the party: {PARTY_HINT[kind]}.",
                           fields={field_name: ["Required."]})
    matches = list(db.session.scalars(select(Organisation).where(
        func.lower(Organisation.acronym) == code.lower())))
    party = next((o for o in matches if o.kind == kind), None)
    if party is None:
        if matches:
            raise ServiceError(f"{matches[0]} cannot sit for {label}: that constituency seats "
                               f"{PARTY_NOUN[kind]}.", fields={field_name: ["Wrong kind of "
                                                                            "party."]})
        raise ServiceError(f"Unknown party '{code}' for {label}; give {PARTY_HINT[kind]}.",
                           fields={field_name: ["Unknown party."]})
    if kind == "un_entity" and not party.network_member:
        raise ServiceError(f"{party} is not a member of the UN Network on Migration.",
                           fields={field_name: ["Not a Network member."]})
    return party


# --- memberships ---------------------------------------------------------------------------------

def _lock(model: type, ids: Iterable[int]) -> None:
    """SELECT ... FOR UPDATE on the rows, in id order (so two writers never deadlock). On
    PostgreSQL a second writer waits here until the first commits; SQLite writes one at a
    time anyway."""
    ids = sorted(set(ids))
    if ids:
        db.session.execute(select(model.id).where(model.id.in_(ids))
                           .order_by(model.id).with_for_update()).all()


def _overlapping(start: date, end: date, *, seat_id: int | None = None,
                 organisation_id: int | None = None,
                 exclude_id: int | None = None) -> list[Membership]:
    """Memberships whose term [start_date, end_date) meets [start, end), read afresh after the
    row locks (populate_existing: another transaction may have just changed them)."""
    query = select(Membership).where(Membership.start_date < end, Membership.end_date > start)
    if seat_id is not None:
        query = query.where(Membership.seat_id == seat_id)
    if organisation_id is not None:
        query = query.where(Membership.organisation_id == organisation_id)
    if exclude_id is not None:
        query = query.where(Membership.id != exclude_id)
    return list(db.session.scalars(query.order_by(Membership.start_date)
                                   .execution_options(populate_existing=True)))


def _term_sentence(m: Membership) -> str:
    return f"{m.organisation} in {m.seat.label} from {m.start_date} to {m.end_date}"


def _check_term(start: date, end: date) -> None:
    if end <= start:
        raise ServiceError(f"The term must end after it starts: it starts on {start} and "
                           f"would end on {end}.", fields={"end_date": ["Must be after the "
                                                                        "start."]})


def _check_free(seat: Seat, party: Organisation, start: date, end: date,
                exclude_id: int | None = None) -> None:
    """Refuse a term that overlaps another in the same seat, or another seat of the party."""
    clash = _overlapping(start, end, seat_id=seat.id, exclude_id=exclude_id)
    if clash:
        raise ServiceError(f"{seat.label} is taken for part of that term: "
                           f"{_term_sentence(clash[0])}. Terms in one seat cannot overlap.",
                           fields={"start_date": ["Overlaps another term in this seat."]})
    clash = _overlapping(start, end, organisation_id=party.id, exclude_id=exclude_id)
    if clash:
        raise ServiceError(f"{party} already holds a seat for part of that term: "
                           f"{_term_sentence(clash[0])}. A party holds at most one seat at a "
                           "time.", fields={"party": ["Already holds a seat then."]})


def _check_representative(seat: Seat, user: User) -> None:
    roles = REPRESENTATIVE_ROLES.get(seat.constituency, DEFAULT_REPRESENTATIVE_ROLES)
    if user.role not in roles:
        raise ServiceError(f"{user.email} is a {user.role_label}; a representative of "
                           f"{seat.label} must have the role "
                           f"{' or '.join(roles)}.", fields={"user": ["Wrong role."]})
    if not user.active:
        raise ServiceError(f"The account {user.email} is deactivated.",
                           fields={"user": ["Deactivated."]})


def appoint(actor: Actor, seat: Seat, party: Organisation, start: date,
            end: date | None = None, *,
            representatives: Sequence[tuple[User, bool]] = (),
            via: str = "appointment") -> Membership:
    """Put ``party`` in ``seat`` from ``start`` (inclusive) to ``end`` (exclusive; default
    start + the fund's term length). Locks the seat and the party rows first, so two
    concurrent appointments cannot overlap; ``representatives`` are (user, is_alternate)."""
    _require_secretariat(actor, "change the committee's roster")
    end = end or add_months(start, fund_config().committee_term_months)
    _check_term(start, end)
    if not seat.active:
        raise ServiceError(f"{seat.label} is no longer a seat of the committee.",
                           fields={"seat": ["Inactive seat."]})
    kind = PARTY_KIND[seat.constituency]
    if party.kind != kind:
        raise ServiceError(f"{party} cannot sit for {CONSTITUENCY_LABELS[seat.constituency]}: "
                           f"that constituency seats {PARTY_NOUN[kind]}.",
                           fields={"party": ["Wrong kind of party."]})
    for user, _ in representatives:
        _check_representative(seat, user)
    if len({user.id for user, _ in representatives}) < len(representatives):
        raise ServiceError("Name each representative once.",
                           fields={"alternate": ["Someone other than the representative."]})
    _lock(Seat, [seat.id])
    _lock(Organisation, [party.id])
    _check_free(seat, party, start, end)
    membership = Membership(seat=seat, organisation=party, start_date=start, end_date=end,
                            representatives=[MembershipRepresentative(user=user,
                                                                      is_alternate=alternate)
                                             for user, alternate in representatives])
    db.session.add(membership)
    db.session.flush()
    record(actor, "membership_added", membership, after={
        "seat": seat.label, "party": party_code(party), "start": start, "end": end, "via": via,
        "representatives": [u.email for u, _ in representatives]})
    return membership


def end_membership(actor: Actor, membership: Membership, end: date) -> None:
    """Move the end of a term (to end it early, or to extend it), keeping the rules: after
    its start, no overlap in the seat or for the party."""
    _require_secretariat(actor, "change the committee's roster")
    _check_term(membership.start_date, end)
    _lock(Seat, [membership.seat_id])
    _lock(Organisation, [membership.organisation_id])
    _check_free(membership.seat, membership.organisation, membership.start_date, end,
                exclude_id=membership.id)
    before = membership.end_date
    membership.end_date = end
    db.session.flush()
    record(actor, "membership_ended", membership, before={"end": before}, after={"end": end})


def add_representative(actor: Actor, membership: Membership, user: User,
                       is_alternate: bool = False) -> MembershipRepresentative:
    _require_secretariat(actor, "change the committee's roster")
    if any(r.user_id == user.id for r in membership.representatives):
        raise ServiceError(f"{user.email} already acts for {membership}.",
                           fields={"user": ["Already acts for this membership."]})
    _check_representative(membership.seat, user)
    link = MembershipRepresentative(user=user, is_alternate=is_alternate)
    membership.representatives.append(link)
    db.session.flush()
    record(actor, "representative_added", membership,
           after={"user": user.email, "alternate": is_alternate})
    return link


def remove_representative(actor: Actor, membership: Membership, user: User) -> None:
    _require_secretariat(actor, "change the committee's roster")
    link = next((r for r in membership.representatives if r.user_id == user.id), None)
    if link is None:
        raise ServiceError(f"{user.email} does not act for {membership}.")
    membership.representatives.remove(link)
    db.session.flush()
    record(actor, "representative_removed", membership,
           before={"user": user.email, "alternate": link.is_alternate})


# --- configuration -------------------------------------------------------------------------------

@dataclass
class CommitteeSettings:
    seats: dict[str, int]
    term_months: int
    quorum_majority: bool
    quorum_constituencies: list[str]


def current_settings() -> CommitteeSettings:
    config = fund_config()
    counts = dict.fromkeys(CONSTITUENCIES, 0)
    for constituency, count in db.session.execute(
            select(Seat.constituency, func.count()).where(Seat.active.is_(True))
            .group_by(Seat.constituency)):
        counts[constituency] = count
    return CommitteeSettings(counts, config.committee_term_months, config.quorum_majority,
                             quorum_constituencies(config))


def configure(actor: Actor, settings: CommitteeSettings, on: date | None = None) -> None:
    """Change the composition (seats per constituency), the term length (for terms appointed
    from now on) and the quorum rule. Removing seats takes the highest positions away, and is
    refused when they are filled on ``on`` (today) or have a term to come."""
    _require_secretariat(actor, "change the committee's composition")
    on = on or today()
    config = fund_config()
    problems: dict[str, list[str]] = {}
    messages: list[str] = []
    unknown = [c for c in settings.seats if c not in CONSTITUENCIES]
    if unknown:
        raise ServiceError(f"Unknown constituencies: {', '.join(unknown)}.")
    if not isinstance(settings.term_months, int) or not 1 <= settings.term_months \
            <= MAX_TERM_MONTHS:
        problems["term_months"] = [f"Between 1 and {MAX_TERM_MONTHS} months."]
        messages.append(f"A term lasts between 1 and {MAX_TERM_MONTHS} months.")
    bad_quorum = [c for c in settings.quorum_constituencies if c not in VOTING_CONSTITUENCIES]
    if bad_quorum:
        problems["quorum_constituencies"] = ["Voting constituencies only."]
        messages.append(f"The quorum can only require voting constituencies, not "
                        f"{', '.join(bad_quorum)}.")
    for constituency in settings.quorum_constituencies:
        if settings.seats.get(constituency, 0) == 0 and constituency in VOTING_CONSTITUENCIES:
            problems.setdefault("quorum_constituencies", []).append(
                f"{CONSTITUENCY_LABELS[constituency]} has no seats.")
            messages.append(f"The quorum requires {CONSTITUENCY_LABELS[constituency]}, which "
                            "would have no seats.")

    seats = list(db.session.scalars(select(Seat)))
    _lock(Seat, [s.id for s in seats])
    sitting = {m.seat_id: m for m in sitting_on(on)}
    to_come = {m.seat_id: m for m in db.session.scalars(
        select(Membership).where(Membership.start_date > on)
        .options(joinedload(Membership.organisation)))}
    for constituency in CONSTITUENCIES:
        count = settings.seats.get(constituency)
        if count is None:
            continue
        label = CONSTITUENCY_LABELS[constituency]
        if not isinstance(count, int) or not 0 <= count <= MAX_SEATS_PER_CONSTITUENCY:
            problems[f"seats_{constituency}"] = [f"Between 0 and {MAX_SEATS_PER_CONSTITUENCY}."]
            messages.append(f"{label}: give between 0 and {MAX_SEATS_PER_CONSTITUENCY} seats.")
            continue
        mine = [s for s in seats if s.constituency == constituency and s.active]
        filled = [s for s in mine if s.id in sitting]
        if count < len(filled):
            problems[f"seats_{constituency}"] = [f"At least {len(filled)}: seats filled today."]
            messages.append(f"{label}: {len(filled)} seats are filled on {on}; the count "
                            f"cannot go below {len(filled)}.")
            continue
        for seat in mine:
            if seat.position <= count:
                continue
            held = sitting.get(seat.id) or to_come.get(seat.id)
            if held is not None:
                problems[f"seats_{constituency}"] = [f"{seat.label} is filled."]
                messages.append(f"{label}: removing {seat.label} would unseat "
                                f"{held.organisation} (term {held.start_date} to "
                                f"{held.end_date}); end or move that term first.")
    if problems:
        raise ServiceError(" ".join(messages), fields=problems)

    before = current_settings()
    for constituency, count in settings.seats.items():
        existing = {s.position: s for s in seats if s.constituency == constituency}
        for position in range(1, max(count, max(existing, default=0)) + 1):
            seat = existing.get(position)
            if position <= count:
                if seat is None:
                    db.session.add(Seat(constituency=constituency, position=position,
                                        active=True))
                else:
                    seat.active = True
            elif seat is not None:
                seat.active = False
    config.committee_term_months = settings.term_months
    config.quorum_majority = bool(settings.quorum_majority)
    config.quorum_constituencies = ",".join(
        c for c in CONSTITUENCIES if c in settings.quorum_constituencies)
    db.session.flush()
    record(actor, "committee_configured", config, before=vars(before),
           after=vars(current_settings()))


# --- rotation order ------------------------------------------------------------------------------

def rotation_orders() -> dict[str, list[Organisation]]:
    """Each constituency's rotation order, first position first."""
    orders: dict[str, list[Organisation]] = {c: [] for c in CONSTITUENCIES}
    for row in db.session.scalars(select(RotationOrder).options(
            joinedload(RotationOrder.organisation))
            .order_by(RotationOrder.constituency, RotationOrder.position)):
        orders[row.constituency].append(row.organisation)
    return orders


def set_rotation_order(actor: Actor, constituency: str,
                       codes: Sequence[str]) -> list[Organisation]:
    """Replace the rotation order of ``constituency`` by the parties ``codes`` (acronyms or
    ISO alpha-3 codes), in order."""
    _require_secretariat(actor, "change the rotation order")
    if constituency not in CONSTITUENCIES:
        raise ServiceError(f"Unknown constituency '{constituency}'.")
    label = CONSTITUENCY_LABELS[constituency]
    codes = [c.strip() for c in codes if c and c.strip()]
    parties, problems, seen = [], [], set()
    for code in codes:
        try:
            party = find_party(code, constituency, "parties")
        except ServiceError as exc:
            problems.append(exc.message)
            continue
        if party.id in seen:
            problems.append(f"{party.acronym} is listed twice.")
            continue
        seen.add(party.id)
        parties.append(party)
    if problems:
        raise ServiceError(f"The rotation order of {label} was not saved: " + " ".join(problems),
                           fields={"parties": problems})
    rows = list(db.session.scalars(select(RotationOrder).where(
        RotationOrder.constituency == constituency)))
    before = [party_code(r.organisation) for r in sorted(rows, key=lambda r: r.position)]
    for row in rows:
        db.session.delete(row)
    db.session.flush()
    for position, party in enumerate(parties, start=1):
        db.session.add(RotationOrder(constituency=constituency, position=position,
                                     organisation_id=party.id))
    db.session.flush()
    record(actor, "rotation_order_set", None, entity_type="rotation_order",
           before={"constituency": constituency, "parties": before},
           after={"constituency": constituency, "parties": [party_code(p) for p in parties]})
    return parties


# --- rotation ------------------------------------------------------------------------------------

HOW_LABELS = {
    "rotation": "next in the rotation order",
    "renewal": "renewed: no other eligible party in the rotation order",
    "vacant": "left vacant: no eligible party in the rotation order",
    "chosen": "chosen by the secretariat",
}


@dataclass
class SeatChange:
    """One open seat of a rotation: who left it, who is proposed, and why."""

    seat: Seat
    outgoing: Membership | None
    incoming: Organisation | None
    how: str

    @property
    def explanation(self) -> str:
        return HOW_LABELS[self.how]


@dataclass
class Proposal:
    """The roster proposed for the term starting ``on`` and ending ``end``."""

    on: date
    end: date
    changes: list[SeatChange]
    continuing: list[Membership]
    scheduled: list[Membership]
    # Parties holding a seat for part of [on, end) already: they cannot come in.
    busy: set[int] = field(default_factory=set)
    orders: dict[str, list[Organisation]] = field(default_factory=dict)
    _parties: dict[str, list[Organisation]] = field(default_factory=dict, repr=False)

    @property
    def empty(self) -> bool:
        return not self.changes

    def eligible_for(self, change: SeatChange) -> list[Organisation]:
        """The parties the secretariat may put in this seat instead of the proposed one:
        the right kind, holding no seat during the term, and not the party that has just
        left the seat (unless the proposal renews it); the rotation order's first."""
        constituency = change.seat.constituency
        if constituency not in self._parties:
            self._parties[constituency] = eligible_parties(constituency)
        order = self.orders.get(constituency, [])
        others = [p for p in self._parties[constituency] if p not in order]
        left = change.outgoing.organisation_id if change.outgoing else None
        allowed = left if change.how == "renewal" else None
        return [p for p in order + others
                if p.id not in self.busy and (p.id != left or p.id == allowed)]


def _next_position(order: list[Organisation], memberships: list[Membership],
                   constituency: str, on: date) -> int:
    """Where the scan of the rotation order starts: just after the party appointed last in the
    constituency (latest start on or before ``on``, then latest recorded), wrapping around."""
    positions = {party.id: i for i, party in enumerate(order)}
    appointed = [m for m in memberships if m.seat.constituency == constituency
                 and m.start_date <= on and m.organisation_id in positions]
    if not appointed:
        return 0
    last = max(appointed, key=lambda m: (m.start_date, m.id))
    return (positions[last.organisation_id] + 1) % len(order)


def propose_rotation(on: date) -> Proposal:
    """The next roster from ``on``: see docs/committee.md, "Rotation", for the rules."""
    end = add_months(on, fund_config().committee_term_months)
    memberships = list(db.session.scalars(select(Membership).options(
        joinedload(Membership.organisation), joinedload(Membership.seat))
        .execution_options(populate_existing=True)))
    by_seat: dict[int, list[Membership]] = defaultdict(list)
    for m in memberships:
        by_seat[m.seat_id].append(m)
    busy = {m.organisation_id for m in memberships if m.start_date < end and m.end_date > on}
    continuing, scheduled, open_seats = [], [], []
    for seat in active_seats():
        terms = by_seat[seat.id]
        sitting = next((m for m in terms if m.sits_on(on)), None)
        later = sorted((m for m in terms if m.start_date > on), key=lambda m: m.start_date)
        if sitting is not None:
            continuing.append(sitting)
        elif later:
            scheduled.append(later[0])
        else:
            ended = [m for m in terms if m.end_date <= on]
            open_seats.append((seat, max(ended, key=lambda m: (m.end_date, m.id))
                               if ended else None))
    orders = rotation_orders()
    chosen: set[int] = set()
    changes: list[SeatChange] = []
    for constituency in CONSTITUENCIES:
        seats_here = [(s, o) for s, o in open_seats if s.constituency == constituency]
        if not seats_here:
            continue
        order = orders[constituency]
        start = _next_position(order, memberships, constituency, on) if order else 0
        for seat, outgoing in seats_here:
            left = outgoing.organisation_id if outgoing else None
            pick, how = None, "vacant"
            for k in range(len(order)):
                i = (start + k) % len(order)
                party = order[i]
                if party.id in busy or party.id in chosen or party.id == left:
                    continue
                pick, how, start = party, "rotation", (i + 1) % len(order)
                break
            if pick is None and outgoing is not None and left not in busy | chosen:
                pick, how = outgoing.organisation, "renewal"
            if pick is not None:
                chosen.add(pick.id)
            changes.append(SeatChange(seat, outgoing, pick, how))
    return Proposal(on, end, changes, continuing, scheduled, busy, orders)


def apply_choices(proposal: Proposal, choices: dict[int, int | None]) -> None:
    """Put the secretariat's choices into the proposal: ``choices`` maps a seat id to the
    party to seat there instead of the proposed one (None: leave the seat vacant). Refuses
    a seat that is not open, a party not eligible for the seat, and a party chosen twice."""
    open_ids = {c.seat.id for c in proposal.changes}
    if set(choices) - open_ids:
        raise ServiceError("The committee changed since this proposal was made (a seat in it "
                           "is no longer open); reload the proposal.", status=409,
                           code="stale")
    problems: dict[str, list[str]] = {}
    taken: dict[int, str] = {}
    for change in proposal.changes:
        name = f"seat_{change.seat.id}"
        if change.seat.id in choices:
            party_id = choices[change.seat.id]
            if party_id != (change.incoming.id if change.incoming else None):
                party = db.session.get(Organisation, party_id) if party_id else None
                if party_id and party is None:
                    problems[name] = ["Unknown party."]
                    continue
                if party is not None and party.id not in {
                        p.id for p in proposal.eligible_for(change)}:
                    problems[name] = [_ineligible(change, party, proposal)]
                    continue
                change.incoming, change.how = party, ("chosen" if party else "vacant")
        if change.incoming is not None:
            if change.incoming.id in taken:
                problems[name] = [f"{change.incoming} is already proposed for "
                                  f"{taken[change.incoming.id]}."]
            taken[change.incoming.id] = change.seat.label
    if problems:
        raise ServiceError("The proposal was not confirmed: " + " ".join(
            p for ps in problems.values() for p in ps), fields=problems)


def confirm_rotation(actor: Actor, on: date,
                     choices: dict[int, int | None] | None = None) -> list[Membership]:
    """Write the proposal for ``on``, with the secretariat's ``choices`` (see
    ``apply_choices``): one membership per filled open seat, from ``on`` for a term, and the
    audit events, all in the caller's transaction. Every active seat is locked first, so a
    concurrent appointment or rotation waits, then finds the seats taken."""
    _require_secretariat(actor, "confirm a rotation")
    _lock(Seat, [s.id for s in active_seats()])
    proposal = propose_rotation(on)
    apply_choices(proposal, dict(choices or {}))
    _lock(Organisation, [c.incoming.id for c in proposal.changes if c.incoming])
    made = []
    for change in proposal.changes:
        if change.incoming is None:
            continue
        carried = _carried_representatives(change.seat, change.incoming, on)
        made.append(appoint(actor, change.seat, change.incoming, on, proposal.end,
                            representatives=carried, via=f"rotation ({change.how})"))
    record(actor, "rotation_confirmed", None, entity_type="committee", after={
        "on": on, "end": proposal.end,
        "incoming": {c.seat.label: party_code(c.incoming) if c.incoming else None
                     for c in proposal.changes},
        "outgoing": {c.seat.label: party_code(c.outgoing.organisation) if c.outgoing else None
                     for c in proposal.changes}})
    return made


def _ineligible(change: SeatChange, party: Organisation, proposal: Proposal) -> str:
    label = CONSTITUENCY_LABELS[change.seat.constituency]
    if party.kind != PARTY_KIND[change.seat.constituency]:
        return f"{party} cannot sit for {label}."
    if party.id in proposal.busy:
        return f"{party} already holds a seat during the new term."
    if change.outgoing is not None and party.id == change.outgoing.organisation_id:
        return f"{party} has just left {change.seat.label}; the rotation does not re-appoint it."
    return f"{party} is not eligible for {change.seat.label}."


def _carried_representatives(seat: Seat, party: Organisation,
                             on: date) -> list[tuple[User, bool]]:
    """A party whose previous term ended the day its new one starts keeps its representatives
    (the chair's renewal keeps the chair), those whose role fits the new seat."""
    previous = db.session.scalar(select(Membership).where(
        Membership.organisation_id == party.id, Membership.end_date == on))
    if previous is None:
        return []
    roles = REPRESENTATIVE_ROLES.get(seat.constituency, DEFAULT_REPRESENTATIVE_ROLES)
    return [(r.user, r.is_alternate) for r in previous.representatives
            if r.user.active and r.user.role in roles]


# --- conflicts of interest -----------------------------------------------------------------------

@dataclass(frozen=True)
class Eligibility:
    """May a membership score a note on a date; if not, every reason why."""

    allowed: bool
    reasons: list[str]


def eligibility(membership: Membership, note: ConceptNote, on: date) -> Eligibility:
    reasons = recusals([membership], [note], on).get((membership.id, note.id), [])
    return Eligibility(not reasons, reasons)


def _id_of(instance: Membership | ConceptNote) -> int:
    """The primary key, without loading an expired instance (no query per object)."""
    identity = inspect(instance).identity
    return identity[0] if identity else instance.id


def recusals(memberships: Sequence[Membership], notes: Sequence[ConceptNote],
             on: date) -> dict[tuple[int, int], list[str]]:
    """For many memberships and notes at once, the pairs ``(membership_id, note_id)`` that may
    not score, each with its reasons: not seated on ``on``, ex officio (no vote), the entity
    is a PUNO of the note, the state is the note's country or covered by the regional note,
    or a declared conflict. Pairs that may score are absent. Five queries, whatever the
    number of memberships and notes.

    A recused member's review does not count as a review, and a recused member does not
    count towards a quorum (docs/committee.md)."""
    membership_ids = sorted({_id_of(m) for m in memberships})
    note_ids = sorted({_id_of(n) for n in notes})
    if not membership_ids or not note_ids:
        return {}
    members = db.session.execute(
        select(Membership.id, Membership.start_date, Membership.end_date, Seat.constituency,
               Organisation.id, Organisation.kind, Organisation.acronym, Organisation.name,
               Organisation.country_id)
        .join(Seat, Membership.seat_id == Seat.id)
        .join(Organisation, Membership.organisation_id == Organisation.id)
        .where(Membership.id.in_(membership_ids))).all()
    facts = {n_id: (ref, country_id, regional) for n_id, ref, country_id, regional in
             db.session.execute(select(ConceptNote.id, ConceptNote.reference,
                                       ConceptNote.country_id, ConceptNote.is_regional)
                                .where(ConceptNote.id.in_(note_ids)))}
    punos: dict[int, set[int]] = defaultdict(set)
    for note_id, organisation_id in db.session.execute(
            select(PunoBudgetLine.note_id, PunoBudgetLine.organisation_id)
            .where(PunoBudgetLine.note_id.in_(note_ids))):
        punos[note_id].add(organisation_id)
    covered: dict[int, set[int]] = defaultdict(set)
    for note_id, country_id in db.session.execute(
            select(note_countries.c.note_id, note_countries.c.country_id)
            .where(note_countries.c.note_id.in_(note_ids))):
        covered[note_id].add(country_id)
    declared = {(m_id, n_id): reason for m_id, n_id, reason in db.session.execute(
        select(ConflictDeclaration.membership_id, ConflictDeclaration.note_id,
               ConflictDeclaration.reason)
        .where(ConflictDeclaration.membership_id.in_(membership_ids),
               ConflictDeclaration.note_id.in_(note_ids)))}

    out: dict[tuple[int, int], list[str]] = {}
    for m_id, start, end, constituency, org_id, kind, acronym, name, org_country in members:
        party = acronym if kind == "un_entity" else name
        standing: list[str] = []
        if not start <= on < end:
            standing.append(f"{party} does not sit on the committee on {on} (term {start} "
                            f"to {end}).")
        if constituency not in VOTING_CONSTITUENCIES:
            standing.append(f"{party} sits ex officio and has no vote.")
        for n_id in note_ids:
            if n_id not in facts:
                continue
            reference, note_country, regional = facts[n_id]
            reasons = list(standing)
            if kind == "un_entity" and org_id in punos[n_id]:
                reasons.append(f"{party} is a participating UN organisation (PUNO) of "
                               f"{reference}.")
            if kind == "state" and org_country is not None:
                if org_country == note_country:
                    reasons.append(f"{party} is the country of {reference}.")
                elif regional and org_country in covered[n_id]:
                    reasons.append(f"{party} is covered by the regional note {reference}.")
            if (m_id, n_id) in declared:
                reasons.append(f"Declared conflict: {declared[(m_id, n_id)]}")
            if reasons:
                out[(m_id, n_id)] = reasons
    return out


def declarable_notes() -> list[ConceptNote]:
    """The notes a conflict may be declared on from the conflicts page: the pipeline's."""
    return list(db.session.scalars(select(ConceptNote).where(
        ConceptNote.status.in_((NoteStatus.PIPELINE, NoteStatus.SELECTED))).order_by(ConceptNote.reference)))


def declare_conflict(actor: User, membership: Membership, note: ConceptNote,
                     reason: str) -> ConflictDeclaration:
    """A conflict declared by a member's representative, or by the secretariat on the
    member's behalf, with a reason."""
    on_behalf = actor.role == Role.SECRETARIAT
    if not on_behalf:
        if actor.role not in CONFLICT_DECLARERS:
            raise NotAllowed("Only members of the committee and the secretariat declare "
                             "conflicts of interest.")
        if not any(r.user_id == actor.id for r in membership.representatives):
            raise NotAllowed(f"You do not act for {membership.organisation}; the secretariat "
                             "can declare a conflict on its behalf.")
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError("Give the reason for the conflict of interest.",
                           fields={"reason": ["Required."]})
    if len(reason) > 2000:
        raise ServiceError("Keep the reason under 2,000 characters.",
                           fields={"reason": ["Too long."]})
    if membership.end_date <= today():
        raise ServiceError(f"The term of {membership.organisation} ended on "
                           f"{membership.end_date}; conflicts are declared for current or "
                           "future terms.", fields={"membership": ["Term ended."]})
    if note.status == NoteStatus.DRAFT:
        raise ServiceError(f"{note.reference} is a draft; conflicts are declared on submitted "
                           "notes.", fields={"note": ["A draft."]})
    exists = db.session.scalar(select(ConflictDeclaration.id).where(
        ConflictDeclaration.membership_id == membership.id,
        ConflictDeclaration.note_id == note.id))
    if exists is not None:
        raise ServiceError(f"{membership.organisation} has already declared a conflict on "
                           f"{note.reference}.", fields={"note": ["Already declared."]})
    declaration = ConflictDeclaration(membership_id=membership.id, note_id=note.id,
                                      reason=reason, declared_by_id=actor.id)
    db.session.add(declaration)
    db.session.flush()
    record(actor, "conflict_declared", declaration, after={
        "membership": membership.id, "party": party_code(membership.organisation),
        "note": note.reference, "reason": reason, "on_behalf": on_behalf})
    return declaration


def declaration_consequences(membership: Membership, note: ConceptNote) -> Consequences:
    """What declaring ``membership``'s conflict on ``note`` does for good, for its
    confirmation page."""
    member, reference = membership.organisation, note.reference
    final = [f"{member} does not count towards the quorum on {reference} when the committee "
             "decides, and is recused from it in every review round opened from now on.",
             "The declaration and its reason stay on the committee's record; it cannot be "
             "withdrawn."]
    exists = db.session.scalar(select(ConflictDeclaration.id).where(
        ConflictDeclaration.membership_id == membership.id,
        ConflictDeclaration.note_id == note.id))
    refusal = None if exists is None else \
        f"{member} has already declared a conflict on {reference}."
    return Consequences(final=final, refusal=refusal)


def declarations(user: User) -> list[ConflictDeclaration]:
    """The secretariat sees every declaration; a member those of the memberships it acts
    for."""
    query = (select(ConflictDeclaration)
             .options(joinedload(ConflictDeclaration.membership)
                      .joinedload(Membership.organisation),
                      joinedload(ConflictDeclaration.declared_by))
             .order_by(ConflictDeclaration.declared_at.desc(), ConflictDeclaration.id.desc()))
    if user.role != Role.SECRETARIAT:
        query = query.where(ConflictDeclaration.membership_id.in_(
            [m.id for m in memberships_of(user)]))
    return list(db.session.scalars(query))


def note_references(declared: Iterable[ConflictDeclaration]) -> dict[int, str]:
    ids = sorted({d.note_id for d in declared})
    if not ids:
        return {}
    return {note_id: reference for note_id, reference in db.session.execute(
        select(ConceptNote.id, ConceptNote.reference).where(ConceptNote.id.in_(ids)))}


# --- quorum --------------------------------------------------------------------------------------

def quorum_met(present_memberships: Sequence[Membership], on: date,
               config: FundConfig | None = None, *,
               note: ConceptNote | None = None) -> tuple[bool, list[str]]:
    """Whether the members present at a meeting on ``on`` make the fund's quorum; with
    ``note``, for deciding on that note: members recused from it do not count as present.
    The rule itself is ``mptf.committee.quorum.assess_quorum``."""
    if note is not None:
        return quorums_on_notes(present_memberships, on, [note], config)[note.id]
    config = config or fund_config()
    seated, present = _seated_and_present(present_memberships, on)
    return assess_quorum([(m.seat.constituency, m.seat.votes) for m in present],
                         seated.seated_refs(), majority=config.quorum_majority,
                         required=quorum_constituencies(config))


def quorums_on_notes(present_memberships: Sequence[Membership], on: date,
                     notes: Sequence[ConceptNote], config: FundConfig | None = None
                     ) -> dict[int, tuple[bool, list[str]]]:
    """``quorum_met`` for deciding on each of ``notes`` (by note id), with the composition and
    the recusals loaded once for all of them."""
    config = config or fund_config()
    seated, present = _seated_and_present(present_memberships, on)
    recused = recusals(present, notes, on)
    refs, required = seated.seated_refs(), quorum_constituencies(config)
    return {note.id: assess_quorum(
        [(m.seat.constituency, m.seat.votes) for m in present
         if (m.id, note.id) not in recused],
        refs, majority=config.quorum_majority, required=required) for note in notes}


def _seated_and_present(present_memberships: Sequence[Membership], on: date
                        ) -> tuple[Composition, list[Membership]]:
    """The composition on ``on`` and the members present, each once; a member present who is
    not seated that day is refused."""
    seated = composition(on)
    seated_ids = {m.id for m in seated.members}
    present = list({m.id: m for m in present_memberships}.values())
    absent = [m for m in present if m.id not in seated_ids]
    if absent:
        raise ServiceError("Not seated on " + str(on) + ": "
                           + ", ".join(str(m.organisation) for m in absent) + ".")
    return seated, present
