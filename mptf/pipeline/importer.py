"""``mptf notes import FILE.csv``: the secretariat loads a batch of concept notes. Each row is
validated as a submission is; a good row becomes a submitted note, a bad row is rejected with
its reasons, and a bad row leaves nothing behind (a savepoint per row)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from mptf.extensions import db
from mptf.models import (
    ConceptNote,
    ConceptNoteVersion,
    Country,
    GuidingPrinciple,
    Organisation,
    User,
)
from mptf.models.base import utcnow
from mptf.money import parse_usd
from mptf.pipeline import services
from mptf.services.audit import record
from mptf.services.errors import NotAllowed, ServiceError

COLUMNS = [
    "country", "title", "thematic_area", "objectives", "principles", "punos",
    "duration_months", "gender_marker", "gender_justification", "human_rights_marker",
    "human_rights_justification", "child_marker", "child_justification", "summary",
    "problem_statement", "theory_of_change", "expected_results", "government_partners",
    "stakeholders", "government_endorsed", "endorsement_date",
]
REQUIRED_COLUMNS = {"country", "title", "thematic_area", "objectives", "punos"}
MAX_ROWS = 5_000


@dataclass
class ImportReport:
    accepted: list[tuple[int, str]] = field(default_factory=list)  # (line, reference)
    rejected: list[tuple[int, list[str]]] = field(default_factory=list)  # (line, reasons)

    def lines(self) -> list[str]:
        out = [f"line {n}: imported as {ref}" for n, ref in self.accepted]
        out += [f"line {n}: rejected: {'; '.join(reasons)}" for n, reasons in self.rejected]
        out.append(f"{len(self.accepted)} imported, {len(self.rejected)} rejected.")
        return out


def import_notes(actor: User, text: str) -> ImportReport:
    if actor.role != "secretariat":
        raise NotAllowed("Only the secretariat imports concept notes.")
    reader = csv.DictReader(io.StringIO(text))
    header = {h.strip() for h in reader.fieldnames or []}
    missing = REQUIRED_COLUMNS - header
    if missing:
        raise ServiceError(f"The file lacks the column(s) {', '.join(sorted(missing))}; the "
                           f"columns are: {', '.join(COLUMNS)}.")
    unknown = header - set(COLUMNS)
    if unknown:
        raise ServiceError(f"Unknown column(s) {', '.join(sorted(unknown))}; the columns are: "
                           f"{', '.join(COLUMNS)}.")
    report = ImportReport()
    lookups = _Lookups()
    # A first write opens the transaction, so that each row's savepoint nests inside it.
    record(actor, "notes_import_started", None, entity_type="concept_notes")
    for number, row in enumerate(reader, start=2):
        if number - 1 > MAX_ROWS:
            report.rejected.append((number, [f"more than {MAX_ROWS} rows; split the file"]))
            break
        row = {k.strip(): (v or "").strip() for k, v in row.items() if k}
        savepoint = db.session.begin_nested()
        try:
            note = _note_from_row(actor, row, lookups)
        except (ServiceError, ValueError) as exc:
            savepoint.rollback()
            reasons = [f"{name}: {p}" for name, ps in getattr(exc, "fields", {}).items()
                       for p in ps] or [getattr(exc, "message", str(exc))]
            report.rejected.append((number, reasons))
        else:
            savepoint.commit()
            report.accepted.append((number, note.reference))
    return report


class _Lookups:
    def __init__(self):
        self.countries = {c.iso3: c for c in db.session.scalars(select(Country))}
        self.entities = {o.acronym.upper(): o for o in db.session.scalars(
            select(Organisation).where(Organisation.kind == "un_entity"))}
        self.principles = {p.name.lower(): p.id for p in db.session.scalars(
            select(GuidingPrinciple))}


def _int(row: dict, name: str) -> int | None:
    text = row.get(name, "")
    if not text:
        return None
    if not text.isdecimal():
        raise ServiceError(f"{name} must be a whole number", fields={name: [f"'{text}' is not a "
                                                                          "whole number"]})
    return int(text)


def _note_from_row(actor: User, row: dict, lookups: _Lookups) -> ConceptNote:
    country = lookups.countries.get(row.get("country", "").upper())
    if country is None:
        raise ServiceError("unknown country", fields={"country": [
            f"'{row.get('country', '')}' is not an ISO alpha-3 code of a UN member state"]})
    punos = []
    for position, part in enumerate(p for p in row.get("punos", "").split(";") if p.strip()):
        name, _, amount = part.partition(":")
        lead = name.strip().endswith("*")
        acronym = name.strip().rstrip("*").strip().upper()
        entity = lookups.entities.get(acronym)
        if entity is None:
            raise ServiceError("unknown PUNO", fields={"punos": [
                f"'{acronym}' is not a UN Network member"]})
        try:
            cents = parse_usd(amount, allow_zero=True)
        except ValueError as exc:
            raise ServiceError("bad budget", fields={"punos": [f"{acronym}: {exc}"]}) from exc
        punos.append(services.PunoInput(entity.id, cents, lead or (position == 0 and "*" not in
                                                                    row["punos"])))
    principles = {}
    for part in (p for p in row.get("principles", "").split("|") if p.strip()):
        name, _, how = part.partition(":")
        pid = lookups.principles.get(name.strip().lower())
        if pid is None:
            raise ServiceError("unknown principle", fields={"principles": [
                f"'{name.strip()}' is not a guiding principle"]})
        principles[pid] = how.strip()
    endorsed = row.get("government_endorsed", "").lower() in ("yes", "true", "1", "y")
    endorsement_date = None
    if row.get("endorsement_date"):
        try:
            endorsement_date = date.fromisoformat(row["endorsement_date"])
        except ValueError as exc:
            raise ServiceError("bad date", fields={"endorsement_date": [
                "a date as YYYY-MM-DD"]}) from exc
    objectives = []
    for part in (p for p in row.get("objectives", "").replace(",", ";").split(";") if p.strip()):
        if not part.strip().isdecimal() or not 1 <= int(part) <= 23:
            raise ServiceError("bad objective", fields={"objectives": [
                f"'{part.strip()}' is not a GCM objective number (1 to 23)"]})
        objectives.append(int(part))
    data = {
        "title": row.get("title", ""),
        "is_regional": False,
        "thematic_area_id": _int(row, "thematic_area"),
        "objective_ids": objectives,
        "principles": principles,
        "punos": punos,
        "duration_months": _int(row, "duration_months"),
        "gender_marker": _int(row, "gender_marker"),
        "gender_justification": row.get("gender_justification", ""),
        "human_rights_marker": _int(row, "human_rights_marker"),
        "human_rights_justification": row.get("human_rights_justification", ""),
        "child_marker": _int(row, "child_marker"),
        "child_justification": row.get("child_justification", ""),
        "summary": row.get("summary", ""),
        "problem_statement": row.get("problem_statement", ""),
        "theory_of_change": row.get("theory_of_change", ""),
        "expected_results": row.get("expected_results", ""),
        "national_partners": [{"name": n.strip(), "kind": "government"}
                              for n in row.get("government_partners", "").split(";")
                              if n.strip()],
        "stakeholders": [{"group": g.strip(), "description": ""}
                         for g in row.get("stakeholders", "").split(";")
                         if g.strip() in services.STAKEHOLDER_GROUPS],
        "government_endorsed": endorsed,
        "endorsement_date": endorsement_date,
    }
    for marker in ("gender_marker", "human_rights_marker", "child_marker"):
        if data[marker] is not None and not 0 <= data[marker] <= 3:
            raise ServiceError("bad marker", fields={marker: ["a marker is 0, 1, 2 or 3"]})
    note = ConceptNote(status="draft", country_id=country.id, country=country,
                       created_by_id=actor.id)
    services.add_with_reference(note)
    services._apply(note, data)
    db.session.flush()
    found = services.problems(note)
    if found:
        raise ServiceError("invalid", fields=found)
    note.current_version = 1
    note.submitted_at = utcnow()
    note.status = "submitted"
    db.session.add(ConceptNoteVersion(note=note, number=1, submitted_by_id=actor.id,
                                      content=services.snapshot(note)))
    record(actor, "note_imported", note, after={"reference": note.reference,
                                                "status": "submitted"})
    return note
