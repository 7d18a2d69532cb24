"""Concept notes: drafts, submission with full validation, frozen versions, screening,
withdrawal, expiry and attachments (DESIGN.md §3). Services flush; views commit."""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError

from mptf.extensions import db
from mptf.models import (
    Attachment,
    ConceptNote,
    ConceptNoteVersion,
    Country,
    CountryNetwork,
    CountryNetworkMember,
    FundConfig,
    GcmObjective,
    GuidingPrinciple,
    NotePrinciple,
    Organisation,
    PunoBudgetLine,
    Screening,
    ThematicArea,
    User,
)
from mptf.models.base import utcnow
from mptf.models.pipeline import NoteStatus
from mptf.notifications import events as notifications
from mptf.pipeline.rules import STATUS_LABELS, indirect_cents, refusal, role_refusal
from mptf.services.audit import record
from mptf.services.confirmation import Consequences
from mptf.services.dates import add_months
from mptf.services.errors import Conflict, NotAllowed, NotFound, ServiceError
from mptf.services.policy import PIPELINE_READERS, SYSTEM, Actor, Role

EDITABLE_STATUSES = (NoteStatus.DRAFT, NoteStatus.RETURNED)
PARTNER_KINDS = {
    "government": "Government entity",
    "local_authority": "Local authority",
    "civil_society": "Civil society organisation",
    "migrant_organisation": "Migrant or diaspora organisation",
    "private_sector": "Private sector",
    "trade_union": "Trade union or employers' organisation",
    "academia": "Academia",
}
STAKEHOLDER_GROUPS = {
    "civil_society": "Civil society",
    "migrants": "Migrants and diaspora",
    "local_authorities": "Local authorities",
    "private_sector": "Private sector",
    "trade_unions": "Trade unions and employers",
    "academia": "Academia",
    "national_human_rights": "National human rights institutions",
}
REQUIRED_PRINCIPLES = ("gender-responsive", "child-sensitive")
CHECKLIST = {
    "complete": "Complete: every section filled in",
    "punos_eligible": "PUNOs eligible: Network members present in the country, one lead",
    "budget_within_limits": "Budget within the fund's floor and ceiling",
    "markers_justified": "Gender, human rights and child-sensitivity markers justified",
    "endorsement_present": "Government endorsement present",
}


def fund_config() -> FundConfig:
    config = db.session.get(FundConfig, 1)
    if config is None:
        raise ServiceError("The fund is not configured yet; run 'mptf seed' first.")
    return config


# --- who sees what -------------------------------------------------------------------------

# Who, besides the note's own country team, sees a note that was never submitted (a draft, or
# a draft withdrawn): the secretariat, which supports the teams; not the committee's members
# (states and organisations among them) nor the fund office.
DRAFT_ROLES = frozenset({Role.SECRETARIAT})


def can_see_all(user: User) -> bool:
    return user.role in PIPELINE_READERS


def visible_notes(user: User):
    """A select of the notes ``user`` may see: a country team its own country's only; the
    committee and the fund office only notes that were submitted at least once."""
    query = select(ConceptNote)
    if user.role == Role.COUNTRY_TEAM:
        return query.where(ConceptNote.country_id == user.country_id)
    if can_see_all(user):
        if user.role in DRAFT_ROLES:
            return query
        return query.where(ConceptNote.current_version > 0)
    return query.where(False)


def note_for(user: User, note_id: int) -> ConceptNote:
    """The note, if ``user`` may see it; otherwise NotFound (a 404, not a 403: another
    country's note, or another's unsubmitted draft, does not exist for them)."""
    note = db.session.get(ConceptNote, note_id)
    if note is None:
        visible = False
    elif user.role == Role.COUNTRY_TEAM:
        visible = note.country_id == user.country_id
    else:
        visible = can_see_all(user) and (user.role in DRAFT_ROLES or note.current_version > 0)
    if not visible:
        raise NotFound("There is no such concept note, or it is not yours to see.")
    return note


def note_by_reference(user: User, reference: str) -> ConceptNote:
    note_id = db.session.scalar(select(ConceptNote.id).where(ConceptNote.reference == reference))
    if note_id is None:
        raise NotFound("There is no such concept note, or it is not yours to see.")
    return note_for(user, note_id)


def can_edit(user: User, note: ConceptNote) -> bool:
    return (user.role == Role.COUNTRY_TEAM and note.country_id == user.country_id
            and note.status in EDITABLE_STATUSES)


def _require_editable(user: User, note: ConceptNote) -> None:
    if user.role != Role.COUNTRY_TEAM or note.country_id != user.country_id:
        raise NotAllowed("Only the country team of the note's country can change it.")
    if note.status not in EDITABLE_STATUSES:
        raise ServiceError(f"The note is {STATUS_LABELS[note.status].lower()}; only drafts "
                           "and returned notes can be edited.", status=409, code="state")


# --- drafts ----------------------------------------------------------------------------------

@dataclass
class PunoInput:
    organisation_id: int
    direct_cents: int
    is_lead: bool = False


def next_reference(year: int) -> str:
    prefix = f"{fund_config().reference_prefix}-{year}-"
    # The longest, then the greatest: past 9999 a year, "MIG-2026-9999" sorts after
    # "MIG-2026-10000" as text, and the text maximum would give a taken number for ever.
    last = db.session.scalar(select(ConceptNote.reference).where(
        ConceptNote.reference.like(prefix + "%")).order_by(
        func.length(ConceptNote.reference).desc(), ConceptNote.reference.desc()).limit(1))
    number = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{number:04d}"


REFERENCE_ATTEMPTS = 20


def savepoints_nest() -> bool:
    """Whether a SAVEPOINT now sits inside a real transaction. Python's sqlite3 driver begins
    its transaction only before the first write, and a SAVEPOINT before that is the outermost
    one: releasing it would commit. PostgreSQL is always inside the transaction."""
    raw = db.session.connection().connection.dbapi_connection
    return getattr(raw, "in_transaction", True)


def add_with_reference(note: ConceptNote) -> None:
    """Insert ``note`` with the next free reference. Two notes created at the same moment (two
    country teams, or an import racing a draft) compute the same number; the loser's insert
    fails on the unique reference inside a savepoint and takes the next one."""
    from sqlalchemy.exc import IntegrityError

    if not savepoints_nest():
        note.reference = next_reference(utcnow().year)
        db.session.add(note)
        db.session.flush()
        return
    for _ in range(REFERENCE_ATTEMPTS):
        note.reference = next_reference(utcnow().year)
        savepoint = db.session.begin_nested()
        db.session.add(note)
        try:
            savepoint.commit()
        except IntegrityError:
            savepoint.rollback()
            continue
        return
    raise ServiceError("Could not number the note; please try again.", status=409,
                       code="conflict")


def create_draft(user: User, data: dict[str, Any]) -> ConceptNote:
    if user.role != Role.COUNTRY_TEAM or user.country_id is None:
        raise NotAllowed("Only a country team drafts concept notes.")
    note = ConceptNote(status=NoteStatus.DRAFT, country_id=user.country_id, created_by_id=user.id)
    add_with_reference(note)
    _apply(note, data)
    db.session.flush()
    record(user, "note_created", note, after={"reference": note.reference,
                                              "title": note.title})
    return note


STALE_EDIT = ("Someone else saved this note after you opened it, so your changes were not "
              "saved.")


def update_draft(user: User, note: ConceptNote, data: dict[str, Any],
                 seen_version: int | None = None) -> ConceptNote:
    """Write the form's data onto the working copy. ``seen_version`` is the note's
    ``lock_version`` when the form was opened: an edit of an older state is refused (409)
    rather than overwriting what someone saved in between."""
    _require_editable(user, note)
    if seen_version is not None and seen_version != note.lock_version:
        raise Conflict(STALE_EDIT, code="stale")
    before = snapshot(note)
    # The note's own row is written on every save (updated_at), so that its version moves
    # even when only objectives, principles, countries or PUNO lines change; and nothing is
    # flushed before the one flush below, where a save racing another is caught.
    with db.session.no_autoflush:
        _apply(note, data)
        note.updated_at = utcnow()
    try:
        db.session.flush()
    except StaleDataError as exc:  # saved or submitted by another request at this moment
        raise Conflict(STALE_EDIT, code="stale") from exc
    after = snapshot(note)
    changed = {k for k in after if before.get(k) != after.get(k)}
    if changed:
        record(user, "note_edited", note, before={k: before.get(k) for k in sorted(changed)},
               after={k: after[k] for k in sorted(changed)})
    return note


SCALAR_FIELDS = (
    "title", "is_regional", "thematic_area_id", "duration_months", "gender_marker",
    "gender_justification", "human_rights_marker", "human_rights_justification", "child_marker",
    "child_justification", "summary", "problem_statement", "theory_of_change",
    "expected_results", "government_endorsed", "endorsement_date",
)


def _apply(note: ConceptNote, data: dict[str, Any]) -> None:
    """Write the form's data onto the working copy; the note's country never comes from it."""
    for name in SCALAR_FIELDS:
        if name in data:
            setattr(note, name, data[name])
    if "thematic_area_id" in data and data["thematic_area_id"] is not None \
            and db.session.get(ThematicArea, data["thematic_area_id"]) is None:
        raise ServiceError("Unknown thematic area.", fields={"thematic_area_id": ["Unknown."]})
    if "objective_ids" in data:
        ids = sorted(set(data["objective_ids"]))
        objectives = list(db.session.scalars(select(GcmObjective).where(GcmObjective.id.in_(ids))))
        if len(objectives) != len(ids):
            raise ServiceError("Unknown GCM objective.", fields={"objective_ids": ["Unknown."]})
        note.objectives = objectives
    if "principles" in data:
        wanted = {int(k): (v or "").strip() for k, v in data["principles"].items()}
        known = set(db.session.scalars(select(GuidingPrinciple.id)))
        if set(wanted) - known:
            raise ServiceError("Unknown guiding principle.", fields={"principles": ["Unknown."]})
        existing = {p.principle_id: p for p in note.principles}
        for pid in list(existing):
            if pid not in wanted:
                note.principles.remove(existing[pid])
        for pid, how in wanted.items():
            if pid in existing:
                existing[pid].how = how
            else:
                note.principles.append(NotePrinciple(principle_id=pid, how=how))
    if "country_ids" in data:
        ids = set(data["country_ids"]) | ({note.country_id} if note.country_id else set())
        note.countries = list(db.session.scalars(select(Country).where(Country.id.in_(ids)))) \
            if note.is_regional else []
    if "punos" in data:
        _apply_punos(note, data["punos"])
    if "national_partners" in data:
        kinds = {p.get("kind") for p in data["national_partners"] if (p.get("name") or "").strip()}
        if kinds - set(PARTNER_KINDS):
            raise ServiceError("Unknown kind of national partner.",
                               fields={"national_partners": ["Choose a kind from the list."]})
        note.national_partners = [
            {"name": p["name"].strip(), "kind": p["kind"]}
            for p in data["national_partners"] if (p.get("name") or "").strip()]
    if "stakeholders" in data:
        note.stakeholders = [
            {"group": s["group"], "description": (s.get("description") or "").strip()}
            for s in data["stakeholders"] if s.get("group")]


def _apply_punos(note: ConceptNote, punos: list[PunoInput]) -> None:
    seen: set[int] = set()
    for p in punos:
        if p.organisation_id in seen:
            raise ServiceError("Each participating UN organisation can appear only once.",
                               fields={"punos": ["An organisation is listed twice."]})
        seen.add(p.organisation_id)
        if p.direct_cents < 0:
            raise ServiceError("A budget cannot be negative.",
                               fields={"punos": ["A budget is negative."]})
    orgs = {o.id: o for o in db.session.scalars(
        select(Organisation).where(Organisation.id.in_(seen)))}
    if set(orgs) != seen or any(o.kind != "un_entity" for o in orgs.values()):
        raise ServiceError("A participating organisation must be a UN entity.",
                           fields={"punos": ["Not a UN entity."]})
    rate = fund_config().indirect_cost_rate_bp
    by_org = {line.organisation_id: line for line in note.puno_lines}
    for line in list(note.puno_lines):
        if line.organisation_id not in seen:
            note.puno_lines.remove(line)
    for position, p in enumerate(punos):
        line = by_org.get(p.organisation_id)
        if line is None:
            line = PunoBudgetLine(organisation_id=p.organisation_id)
            note.puno_lines.append(line)
        line.position = position
        line.is_lead = bool(p.is_lead)
        line.direct_cents = p.direct_cents
        line.indirect_cents = indirect_cents(p.direct_cents, rate)
    note.total_direct_cents = sum(p.direct_cents for p in punos)
    note.total_indirect_cents = sum(indirect_cents(p.direct_cents, rate) for p in punos)
    note.total_cents = note.total_direct_cents + note.total_indirect_cents


# --- validation ------------------------------------------------------------------------------

def problems(note: ConceptNote, today: date | None = None,
             networks: dict[int, set[int]] | None = None) -> dict[str, list[str]]:
    """Every reason the note cannot be submitted, by form field; empty when it can.
    ``networks`` (from ``country_networks()``) spares a caller checking many notes, the
    importer, two queries a note."""
    config = fund_config()
    today = today or utcnow().date()
    found: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        found.setdefault(field, []).append(message)

    for name, label in (("title", "a title"), ("summary", "a summary"),
                        ("problem_statement", "a problem statement"),
                        ("theory_of_change", "a theory of change"),
                        ("expected_results", "the expected results")):
        if not (getattr(note, name) or "").strip():
            add(name, f"Give {label}.")
    if note.thematic_area_id is None:
        add("thematic_area_id", "Choose the thematic area.")
    if not note.objectives:
        add("objective_ids", "Choose at least one GCM objective.")
    principles = {p.principle.name.lower(): p for p in note.principles}
    if not principles:
        add("principles", "Say how the programme addresses at least one guiding principle.")
    for p in note.principles:
        if not p.how.strip():
            add("principles", f"Say in a sentence how the programme is {p.principle.name.lower()}.")
    for required in REQUIRED_PRINCIPLES:
        if not any(required in name for name in principles):
            add("principles", f"Every submission must address the {required} principle.")
    lines = note.puno_lines
    if len(lines) < config.min_punos:
        add("punos", f"A joint programme needs at least {config.min_punos} participating UN "
                     f"organisations; this note has {len(lines)}.")
    leads = [line for line in lines if line.is_lead]
    if lines and len(leads) != 1:
        add("punos", "Mark exactly one participating organisation as the convening lead.")
    for line in lines:
        if not line.organisation.network_member:
            add("punos", f"{line.organisation.acronym} is not a member of the UN Network on "
                         "Migration.")
        if line.direct_cents <= 0:
            add("punos", f"Give {line.organisation.acronym} a direct-cost budget above zero.")
    absent = _absent_from_country_network(note, networks)
    if absent:
        add("punos", f"{', '.join(absent)} {'is' if len(absent) == 1 else 'are'} not in the "
                     "country's UN Network on Migration.")
    if lines and not (config.budget_floor_cents <= note.total_cents <= config.budget_ceiling_cents):
        from mptf.formatting import usd

        add("punos", f"The total budget including indirect support costs, {usd(note.total_cents)}, "
                     f"must be between {usd(config.budget_floor_cents)} and "
                     f"{usd(config.budget_ceiling_cents)}.")
    if not note.duration_months:
        add("duration_months", "Give the duration in months.")
    elif note.duration_months > config.max_duration_months:
        add("duration_months", f"The duration is {note.duration_months} months; the fund allows "
                               f"at most {config.max_duration_months}.")
    for marker, label in (("gender", "gender equality"), ("human_rights", "human rights"),
                          ("child", "child-sensitivity")):
        value = getattr(note, f"{marker}_marker")
        if value is None:
            add(f"{marker}_marker", f"Choose the {label} marker.")
        elif not (getattr(note, f"{marker}_justification") or "").strip():
            add(f"{marker}_justification", f"Justify the {label} marker.")
    if not any(p.get("kind") == "government" for p in note.national_partners or []):
        add("national_partners", "Name at least one government entity among the national "
                                 "partners.")
    if not note.stakeholders:
        add("stakeholders", "Say which stakeholders are engaged.")
    if note.government_endorsed:
        if note.endorsement_date is None:
            add("endorsement_date", "Give the date of the government's endorsement.")
        elif note.endorsement_date > today:
            add("endorsement_date", "The endorsement date cannot be in the future.")
    if note.is_regional and len({c.id for c in note.countries}) < 2:
        add("country_ids", "A regional note covers at least two countries.")
    return found


def country_networks() -> dict[int, set[int]]:
    """The organisations present in each country's UN Network, by country id, for the countries
    that have one (a network may have no member yet)."""
    networks: dict[int, set[int]] = {}
    for country_id, organisation_id in db.session.execute(
            select(CountryNetwork.country_id, CountryNetworkMember.organisation_id)
            .outerjoin(CountryNetworkMember,
                       CountryNetworkMember.network_id == CountryNetwork.id)):
        present = networks.setdefault(country_id, set())
        if organisation_id is not None:
            present.add(organisation_id)
    return networks


def _absent_from_country_network(note: ConceptNote,
                                 networks: dict[int, set[int]] | None = None) -> list[str]:
    """PUNOs not present in the country network, where the note's country has one."""
    if note.is_regional:
        return []
    if networks is not None:
        present = networks.get(note.country_id)
    else:
        network_id = db.session.scalar(select(CountryNetwork.id).where(
            CountryNetwork.country_id == note.country_id))
        present = None if network_id is None else set(db.session.scalars(
            select(CountryNetworkMember.organisation_id).where(
                CountryNetworkMember.network_id == network_id)))
    if present is None:
        return []
    return [line.organisation.acronym for line in note.puno_lines
            if line.organisation_id not in present]


# --- transitions -----------------------------------------------------------------------------

def check_move(actor: Actor, current: str, target: str) -> None:
    """Refuse a move the state machine does not have (409, ``rules.TRANSITIONS``) or one the
    actor's role does not make (403, ``rules.TRANSITION_ROLES``), each with its sentence. A
    service checks first what is its own (the note's country, the checklist); this is the
    check every path shares."""
    message = refusal(current, target)
    if message:
        raise ServiceError(message, status=409, code="state")
    message = role_refusal(actor.role, target)
    if message:
        raise NotAllowed(message)


def move_note(actor: Actor, note: ConceptNote, target: str, **details: Any) -> None:
    """The one way a note changes state: checked by ``check_move``, then the note's status,
    the audit event ``note_<target>`` (its details after the status) and the notifications
    the move sends."""
    target = NoteStatus(target)
    check_move(actor, note.status, target)
    before = note.status
    note.status = target
    record(actor, f"note_{target}", note, before={"status": before},
           after={"status": target, **details})
    notifications.note_moved(actor, note, before, target, **details)


def freeze_version(actor: User, note: ConceptNote) -> ConceptNoteVersion:
    """The note as it is now, kept as its next numbered version (each submission's)."""
    note.current_version += 1
    note.submitted_at = utcnow()
    version = ConceptNoteVersion(note=note, number=note.current_version,
                                 submitted_by_id=actor.id, content=snapshot(note))
    db.session.add(version)
    return version


def submit(user: User, note: ConceptNote) -> ConceptNoteVersion:
    if user.role != Role.COUNTRY_TEAM or note.country_id != user.country_id:
        raise NotAllowed("Only the country team of the note's country can submit it.")
    check_move(user, note.status, NoteStatus.SUBMITTED)
    found = problems(note)
    if found:
        count = sum(len(v) for v in found.values())
        raise ServiceError(f"The note cannot be submitted yet: {count} problem"
                           f"{'s' if count != 1 else ''} to correct.", fields=found)
    version = freeze_version(user, note)
    move_note(user, note, NoteStatus.SUBMITTED, version=note.current_version)
    return version


def suggested_checklist(note: ConceptNote, found: dict[str, list[str]]) -> dict[str, bool]:
    """The screening checklist as the validation rules see it, for the secretariat to
    confirm or overrule."""
    marker_fields = {f"{m}_{s}" for m in ("gender", "human_rights", "child")
                     for s in ("marker", "justification")}
    return {
        "complete": not (set(found) - {"punos"} - marker_fields - {"endorsement_date"}),
        "punos_eligible": not any("UN Network" in p or "lead" in p or "at least" in p
                                  for p in found.get("punos", [])),
        "budget_within_limits": not any("total budget" in p for p in found.get("punos", [])),
        "markers_justified": not (set(found) & marker_fields),
        "endorsement_present": bool(note.government_endorsed and note.endorsement_date),
    }


def screen(user: User, note: ConceptNote, checklist: dict[str, bool], outcome: str,
           reasons: str) -> Screening:
    if user.role != Role.SECRETARIAT:
        raise NotAllowed("Only the secretariat screens concept notes.")
    if note.status != NoteStatus.SUBMITTED:
        raise ServiceError(f"Only submitted notes are screened; this one is "
                           f"{STATUS_LABELS[note.status].lower()}.", status=409, code="state")
    checklist = {key: bool(checklist.get(key)) for key in CHECKLIST}
    reasons = (reasons or "").strip()
    if outcome == NoteStatus.PIPELINE:
        missing = [CHECKLIST[k].split(":")[0] for k, v in checklist.items() if not v]
        if missing:
            raise ServiceError("A note enters the pipeline only when every check passes; "
                               f"not ticked: {', '.join(missing)}. Return it with reasons "
                               "instead.", fields={"checklist": ["Not every check is ticked."]})
    elif outcome == NoteStatus.RETURNED:
        if not reasons:
            raise ServiceError("Say why the note is returned: the country team sees it.",
                               fields={"reasons": ["Give the reasons."]})
    else:
        raise ServiceError("Choose an outcome: pipeline or returned.",
                           fields={"outcome": ["Choose an outcome."]})
    screening = Screening(note=note, version_number=note.current_version, checklist=checklist,
                          outcome=outcome, reasons=reasons, screened_by_id=user.id)
    db.session.add(screening)
    if outcome == NoteStatus.PIPELINE:
        now = utcnow()
        note.pipeline_at = now
        note.expires_on = add_months(now.date(), fund_config().pipeline_validity_months)
        move_note(user, note, NoteStatus.PIPELINE, expires_on=note.expires_on)
    else:
        move_note(user, note, NoteStatus.RETURNED, reasons=reasons)
    return screening


def withdraw(user: User, note: ConceptNote, reason: str = "") -> None:
    if user.role != Role.COUNTRY_TEAM or note.country_id != user.country_id:
        raise NotAllowed("Only the country team of the note's country can withdraw it.")
    move_note(user, note, NoteStatus.WITHDRAWN, reason=(reason or "").strip())


def withdraw_consequences(note: ConceptNote, reason: str = "") -> Consequences:
    """What withdrawing the note does for good, for its confirmation page."""
    from mptf.models import ReviewRound, RoundNote
    from mptf.models.review import RoundStatus

    reference = note.reference
    final = [f"{reference} is withdrawn for good: a withdrawn note cannot be edited, "
             "submitted or reopened. To ask the fund again, draft a new note."]
    if note.status == NoteStatus.PIPELINE:
        final.append(f"{reference} leaves the fund's pipeline: no funding cycle will "
                     "consider it.")
    elif note.status == NoteStatus.SUBMITTED:
        final.append(f"The secretariat will not screen {reference}.")
    open_rounds = list(db.session.scalars(
        select(ReviewRound.name).join(RoundNote, RoundNote.round_id == ReviewRound.id)
        .where(RoundNote.note_id == note.id, ReviewRound.status == RoundStatus.OPEN)
        .order_by(ReviewRound.id)))
    for name in open_rounds:
        final.append(f"The committee's reviews of {reference} in the open round '{name}' "
                     "will not lead to funding.")
    missing = [] if (reason or "").strip() else [
        "No reason is given: the secretariat will see the withdrawal without one."]
    return Consequences(final=final, missing=missing,
                        refusal=refusal(note.status, NoteStatus.WITHDRAWN) or None)


def expire_notes(today: date | None = None, actor: Actor = SYSTEM) -> list[str]:
    """Move every pipeline note past its validity to ``expired``; returns their references.
    One query when nothing is due. The daily maintenance does it as ``SYSTEM``."""
    today = today or utcnow().date()
    due = list(db.session.scalars(select(ConceptNote).where(
        ConceptNote.status == NoteStatus.PIPELINE, ConceptNote.expires_on <= today)
        .with_for_update()))
    for note in due:
        move_note(actor, note, NoteStatus.EXPIRED, expires_on=note.expires_on)
    return [n.reference for n in due]


# --- versions ---------------------------------------------------------------------------------

def snapshot(note: ConceptNote) -> dict[str, Any]:
    """The note as readable values, for frozen versions and field-by-field diffs."""
    from mptf.formatting import usd

    return {
        "title": note.title,
        "countries": sorted(c.name for c in note.countries) if note.is_regional
        else [note.country.name if note.country else ""],
        "regional": note.is_regional,
        "thematic_area": str(note.thematic_area) if note.thematic_area else "",
        "objectives": [str(o) for o in note.objectives],
        "principles": [f"{p.principle.name}: {p.how}" for p in note.principles],
        "punos": [f"{line.organisation.acronym}{' (lead)' if line.is_lead else ''}: direct "
                  f"{usd(line.direct_cents)} + indirect {usd(line.indirect_cents)}"
                  for line in note.puno_lines],
        "total": usd(note.total_cents),
        "duration_months": note.duration_months,
        "gender_marker": note.gender_marker,
        "gender_justification": note.gender_justification,
        "human_rights_marker": note.human_rights_marker,
        "human_rights_justification": note.human_rights_justification,
        "child_marker": note.child_marker,
        "child_justification": note.child_justification,
        "summary": note.summary,
        "problem_statement": note.problem_statement,
        "theory_of_change": note.theory_of_change,
        "expected_results": note.expected_results,
        "national_partners": [f"{p['name']} ({PARTNER_KINDS.get(p['kind'], p['kind'])})"
                              for p in note.national_partners or []],
        "stakeholders": [f"{STAKEHOLDER_GROUPS.get(s['group'], s['group'])}: {s['description']}"
                         for s in note.stakeholders or []],
        "government_endorsed": note.government_endorsed,
        "endorsement_date": note.endorsement_date.isoformat() if note.endorsement_date else None,
        "attachments": [f"{a.filename} ({a.sha256[:12]})" for a in note.attachments],
    }


FIELD_LABELS = {
    "title": "Title", "countries": "Countries", "regional": "Regional note",
    "thematic_area": "Thematic area", "objectives": "GCM objectives",
    "principles": "Guiding principles", "punos": "Participating UN organisations",
    "total": "Total budget", "duration_months": "Duration (months)",
    "gender_marker": "Gender equality marker", "gender_justification": "Gender justification",
    "human_rights_marker": "Human rights marker",
    "human_rights_justification": "Human rights justification",
    "child_marker": "Child-sensitivity marker", "child_justification": "Child justification",
    "summary": "Summary", "problem_statement": "Problem statement",
    "theory_of_change": "Theory of change", "expected_results": "Expected results",
    "national_partners": "National partners", "stakeholders": "Stakeholders engaged",
    "government_endorsed": "Government endorsement", "endorsement_date": "Endorsement date",
    "attachments": "Attachments",
}


def diff(old: dict[str, Any], new: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    """(label, old value, new value) for every field that differs, in form order."""
    return [(FIELD_LABELS.get(k, k), old.get(k), new.get(k))
            for k in FIELD_LABELS if old.get(k) != new.get(k)]


# --- attachments ------------------------------------------------------------------------------

MEDIA_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def detect_kind(data: bytes) -> str | None:
    """What the bytes are, by content: a PDF, a Word or an Excel file; None otherwise."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, ValueError):
            return None
        if "[Content_Types].xml" not in names:
            return None
        if "word/document.xml" in names:
            return "docx"
        if "xl/workbook.xml" in names:
            return "xlsx"
    return None


MAX_INFLATED_BYTES = 100 * 1024 * 1024  # every part of an office file, decompressed


def inflated_size(data: bytes) -> int:
    """What a Word or Excel file's parts add up to once decompressed, as its archive declares
    them (read from the directory, nothing is inflated): a zip bomb declares gigabytes."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return sum(info.file_size for info in archive.infolist())


def add_attachment(user: User, note: ConceptNote, filename: str, data: bytes) -> Attachment:
    _require_editable(user, note)
    config = fund_config()
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip()[:255]
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in MEDIA_TYPES:
        raise ServiceError("Attach a PDF, Word (.docx) or Excel (.xlsx) file.",
                           fields={"file": ["Only PDF, DOCX and XLSX files are accepted."]})
    if not data:
        raise ServiceError("The file is empty.", fields={"file": ["The file is empty."]})
    if len(data) > config.attachment_max_bytes:
        limit = config.attachment_max_bytes / 1024 / 1024
        raise ServiceError(f"The file is larger than {limit:g} MB.",
                           fields={"file": [f"At most {limit:g} MB."]})
    kind = detect_kind(data)
    if kind != extension:
        raise ServiceError(f"{name} is not a real .{extension} file (its content does not "
                           "match its name).", fields={"file": ["The content does not match "
                                                               "the file type."]})
    if kind in ("docx", "xlsx") and inflated_size(data) > MAX_INFLATED_BYTES:
        limit = MAX_INFLATED_BYTES // 1024 // 1024
        raise ServiceError(f"{name} would expand to more than {limit} MB when opened; save it "
                           "again from Word or Excel, or attach a PDF.",
                           fields={"file": ["The file expands too much when opened."]})
    attachment = Attachment(note=note, filename=name, kind=kind, media_type=MEDIA_TYPES[kind],
                            size_bytes=len(data), sha256=hashlib.sha256(data).hexdigest(),
                            data=data, uploaded_by_id=user.id)
    db.session.add(attachment)
    db.session.flush()
    record(user, "attachment_added", note, after={"filename": name, "sha256": attachment.sha256,
                                                  "size": len(data)})
    return attachment


def remove_attachment(user: User, attachment: Attachment) -> None:
    """Only attachments added since the last submission: submitted versions keep theirs."""
    _require_editable(user, attachment.note)
    submitted = attachment.note.submitted_at
    if submitted is not None and attachment.uploaded_at <= submitted:
        raise ServiceError("This attachment belongs to a submitted version and is kept; add a "
                           "new one instead.", status=409, code="state")
    record(user, "attachment_removed", attachment.note,
           before={"filename": attachment.filename, "sha256": attachment.sha256})
    db.session.delete(attachment)
