"""The load test's PostgreSQL database: 10,000 concept notes, 50 closed review rounds with
1,000,000 scores, an open round, six approved funding cycles and the accounts that drive the
traffic. Used by ``bench/load.py``; described in docs/load.md.

The schema and the reference data come from the app (``db.create_all()``,
``seed_reference_data()``), the accounts and the committee from the services and the ORM; the
bulk (notes, rounds, reviews, scores, allocations) is written with PostgreSQL ``COPY``, with
the foreign-key triggers off for the copy (``session_replication_role = replica``): the rows
are generated consistent, and every constraint other than the foreign keys is still checked.
The closed rounds' results are computed by ``scoring.aggregate_round``, as closing a round
does.
"""

from __future__ import annotations

import bisect
import json
import random
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

PASSWORD = "load-test-password"
N_NOTES = 10_000
N_CLOSED_ROUNDS = 50
NOTES_PER_ROUND = 250
REVIEWS_PER_NOTE = 10  # of the 11 scoring members seated; 50 x 250 x 10 x 8 = 1,000,000 scores
OPEN_ROUND_NOTES = 200
N_TEAMS = 60  # country-team accounts, one per country with the most drafts
N_SECRETARIAT = 6
CHEAP_HASH = "pbkdf2:sha256:1000"

UN_NETWORK = ["UNESCO", "UNDP", "ILO", "UNHCR", "UNICEF", "OHCHR", "UNODC", "UN Women", "WHO",
              "UNFPA", "UNEP", "FAO"]
CONTRIBUTING = ["DEU", "NLD", "GBR", "CHE", "SWE", "NOR", "DNK", "BEL", "ESP", "FRA", "IRL",
                "PRT"]
COTD = ["KEN", "MEX", "PHL", "MAR", "BGD", "ECU", "GHA", "IDN", "NGA", "TUR", "GTM", "SEN"]
DONORS = ["DEU", "NLD", "GBR", "CHE", "SWE", "NOR", "DNK", "BEL", "ESP", "FRA", "IRL", "PRT",
          "MEX", "PHL", "TUR"]

THEMES = [
    "Safe labour migration corridors", "Climate mobility and disaster displacement",
    "Return and sustainable reintegration", "Fair recruitment of migrant workers",
    "Migration data for evidence-based policy", "Combating trafficking in persons",
    "Social cohesion and inclusion of migrants", "Consular protection and assistance",
    "Regular pathways for family reunification", "Alternatives to immigration detention",
    "Skills partnerships and recognition of qualifications", "Remittances and financial inclusion",
]
SENTENCES = [
    "Migrant workers pay recruitment fees that keep them in debt for years.",
    "Local authorities lack the data to plan services for people on the move.",
    "The programme brings the ministries of labour, interior and foreign affairs together.",
    "Women migrant workers and their organisations shape every activity.",
    "Children left behind and unaccompanied children are protected by case management.",
    "Civil society and diaspora organisations monitor the results with the government.",
    "Slow-onset climate change drives rural people to the capital's informal settlements.",
    "Returnees receive psychosocial support, skills training and access to credit.",
    "Border officials are trained on human rights-based screening and referral.",
    "A national coordination mechanism on migration reports to parliament each year.",
    "Bilateral labour agreements include standard employment contracts and complaint channels.",
    "Disaggregated data are published on an open portal every quarter.",
]


@dataclass
class Built:
    """What the traffic needs to know about the database it drives."""

    url: str
    seconds: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)
    secretariat: list[str] = field(default_factory=list)
    # email -> ids of that team's editable notes (draft or returned)
    teams: dict[str, list[int]] = field(default_factory=dict)
    # the current members' accounts: each membership's representative, then its alternate
    reviewers: list[str] = field(default_factory=list)
    open_round: int = 0
    closed_rounds: list[int] = field(default_factory=list)
    allocations: list[int] = field(default_factory=list)
    note_ids: list[int] = field(default_factory=list)


class SetupError(RuntimeError):
    """A sentence saying why the load test cannot run."""


# --- PostgreSQL -----------------------------------------------------------------------------

def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def prepare_database(server_url: str, name: str) -> str:
    """Create database ``name`` on the server if missing and empty it; returns its URL."""
    import psycopg

    admin = f"{server_url.rstrip('/')}/postgres"
    try:
        with psycopg.connect(_libpq(admin), autocommit=True, connect_timeout=5) as conn:
            if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() \
                    is None:
                conn.execute(f'CREATE DATABASE "{name}"')
            # A previous run's server may still hold connections to the load database.
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                         "WHERE datname = %s AND pid <> pg_backend_pid()", (name,))
    except psycopg.OperationalError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SetupError(f"PostgreSQL is not reachable at {server_url} ({first}); start it, or "
                         "give another server with --server.") from exc
    url = f"{server_url.rstrip('/')}/{name}"
    with psycopg.connect(_libpq(url), autocommit=True, connect_timeout=5) as conn:
        conn.execute("DROP SCHEMA IF EXISTS public CASCADE")
        conn.execute("CREATE SCHEMA public")
    return url


def _value(v: Any) -> Any:
    if isinstance(v, dict | list):
        return json.dumps(v)
    return v


def _defaults(table) -> dict[str, Any]:
    out = {}
    for column in table.columns:
        default, value = column.default, None
        if default is not None:
            if default.is_scalar:
                value = default.arg
            elif default.is_callable:
                value = default.arg(None)
        out[column.name] = _value(value)
    return out


def copy_rows(cursor, table, rows: Sequence[dict[str, Any]]) -> int:
    """COPY dict rows into ``table`` (a SQLAlchemy Table); a missing column gets the model's
    default, as the ORM would give it, and rows without an ``id`` take the next ids of the
    table's sequence."""
    columns = [c.name for c in table.columns
               if not (c.name == "id" and rows and "id" not in rows[0])]
    defaults = _defaults(table)
    n = 0
    names = ", ".join(f'"{c}"' for c in columns)
    with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row([_value(row[c]) if c in row else defaults[c] for c in columns])
            n += 1
    return n


def copy_tuples(cursor, table_name: str, columns: Sequence[str], rows: Iterable[tuple]) -> int:
    n = 0
    names = ", ".join(f'"{c}"' for c in columns)
    with cursor.copy(f'COPY "{table_name}" ({names}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row(row)
            n += 1
    return n


# --- the build ------------------------------------------------------------------------------

def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, 28))


def _text(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(SENTENCES) for _ in range(n))


def build(url: str, log=print, seed: int = 2026) -> Built:
    """Build the whole database at ``url`` (already empty). Returns what the traffic needs."""
    from mptf import create_app

    started = time.perf_counter()
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "load-build",
                      "PASSWORD_HASH_METHOD": CHEAP_HASH})
    built = Built(url=url)
    with app.app_context():
        from mptf.extensions import db

        try:
            _build(app, built, random.Random(seed), log)
        finally:
            db.session.remove()
            db.engine.dispose()
    built.seconds = time.perf_counter() - started
    return built


def _build(app, built: Built, rng: random.Random, log) -> None:  # noqa: C901 (one long recipe)
    import psycopg

    from mptf.auth.services import create_user
    from mptf.extensions import db
    from mptf.models import (
        Allocation,
        Assignment,
        AuditEvent,
        ConceptNote,
        ConceptNoteVersion,
        Contribution,
        Country,
        CountryNetwork,
        CountryNetworkMember,
        FundingCycle,
        GcmObjective,
        GuidingPrinciple,
        Membership,
        MembershipRepresentative,
        NotePrinciple,
        Organisation,
        Review,
        ReviewRound,
        RoundCriterion,
        RoundNote,
        Screening,
        Seat,
        TransferLine,
        User,
    )
    from mptf.models.money import cycle_rounds
    from mptf.models.pipeline import note_objectives
    from mptf.reference.seed import seed_reference_data
    from mptf.review.services import fund_rubric
    from scoring import AllocationPolicy, aggregate_round

    today = date.today()
    now = datetime.now().replace(microsecond=0)
    step = time.perf_counter()

    def lap(what: str) -> None:
        nonlocal step
        t = time.perf_counter()
        log(f"  {what}: {t - step:.1f} s")
        step = t

    db.create_all()
    seed_reference_data()
    db.session.commit()
    lap("schema and reference data")

    # -- reference ids
    countries = db.session.execute(db.select(Country.id, Country.iso3, Country.name)).all()
    country_name = {c.id: c.name for c in countries}
    iso3 = {c.id: c.iso3 for c in countries}
    entities = dict(db.session.execute(db.select(Organisation.acronym, Organisation.id).where(
        Organisation.kind == "un_entity")).all())
    network_entities = list(db.session.scalars(db.select(Organisation.id).where(
        Organisation.kind == "un_entity", Organisation.network_member).order_by(
        Organisation.id)))
    acronym = {v: k for k, v in entities.items()}
    states = dict(db.session.execute(db.select(Organisation.acronym, Organisation.id).where(
        Organisation.kind == "state")).all())
    stakeholders = list(db.session.scalars(db.select(Organisation.id).where(
        Organisation.kind == "stakeholder").order_by(Organisation.id)))
    objectives_by_area: dict[int, list[int]] = defaultdict(list)
    for oid, area in db.session.execute(db.select(GcmObjective.id,
                                                  GcmObjective.thematic_area_id)):
        objectives_by_area[area].append(oid)
    objective_title = dict(db.session.execute(db.select(GcmObjective.id,
                                                        GcmObjective.short_title)).all())
    principles = dict(db.session.execute(db.select(GuidingPrinciple.id,
                                                   GuidingPrinciple.name)).all())
    required = [pid for pid, name in principles.items()
                if "gender" in name.lower() or "child" in name.lower()]
    optional = [pid for pid in principles if pid not in required]
    networks: dict[int, list[int]] = defaultdict(list)
    for country_id, org_id in db.session.execute(
            db.select(CountryNetwork.country_id, CountryNetworkMember.organisation_id)
            .join(CountryNetworkMember, CountryNetworkMember.network_id == CountryNetwork.id)):
        networks[country_id].append(org_id)
    seats = {(s.constituency, s.position): s.id for s in db.session.scalars(db.select(Seat))}

    # -- the committee: four two-year terms of every seat, a representative each; in the
    # current term an alternate too
    first_year = today.year - 7
    terms = [(date(first_year + 2 * k, 1, 1), date(first_year + 2 * k + 2, 1, 1))
             for k in range(4)]
    scoring_seats = ([("un_network", p) for p in (1, 2, 3)]
                     + [("contributing_state", p) for p in (1, 2, 3)]
                     + [("cotd_state", p) for p in (1, 2, 3)]
                     + [("stakeholder", p) for p in (1, 2)])
    members_by_term: list[list[int]] = []
    alternates: list[str] = []
    reviewer_of: dict[int, int] = {}  # membership id -> representative user id
    membership_org: dict[int, int] = {}
    bias: dict[int, float] = {}
    for t, (start, end) in enumerate(terms):
        ids = []
        for constituency, position in scoring_seats:
            k = t * 3 + position - 1
            party = {"un_network": lambda k=k: entities[UN_NETWORK[k % len(UN_NETWORK)]],
                     "contributing_state": lambda k=k: states[CONTRIBUTING[k % 12]],
                     "cotd_state": lambda k=k: states[COTD[k % 12]],
                     "stakeholder": lambda t=t, position=position:
                         stakeholders[(t * 2 + position - 1) % len(stakeholders)]}[constituency]()
            m = Membership(seat_id=seats[(constituency, position)], organisation_id=party,
                           start_date=start, end_date=end)
            db.session.add(m)
            db.session.flush()
            rep = create_user(f"reviewer-{m.id}@example.org", PASSWORD, "reviewer",
                              name=f"Reviewer {m.id}")
            db.session.add(MembershipRepresentative(membership_id=m.id, user_id=rep.id))
            if t == len(terms) - 1:
                alt = create_user(f"alternate-{m.id}@example.org", PASSWORD, "reviewer",
                                  name=f"Alternate {m.id}")
                db.session.add(MembershipRepresentative(membership_id=m.id, user_id=alt.id,
                                                        is_alternate=True))
                built.reviewers.append(rep.email)
                alternates.append(alt.email)
            reviewer_of[m.id] = rep.id
            membership_org[m.id] = party
            bias[m.id] = rng.gauss(0, 0.35)
            ids.append(m.id)
        chair_m = Membership(seat_id=seats[("chair", 1)], organisation_id=entities["IOM"],
                             start_date=start, end_date=end)
        db.session.add(chair_m)
        members_by_term.append(ids)
    db.session.flush()
    built.reviewers += alternates  # representatives first, then their alternates
    chair = create_user("chair@example.org", PASSWORD, "chair", name="Steering Committee Chair")
    chair_membership = db.session.scalar(db.select(Membership.id).where(
        Membership.seat_id == seats[("chair", 1)], Membership.start_date == terms[-1][0]))
    db.session.add(MembershipRepresentative(membership_id=chair_membership, user_id=chair.id))
    create_user("fund-office@example.org", PASSWORD, "fund_office", name="MPTF Office")
    create_user("admin@example.org", PASSWORD, "admin", name="Administrator")
    for i in range(1, N_SECRETARIAT + 1):
        u = create_user(f"secretariat-{i}@example.org", PASSWORD, "secretariat",
                        name=f"Secretariat officer {i}")
        built.secretariat.append(u.email)
    db.session.commit()
    lap("committee and staff accounts")

    def term_of(day: date) -> int:
        return next(i for i, (s, e) in enumerate(terms) if s <= day < e)

    # -- concept notes: a skewed spread over countries, dates over the eight years
    country_ids = [c.id for c in countries]
    rng.shuffle(country_ids)
    weights = [1.0 / (rank + 3) ** 0.9 for rank in range(len(country_ids))]
    epoch = datetime.combine(terms[0][0], datetime.min.time()) - timedelta(days=300)
    span = (datetime.combine(today, datetime.min.time()) - timedelta(days=10) - epoch)
    quality: dict[int, float] = {}
    notes, lines, objectives_rows, principle_rows, versions, screenings, events = \
        [], [], [], [], [], [], []
    line_id = version_id = screening_id = 0
    team_notes: dict[int, list[int]] = defaultdict(list)
    for i in range(1, N_NOTES + 1):
        country = rng.choices(country_ids, weights)[0]
        area = rng.randint(1, 5)
        kind = rng.random()
        status = ("draft" if kind < 0.08 else "returned" if kind < 0.11 else
                  "submitted" if kind < 0.14 else "withdrawn" if kind < 0.15 else "pipeline")
        if status == "draft":
            created = now - timedelta(days=rng.uniform(1, 150))
            submitted = pipeline_at = None
        elif status in ("returned", "submitted"):
            submitted = now - timedelta(days=rng.uniform(1, 45 if status == "submitted" else 200))
            created = submitted - timedelta(days=rng.uniform(10, 90))
            pipeline_at = None
        else:
            submitted = epoch + span * rng.random()
            created = submitted - timedelta(days=rng.uniform(10, 90))
            pipeline_at = min(submitted + timedelta(days=rng.uniform(15, 45)),
                              now - timedelta(days=1))
        expires = _add_months(pipeline_at.date(), 24) if pipeline_at else None
        if status == "pipeline" and expires <= today:
            status = "expired"
        if status == "withdrawn" and submitted is None:
            status = "draft"
        pool = networks.get(country) or network_entities
        if len(pool) < 2:
            pool = network_entities
        punos = rng.sample(pool, min(len(pool), rng.choice((2, 2, 3, 3, 4))))
        total_direct = rng.randrange(93, 280) * 1_000_000
        parts = [total_direct // len(punos)] * len(punos)
        parts[0] += total_direct - sum(parts)
        indirect = [(p * 700 + 5000) // 10000 for p in parts]
        for position, (org, direct, ind) in enumerate(zip(punos, parts, indirect, strict=True)):
            line_id += 1
            lines.append((line_id, i, org, position == 0, position, direct, ind))
        theme = rng.choice(THEMES)
        title = f"{theme} in {country_name[country]}"
        if rng.random() < 0.4:
            title += f", phase {rng.randint(2, 3)}"
        objs = rng.sample(objectives_by_area[area], min(len(objectives_by_area[area]),
                                                        rng.randint(1, 3)))
        objectives_rows.extend((i, o) for o in objs)
        chosen = required + rng.sample(optional, rng.randint(0, 2))
        principle_rows.extend((i, p, _text(rng, 1)) for p in chosen)
        quality[i] = rng.gauss(3.3, 0.6)
        version = 0 if submitted is None else 1
        note = {
            "id": i, "reference": f"MIG-{(submitted or created).year}-{i:05d}",
            "status": status, "title": title, "country_id": country, "is_regional": False,
            "thematic_area_id": area, "duration_months": rng.choice((18, 24, 24, 30, 36)),
            "gender_marker": rng.choice((1, 2, 2, 2, 3)),
            "gender_justification": _text(rng, 2),
            "human_rights_marker": rng.choice((1, 2, 2, 3)),
            "human_rights_justification": _text(rng, 2),
            "child_marker": rng.choice((0, 1, 1, 2)), "child_justification": _text(rng, 1),
            "summary": _text(rng, 3), "problem_statement": _text(rng, 5),
            "theory_of_change": _text(rng, 4), "expected_results": _text(rng, 3),
            "national_partners": [{"name": "Ministry of Labour", "kind": "government"},
                                  {"name": "Migrant workers' association",
                                   "kind": "migrant_organisation"}],
            "stakeholders": [{"group": "civil_society", "description": "Monitor results."},
                             {"group": "migrants", "description": "Co-design the services."}],
            "government_endorsed": True,
            "endorsement_date": (submitted or created).date() - timedelta(days=5),
            "total_direct_cents": total_direct, "total_indirect_cents": sum(indirect),
            "total_cents": total_direct + sum(indirect), "current_version": version,
            "created_at": created, "updated_at": pipeline_at or submitted or created,
            "submitted_at": submitted, "pipeline_at": pipeline_at, "expires_on": expires,
            "score": None,
        }
        notes.append(note)
        if status in ("draft", "returned"):
            team_notes[country].append(i)
        if version:
            version_id += 1
            versions.append({
                "id": version_id, "note_id": i, "number": 1, "submitted_at": submitted,
                "content": {
                    "title": title, "countries": [country_name[country]], "regional": False,
                    "thematic_area": f"{area}", "duration_months": note["duration_months"],
                    "objectives": [f"Objective {o}: {objective_title[o]}" for o in objs],
                    "principles": [f"{principles[p]}: ..." for p in chosen],
                    "punos": [f"{acronym.get(o, o)}: direct {d / 100:,.2f}"
                              for o, d in zip(punos, parts, strict=True)],
                    "total": f"USD {note['total_cents'] / 100:,.2f}",
                    "summary": note["summary"], "problem_statement": note["problem_statement"],
                    "theory_of_change": note["theory_of_change"],
                    "expected_results": note["expected_results"]}})
            events.append({"at": created, "action": "note_created",
                           "entity_type": "concept_notes", "entity_id": i,
                           "after": {"reference": note["reference"], "title": title}})
            events.append({"at": submitted, "action": "note_submitted",
                           "entity_type": "concept_notes", "entity_id": i,
                           "after": {"version": 1}})
        if pipeline_at is not None or status == "returned":
            screening_id += 1
            screened_at = pipeline_at or submitted + timedelta(days=20)
            screenings.append({
                "id": screening_id, "note_id": i, "version_number": 1,
                "checklist": {"complete": True, "punos_eligible": True,
                              "budget_within_limits": True, "markers_justified": True,
                              "endorsement_present": status != "returned"},
                "outcome": "returned" if status == "returned" else "pipeline",
                "reasons": "Attach the government's endorsement letter."
                if status == "returned" else "", "screened_at": screened_at})
    by_id = {n["id"]: n for n in notes}

    # -- country-team accounts for the countries with the most editable notes
    team_countries = sorted(team_notes, key=lambda c: (-len(team_notes[c]), c))[:N_TEAMS]
    for country in team_countries:
        u = create_user(f"team-{iso3[country].lower()}@example.org", PASSWORD, "country_team",
                        name=f"UN country team {country_name[country]}",
                        country_iso3=iso3[country])
        built.teams[u.email] = team_notes[country]
        for note_id in team_notes[country]:
            by_id[note_id]["created_by_id"] = u.id
    db.session.commit()
    lap(f"{N_NOTES:,} notes generated, {len(team_countries)} country teams")

    # -- 50 closed rounds: 250 notes each that were in the pipeline on the opening day,
    # the 11 members seated that day assigned, 10 of them submitting a review
    rubric = fund_rubric()
    criteria = list(rubric)
    lines_of: dict[int, list[tuple]] = defaultdict(list)
    for line in lines:
        lines_of[line[1]].append(line)
    in_pipeline = sorted((n["pipeline_at"], n["id"]) for n in notes if n["pipeline_at"])
    pipeline_days = [p for p, _ in in_pipeline]
    first_open = terms[0][0] + timedelta(days=30)
    last_open = today - timedelta(days=75)
    gap = (last_open - first_open) / (N_CLOSED_ROUNDS - 1)
    rounds, criteria_rows, round_notes, assignments = [], [], [], []
    review_rows: list[tuple] = []
    score_batches: list[np.ndarray] = []
    criterion_id = round_note_id = assignment_id = review_id = 0
    latest_score: dict[int, tuple[datetime, float]] = {}
    scored_in: dict[int, list[tuple[date, int, float]]] = defaultdict(list)
    np_rng = np.random.default_rng(7)
    for r in range(1, N_CLOSED_ROUNDS + 2):
        is_open = r == N_CLOSED_ROUNDS + 1
        opens = today - timedelta(days=14) if is_open else first_open + gap * (r - 1)
        closes = opens + timedelta(days=30)
        opened_at = datetime.combine(opens, datetime.min.time()) + timedelta(hours=9)
        closed_at = None if is_open else opened_at + timedelta(days=31)
        rounds.append({
            "id": r, "name": (f"Review round {opens:%Y}-{r:02d}" if not is_open
                              else f"Review round {opens:%Y}-{r:02d} (open)"),
            "status": "open" if is_open else "closed", "opens_on": opens, "closes_on": closes,
            "quorum": 3, "disagreement_threshold": 25.0, "calibrate": False,
            "created_at": opened_at - timedelta(days=7), "opened_at": opened_at,
            "closed_at": closed_at})
        crit_ids = {}
        for position, c in enumerate(criteria, start=1):
            criterion_id += 1
            crit_ids[c.code] = criterion_id
            criteria_rows.append({
                "id": criterion_id, "round_id": r, "position": position, "code": c.code,
                "label": c.label, "guidance": c.guidance, "weight": float(c.weight),
                "scale_min": int(c.scale_min), "scale_max": int(c.scale_max)})
        # the notes in the pipeline on the opening day
        opening = datetime.combine(opens, datetime.min.time())
        lo = bisect.bisect_left(pipeline_days, datetime.combine(_add_months(opens, -24),
                                                                datetime.min.time()))
        hi = bisect.bisect_left(pipeline_days, opening)
        candidates = [nid for _, nid in in_pipeline[lo:hi]]
        if is_open:
            candidates = [nid for nid in candidates if by_id[nid]["status"] == "pipeline"]
        chosen = sorted(rng.sample(candidates, min(len(candidates),
                                                   OPEN_ROUND_NOTES if is_open
                                                   else NOTES_PER_ROUND)))
        members = members_by_term[term_of(opens)]
        round_reviews: list[tuple[int, int]] = []  # (note, membership) with a submitted review
        for note_id in chosen:
            round_note_id += 1
            round_notes.append({"id": round_note_id, "round_id": r, "note_id": note_id,
                                "version_number": 1, "committee_comment": ""})
            # In the open round a UN entity is recused from the notes it takes part in, as
            # opening a round detects; about a third of the reviews are in already.
            recused = ({m for m in members if membership_org[m] in
                        {line[2] for line in lines_of[note_id]}} if is_open else set())
            if is_open:
                reviewing = [m for m in members if m not in recused and rng.random() < 0.3]
            else:
                reviewing = rng.sample(members, REVIEWS_PER_NOTE)
            for m in members:
                assignment_id += 1
                assignments.append({
                    "id": assignment_id, "round_id": r, "note_id": note_id,
                    "membership_id": m, "status": "recused" if m in recused else "assigned",
                    "recusal_reason": f"detected: {acronym.get(membership_org[m])} takes part "
                                      "in the programme" if m in recused else ""})
            round_reviews.extend((note_id, m) for m in reviewing)
        # reviews and their eight scores each
        n = len(round_reviews)
        if n:
            q = np.array([quality[nid] for nid, _ in round_reviews])
            b = np.array([bias[m] for _, m in round_reviews])
            values = np.clip(np.rint(q[:, None] + b[:, None]
                                     + np_rng.normal(0, 0.6, (n, len(criteria)))), 1, 5
                             ).astype("int64")
            first_review = review_id + 1
            for nid, m in round_reviews:
                review_id += 1
                submitted_at = opened_at + timedelta(hours=int(np_rng.integers(2, 300)))
                review_rows.append((review_id, r, nid, m, reviewer_of[m], "submitted", "",
                                    submitted_at, submitted_at))
            ids = np.arange(first_review, review_id + 1)
            score_batches.append(np.column_stack([
                np.repeat(ids, len(criteria)),
                np.tile(np.array(list(crit_ids.values())), n),
                values.reshape(-1)]))
            if not is_open:
                frame = pd.DataFrame({
                    "note_id": np.repeat([nid for nid, _ in round_reviews], len(criteria)),
                    "reviewer_id": np.repeat([m for _, m in round_reviews], len(criteria)),
                    "criterion": np.tile([c.code for c in criteria], n),
                    "value": values.reshape(-1)})
                results = aggregate_round(frame, rubric, quorum=3, disagreement_threshold=25.0)
                by_note = {rn["note_id"]: rn for rn in round_notes[-len(chosen):]}
                for note_id, row in results.iterrows():
                    rn = by_note[int(note_id)]
                    rn.update({
                        "n_reviews": int(row["n_reviews"]), "mean": float(row["mean"]),
                        "median": float(row["median"]),
                        "std": None if pd.isna(row["std"]) else float(row["std"]),
                        "spread": float(row["spread"]), "calibrated": float(row["calibrated"]),
                        "score": float(row["score"]), "rank": int(row["rank"]),
                        "quorum_met": bool(row["quorum_met"]),
                        "disagreement": bool(row["disagreement"])})
                    previous = latest_score.get(int(note_id))
                    if previous is None or previous[0] < closed_at:
                        latest_score[int(note_id)] = (closed_at, float(row["score"]))
                    scored_in[int(note_id)].append((closes, r, float(row["score"])))
        if not is_open:
            built.closed_rounds.append(r)
        else:
            built.open_round = r
    for note_id, (_, score) in latest_score.items():
        by_id[note_id]["score"] = round(score, 4)
    scores_total = sum(len(b) for b in score_batches)
    lap(f"{len(rounds)} rounds, {len(review_rows):,} reviews, {scores_total:,} scores "
        "generated (aggregate_round per closed round)")

    # -- six approved funding cycles: the best-scored notes still in the pipeline on the
    # decision day, 35 a cycle, funded from the donors' contributions
    cycles, cycle_round_rows, allocation_rows, transfer_rows = [], [], [], []
    allocated_total = 0
    taken: set[int] = set()
    transfer_id = allocation_id = 0
    for c, year in enumerate(range(first_year + 1, today.year), start=1):
        decided = date(year, 6, 30)
        approved_at = datetime.combine(decided, datetime.min.time()) + timedelta(hours=15)
        recent = [r["id"] for r in rounds if r["status"] == "closed"
                  and decided - timedelta(days=365) <= r["closes_on"] < decided]
        best: dict[int, float] = {}
        for note_id, results in scored_in.items():
            n = by_id[note_id]
            if note_id in taken or not (n["pipeline_at"].date() <= decided < n["expires_on"]):
                continue
            for closes, rid, score in results:
                if rid in recent and closes < decided:
                    best[note_id] = max(best.get(note_id, 0), score)
        funded = sorted(best, key=lambda k: -best[k])[:35]
        cycles.append({"id": c, "name": f"Funding cycle {year}", "decision_date": decided,
                       "envelope_cents": None, "policy": AllocationPolicy().to_dict(),
                       "status": "approved", "created_at": approved_at - timedelta(days=30),
                       "approved_at": approved_at, "approved_by_id": chair.id})
        cycle_round_rows.extend((c, rid) for rid in recent)
        for rank, note_id in enumerate(funded, start=1):
            taken.add(note_id)
            n = by_id[note_id]
            n["status"] = "funded" if year < today.year - 1 else "selected"
            allocation_id += 1
            allocation_rows.append({
                "id": allocation_id, "cycle_id": c, "note_id": note_id, "rank": rank,
                "score": best[note_id], "amount_cents": n["total_cents"],
                "from_earmarked_cents": 0, "from_unearmarked_cents": n["total_cents"],
                "earmark_area_id": None, "conditions": "", "created_at": approved_at})
            allocated_total += n["total_cents"]
            for line in lines_of[note_id]:
                transfer_id += 1
                transfer_rows.append({
                    "id": transfer_id, "allocation_id": allocation_id,
                    "organisation_id": line[2], "direct_cents": line[5],
                    "indirect_cents": line[6],
                    "transferred_on": decided + timedelta(days=60)
                    if decided + timedelta(days=60) <= today else None})
    contributions = []
    per = allocated_total * 13 // 10 // (len(DONORS) * 8) + 1
    k = 0
    for year in range(first_year, first_year + 8):
        for donor in DONORS:
            k += 1
            amount = per + rng.randrange(0, per // 2) // 100 * 100
            fee = (amount * 100 + 5000) // 10000
            deposited = min(date(year, rng.randint(1, 6), rng.randint(1, 28)), today)
            contributions.append({
                "id": k, "reference": f"DEP-{year}-{donor}-{k:04d}", "donor_id": states[donor],
                "deposited_on": deposited, "amount_cents": amount, "fee_cents": fee,
                "net_cents": amount - fee, "fee_rate_bp": 100, "earmark_area_id": None,
                "recorded_at": datetime.combine(deposited, datetime.min.time())})
    lap(f"{len(cycles)} funding cycles, {len(allocation_rows)} allocations, "
        f"{len(contributions)} contributions")

    # -- COPY everything
    tables = db.metadata.tables
    with psycopg.connect(_libpq(built.url)) as conn, conn.cursor() as cur:
        cur.execute("SET session_replication_role = replica")
        counts = built.counts
        counts["concept notes"] = copy_rows(cur, ConceptNote.__table__, notes)
        counts["PUNO lines"] = copy_tuples(
            cur, "puno_budget_lines", ["id", "note_id", "organisation_id", "is_lead", "position",
                                       "direct_cents", "indirect_cents"], lines)
        copy_tuples(cur, note_objectives.name, ["note_id", "objective_id"], objectives_rows)
        copy_tuples(cur, NotePrinciple.__tablename__, ["note_id", "principle_id", "how"],
                    principle_rows)
        copy_rows(cur, ConceptNoteVersion.__table__, versions)
        copy_rows(cur, Screening.__table__, screenings)
        copy_rows(cur, AuditEvent.__table__, events)
        counts["review rounds"] = copy_rows(cur, ReviewRound.__table__, rounds)
        copy_rows(cur, RoundCriterion.__table__, criteria_rows)
        counts["round notes"] = copy_rows(cur, RoundNote.__table__, round_notes)
        counts["assignments"] = copy_rows(cur, Assignment.__table__, assignments)
        counts["reviews"] = copy_tuples(
            cur, Review.__tablename__, ["id", "round_id", "note_id", "membership_id",
                                        "author_id", "status", "comment", "updated_at",
                                        "submitted_at"], review_rows)
        scores = np.concatenate(score_batches)
        ids = np.arange(1, len(scores) + 1)
        counts["scores"] = copy_tuples(
            cur, "scores", ["id", "review_id", "criterion_id", "value", "comment"],
            ((int(i), int(a), int(b), int(v), "") for i, (a, b, v) in
             zip(ids.tolist(), scores.tolist(), strict=True)))
        counts["contributions"] = copy_rows(cur, Contribution.__table__, contributions)
        counts["funding cycles"] = copy_rows(cur, FundingCycle.__table__, cycles)
        copy_tuples(cur, cycle_rounds.name, ["cycle_id", "round_id"], cycle_round_rows)
        counts["allocations"] = copy_rows(cur, Allocation.__table__, allocation_rows)
        copy_rows(cur, TransferLine.__table__, transfer_rows)
        cur.execute("SET session_replication_role = origin")
        # every serial sequence past the ids written
        for table in tables.values():
            if "id" in table.columns:
                cur.execute(
                    "SELECT setval(pg_get_serial_sequence(%s, 'id'), "
                    f'COALESCE((SELECT max(id) FROM "{table.name}"), 0) + 1, false)',
                    (f'"{table.name}"',))
        conn.commit()
    lap(f"COPY of {sum(counts.values()):,} rows")
    with psycopg.connect(_libpq(built.url), autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")
    lap("VACUUM ANALYZE")
    counts["users"] = db.session.scalar(db.select(db.func.count()).select_from(User))
    built.allocations = [a["id"] for a in allocation_rows]
    built.note_ids = [n["id"] for n in notes]
