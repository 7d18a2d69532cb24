"""``mptf notes import FILE.csv`` and the import page: the secretariat loads a batch of concept
notes.

A file that breaks a limit of its shape is refused whole with a sentence naming the limit:
its columns, more than ``MAX_ROWS`` rows, a field over ``MAX_FIELD_CHARS`` characters, a NUL
character, broken CSV. Otherwise each row is validated as a submission is
(``services.problems``); a good row becomes a submitted note, a bad row is listed with its
reasons and leaves nothing behind. The rows are checked in memory against reference data read
once, and the good ones written with one bulk statement per table, so that a file at the limits
imports in seconds, well inside a web worker's timeout (``bench/bench_import.py``)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from mptf.extensions import db
from mptf.models import (
    AuditEvent,
    ConceptNote,
    ConceptNoteVersion,
    Country,
    GcmObjective,
    GuidingPrinciple,
    NotePrinciple,
    Organisation,
    PunoBudgetLine,
    ThematicArea,
    User,
)
from mptf.models.base import utcnow
from mptf.models.pipeline import NoteStatus, note_objectives
from mptf.money import parse_usd
from mptf.pipeline import services
from mptf.pipeline.rules import indirect_cents
from mptf.services.audit import record
from mptf.services.errors import NotAllowed, ServiceError
from mptf.services.policy import Role

COLUMNS = [
    "country", "title", "thematic_area", "objectives", "principles", "punos",
    "duration_months", "gender_marker", "gender_justification", "human_rights_marker",
    "human_rights_justification", "child_marker", "child_justification", "summary",
    "problem_statement", "theory_of_change", "expected_results", "government_partners",
    "stakeholders", "government_endorsed", "endorsement_date",
]
REQUIRED_COLUMNS = {"country", "title", "thematic_area", "objectives", "punos"}
MAX_ROWS = 5_000
MAX_FIELD_CHARS = 20_000  # what the note form takes in its longest field
MAX_TITLE_CHARS = 300  # the form's, and the column's, limit


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
    if actor.role != Role.SECRETARIAT:
        raise NotAllowed("Only the secretariat imports concept notes.")
    # Every imported note is born a draft and submitted at once: the one move of the state
    # machine, checked once for the batch as services.move_note checks each note's.
    services.check_move(actor, NoteStatus.DRAFT, NoteStatus.SUBMITTED)
    rows = read_rows(text)
    report = ImportReport()
    lookups = _Lookups()
    # A first write opens the transaction, so that the savepoint below nests inside it.
    record(actor, "notes_import_started", None, entity_type="concept_notes")
    good: list[tuple[int, _Note]] = []
    for number, row in rows:
        try:
            good.append((number, _note_from_row(row, lookups)))
        except ServiceError as exc:
            reasons = [f"{name}: {p}" for name, ps in exc.fields.items() for p in ps] \
                or [exc.message]
            report.rejected.append((number, reasons))
    references = _insert(actor, [note for _, note in good])
    report.accepted = [(number, ref) for (number, _), ref in zip(good, references, strict=True)]
    return report


def read_rows(text: str) -> list[tuple[int, dict[str, str]]]:
    """The file's rows as (line, column -> stripped text); a ServiceError with a sentence when
    the file breaks a limit of its shape, before anything is checked or written."""
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise ServiceError(f"The file contains a NUL character (line {line}); save it again as "
                           "CSV UTF-8.")
    reader = csv.DictReader(io.StringIO(text, newline=""))  # "\r" ends a line too
    rows: list[tuple[int, dict[str, str]]] = []
    header_read = False
    try:
        _check_columns({h.strip() for h in reader.fieldnames or []})
        header_read = True
        for line, raw in enumerate(reader, start=2):
            if len(rows) == MAX_ROWS:
                raise ServiceError(f"The file has more than {MAX_ROWS:,} rows; split it into "
                                   f"files of at most {MAX_ROWS:,} rows and import each.")
            row = {k.strip(): (v or "").strip() for k, v in raw.items() if k}
            for name, value in row.items():
                if len(value) > MAX_FIELD_CHARS:
                    raise ServiceError(_too_long(f"line {line}, column {name},", len(value)))
            rows.append((line, row))
    except csv.Error as exc:  # on the header, or on the row after the last one kept
        line = len(rows) + 2 if header_read else 1
        if "field larger than field limit" in str(exc):
            raise ServiceError(_too_long(f"line {line}", None)) from exc
        raise ServiceError(f"The file is not readable CSV at line {line} ({exc}); save it "
                           "again as CSV UTF-8.") from exc
    return rows


def _too_long(where: str, length: int | None) -> str:
    size = f" holds {length:,} characters" if length else " holds a longer field"
    return (f"The file is refused: {where}{size}; a field holds at most {MAX_FIELD_CHARS:,} "
            "characters. Shorten it and import the file again.")


def _check_columns(header: set[str]) -> None:
    missing = REQUIRED_COLUMNS - header
    if missing:
        raise ServiceError(f"The file lacks the column(s) {', '.join(sorted(missing))}; the "
                           f"columns are: {', '.join(COLUMNS)}.")
    unknown = header - set(COLUMNS)
    if unknown:
        raise ServiceError(f"Unknown column(s) {', '.join(sorted(unknown))}; the columns are: "
                           f"{', '.join(COLUMNS)}.")


class _Lookups:
    """The reference data every row is checked against, read once for the whole file."""

    def __init__(self):
        self.countries = {c.iso3: c for c in db.session.scalars(select(Country))}
        self.entities = {o.acronym.upper(): o for o in db.session.scalars(
            select(Organisation).where(Organisation.kind == "un_entity"))}
        self.principles = {p.name.lower(): p for p in db.session.scalars(
            select(GuidingPrinciple))}
        self.areas = {a.id: a for a in db.session.scalars(select(ThematicArea))}
        self.objectives = {o.id: o for o in db.session.scalars(select(GcmObjective))}
        self.networks = services.country_networks()
        # Held here: the session keeps loaded rows only while someone refers to them, and
        # ``services.problems`` asks the session for the configuration once a note.
        self.fund = services.fund_config()
        self.rate_bp = self.fund.indirect_cost_rate_bp


def _whole(text: str) -> bool:
    return text.isascii() and text.isdecimal()


def _int(row: dict, name: str) -> int | None:
    text = row.get(name, "")
    if not text:
        return None
    if not _whole(text):
        raise ServiceError(f"{name} must be a whole number", fields={name: [f"'{text}' is not a "
                                                                          "whole number"]})
    return int(text)


@dataclass(frozen=True)
class _Line:
    """A PUNO budget line of a row, with the attributes of ``PunoBudgetLine`` that
    ``services.problems`` and ``services.snapshot`` read."""

    organisation: Organisation
    position: int
    is_lead: bool
    direct_cents: int
    indirect_cents: int

    @property
    def organisation_id(self) -> int:
        return self.organisation.id


@dataclass(frozen=True)
class _Principle:
    principle: GuidingPrinciple
    how: str

    @property
    def principle_id(self) -> int:
        return self.principle.id


TEXT_COLUMNS = ("gender_justification", "human_rights_justification", "child_justification",
                "summary", "problem_statement", "theory_of_change", "expected_results")


@dataclass
class _Note:
    """A good row as the note it becomes, in plain values: ``services.problems`` and
    ``services.snapshot`` read it as they read a ``ConceptNote`` (they only read), without the
    ORM's bookkeeping of some 25,000 instrumented objects, which was a third of the time of a
    5,000-row import."""

    country: Country
    thematic_area: ThematicArea | None
    title: str
    duration_months: int | None
    gender_marker: int | None
    human_rights_marker: int | None
    child_marker: int | None
    gender_justification: str
    human_rights_justification: str
    child_justification: str
    summary: str
    problem_statement: str
    theory_of_change: str
    expected_results: str
    national_partners: list[dict[str, str]]
    stakeholders: list[dict[str, str]]
    government_endorsed: bool
    endorsement_date: date | None
    objectives: list[GcmObjective]
    principles: list[_Principle]
    puno_lines: list[_Line]
    status: str = NoteStatus.SUBMITTED
    is_regional: bool = False
    current_version: int = 1
    countries: tuple = ()
    attachments: tuple = ()

    @property
    def country_id(self) -> int:
        return self.country.id

    @property
    def thematic_area_id(self) -> int | None:
        return self.thematic_area.id if self.thematic_area else None

    @property
    def total_direct_cents(self) -> int:
        return sum(line.direct_cents for line in self.puno_lines)

    @property
    def total_indirect_cents(self) -> int:
        return sum(line.indirect_cents for line in self.puno_lines)

    @property
    def total_cents(self) -> int:
        return self.total_direct_cents + self.total_indirect_cents


def _punos(row: dict, lookups: _Lookups) -> list[_Line]:
    lines: list[_Line] = []
    seen: set[int] = set()
    for position, part in enumerate(p for p in row.get("punos", "").split(";") if p.strip()):
        name, _, amount = part.partition(":")
        lead = name.strip().endswith("*")
        acronym = name.strip().rstrip("*").strip().upper()
        entity = lookups.entities.get(acronym)
        if entity is None:
            raise ServiceError("unknown PUNO", fields={"punos": [
                f"'{acronym}' is not a UN Network member"]})
        if entity.id in seen:
            raise ServiceError("PUNO twice", fields={"punos": [f"'{acronym}' is listed twice"]})
        seen.add(entity.id)
        try:
            cents = parse_usd(amount, allow_zero=True)
        except ValueError as exc:
            raise ServiceError("bad budget", fields={"punos": [f"{acronym}: {exc}"]}) from exc
        lines.append(_Line(entity, position, lead or (position == 0 and "*" not in row["punos"]),
                           cents, indirect_cents(cents, lookups.rate_bp)))
    return lines


def _principles(row: dict, lookups: _Lookups) -> list[_Principle]:
    chosen: dict[int, _Principle] = {}
    for part in (p for p in row.get("principles", "").split("|") if p.strip()):
        name, _, how = part.partition(":")
        principle = lookups.principles.get(name.strip().lower())
        if principle is None:
            raise ServiceError("unknown principle", fields={"principles": [
                f"'{name.strip()}' is not a guiding principle"]})
        chosen[principle.id] = _Principle(principle, how.strip())
    return [chosen[pid] for pid in sorted(chosen)]


def _objectives(row: dict, lookups: _Lookups) -> list[GcmObjective]:
    ids: set[int] = set()
    for part in (p.strip() for p in row.get("objectives", "").replace(",", ";").split(";")):
        if not part:
            continue
        if not _whole(part) or int(part) not in lookups.objectives:
            raise ServiceError("bad objective", fields={"objectives": [
                f"'{part}' is not a GCM objective number (1 to {len(lookups.objectives)})"]})
        ids.add(int(part))
    return [lookups.objectives[i] for i in sorted(ids)]


def _note_from_row(row: dict, lookups: _Lookups) -> _Note:
    """The row as the submitted note it becomes, checked as a submission is, without a query;
    a ServiceError with the row's reasons by column when it cannot be submitted."""
    country = lookups.countries.get(row.get("country", "").upper())
    if country is None:
        raise ServiceError("unknown country", fields={"country": [
            f"'{row.get('country', '')}' is not an ISO alpha-3 code of a UN member state"]})
    title = row.get("title", "")
    if len(title) > MAX_TITLE_CHARS:
        raise ServiceError("long title", fields={"title": [
            f"at most {MAX_TITLE_CHARS} characters; this one has {len(title):,}"]})
    area_id = _int(row, "thematic_area")
    if area_id is not None and area_id not in lookups.areas:
        raise ServiceError("unknown area", fields={"thematic_area": [
            f"'{area_id}' is not a thematic area number (1 to {len(lookups.areas)})"]})
    endorsement_date = None
    if row.get("endorsement_date"):
        try:
            endorsement_date = date.fromisoformat(row["endorsement_date"])
        except ValueError as exc:
            raise ServiceError("bad date", fields={"endorsement_date": [
                "a date as YYYY-MM-DD"]}) from exc
    markers = {m: _int(row, m) for m in ("gender_marker", "human_rights_marker", "child_marker")}
    for marker, value in markers.items():
        if value is not None and not 0 <= value <= 3:
            raise ServiceError("bad marker", fields={marker: ["a marker is 0, 1, 2 or 3"]})
    note = _Note(
        country=country, thematic_area=lookups.areas.get(area_id), title=title,
        duration_months=_int(row, "duration_months"), **markers,
        **{name: row.get(name, "") for name in TEXT_COLUMNS},
        national_partners=[{"name": n.strip(), "kind": "government"}
                           for n in row.get("government_partners", "").split(";") if n.strip()],
        stakeholders=[{"group": g.strip(), "description": ""}
                      for g in row.get("stakeholders", "").split(";")
                      if g.strip() in services.STAKEHOLDER_GROUPS],
        government_endorsed=row.get("government_endorsed", "").lower() in ("yes", "true", "1",
                                                                           "y"),
        endorsement_date=endorsement_date, objectives=_objectives(row, lookups),
        principles=_principles(row, lookups), puno_lines=_punos(row, lookups))
    found = services.problems(note, networks=lookups.networks)
    if found:
        raise ServiceError("invalid", fields=found)
    return note


NOTES = ConceptNote.__table__
NOTE_COLUMNS = (
    "status", "country_id", "current_version",
    "total_direct_cents", "total_indirect_cents", "total_cents", *services.SCALAR_FIELDS,
    "national_partners", "stakeholders",
)


def _insert(actor: User, notes: list[_Note]) -> list[str]:
    """Write ``notes`` (built by ``_note_from_row``), their PUNO lines, objectives, principles,
    first versions and audit events: one bulk statement per table. Returns their references.
    A note created elsewhere at the same moment may take a number computed here; the notes'
    insert then fails in its savepoint and is numbered again from the new last one."""
    if not notes:
        return []
    now = utcnow()
    rows = [{name: getattr(note, name) for name in NOTE_COLUMNS}
            | {"created_by_id": actor.id, "created_at": now, "updated_at": now,
               "submitted_at": now, "lock_version": 1}
            for note in notes]
    for _ in range(services.REFERENCE_ATTEMPTS):
        references = _references(now, len(notes))
        for row, reference in zip(rows, references, strict=True):
            row["reference"] = reference
        savepoint = db.session.begin_nested()
        try:
            db.session.execute(insert(NOTES), rows)
        except IntegrityError:
            savepoint.rollback()
            continue
        savepoint.commit()
        break
    else:
        raise ServiceError("Could not number the imported notes; please try again.",
                           status=409, code="conflict")
    # Read back by reference, not with RETURNING: SQLite returns rows in no promised order, and
    # SQLAlchemy then sends one INSERT a row to keep them in order.
    by_reference = dict(db.session.execute(select(NOTES.c.reference, NOTES.c.id).where(
        NOTES.c.reference.in_(references))).all())
    _children(actor, notes, [by_reference[r] for r in references], references, now)
    return references


def _references(now: datetime, count: int) -> list[str]:
    first = services.next_reference(now.year)
    prefix, _, number = first.rpartition("-")
    return [f"{prefix}-{int(number) + i:04d}" for i in range(count)]


def _children(actor: User, notes: list[_Note], ids: list[int], references: list[str],
              now: datetime) -> None:
    lines, objectives, principles, versions, events = [], [], [], [], []
    for note, note_id, reference in zip(notes, ids, references, strict=True):
        lines += [{"note_id": note_id, "organisation_id": line.organisation_id,
                   "is_lead": line.is_lead, "position": line.position,
                   "direct_cents": line.direct_cents, "indirect_cents": line.indirect_cents}
                  for line in note.puno_lines]
        objectives += [{"note_id": note_id, "objective_id": o.id} for o in note.objectives]
        principles += [{"note_id": note_id, "principle_id": p.principle_id, "how": p.how}
                       for p in note.principles]
        versions.append({"note_id": note_id, "number": 1, "submitted_at": now,
                         "submitted_by_id": actor.id, "content": services.snapshot(note)})
        events.append({"at": now, "actor_id": actor.id, "action": "note_imported",
                       "entity_type": ConceptNote.__tablename__, "entity_id": note_id,
                       "after": {"reference": reference, "status": NoteStatus.SUBMITTED}})
    for table, values in ((PunoBudgetLine.__table__, lines), (note_objectives, objectives),
                          (NotePrinciple.__table__, principles),
                          (ConceptNoteVersion.__table__, versions),
                          (AuditEvent.__table__, events)):
        if values:
            db.session.execute(insert(table), values)
