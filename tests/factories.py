"""Factory functions for test data. Each flushes and returns what it made."""

from __future__ import annotations

import itertools
from datetime import date

from mptf.auth.services import create_user
from mptf.extensions import db
from mptf.models import Country, Organisation, User
from mptf.services.policy import SYSTEM

PASSWORD = "correct-horse-battery"
_n = itertools.count(1)


def user(role: str, country: str | None = None, email: str | None = None) -> User:
    email = email or f"{role}{next(_n)}@example.org"
    return create_user(email, PASSWORD, role, country_iso3=country)


def country(iso3: str) -> Country:
    return db.session.scalar(db.select(Country).where(Country.iso3 == iso3))


def entity(acronym: str) -> Organisation:
    return db.session.scalar(db.select(Organisation).where(
        Organisation.kind == "un_entity", Organisation.acronym == acronym))


def state(iso3: str) -> Organisation:
    return db.session.scalar(db.select(Organisation).where(
        Organisation.kind == "state", Organisation.acronym == iso3))


# --- concept notes -------------------------------------------------------------------------

def principle_id(name: str) -> int:
    from mptf.models import GuidingPrinciple

    return db.session.scalar(db.select(GuidingPrinciple.id).where(
        GuidingPrinciple.name.ilike(f"%{name}%")))


def note_data(punos: list[tuple[str, int]] | None = None, **overrides) -> dict:
    """A complete concept note's data (valid for submission), as the form gives it.
    ``punos`` are (acronym, direct cents); the first is the lead."""
    from mptf.pipeline.services import PunoInput

    punos = punos or [("IOM", 60_000_000), ("ILO", 40_000_000)]
    data = {
        "title": "Safe labour migration corridors",
        "is_regional": False,
        "thematic_area_id": 4,
        "objective_ids": [5, 6],
        "principles": {principle_id("gender"): "Women migrant workers lead the design.",
                       principle_id("child"): "Children left behind are supported."},
        "punos": [PunoInput(entity(a).id, cents, i == 0) for i, (a, cents) in enumerate(punos)],
        "duration_months": 24,
        "gender_marker": 2, "gender_justification": "Gender analysis in every output.",
        "human_rights_marker": 2, "human_rights_justification": "Rights-based approach.",
        "child_marker": 1, "child_justification": "Child safeguarding plan.",
        "summary": "Better recruitment for migrant workers.",
        "problem_statement": "Recruitment fees trap migrant workers in debt.",
        "theory_of_change": "If recruiters are regulated then fees fall.",
        "expected_results": "Fees halved in three corridors.",
        "national_partners": [{"name": "Ministry of Labour", "kind": "government"}],
        "stakeholders": [{"group": "migrants", "description": "Workers' associations"}],
        "government_endorsed": True,
        "endorsement_date": date(2026, 1, 15),
    }
    data.update(overrides)
    return data


def note(team_user: User, status: str = "draft", **overrides):
    """A concept note drafted by ``team_user`` and moved to ``status`` through the services."""
    from mptf.pipeline import services

    made = services.create_draft(team_user, note_data(**overrides))
    if status == "draft":
        return made
    services.submit(team_user, made)
    if status == "submitted":
        return made
    secretariat = db.session.scalar(db.select(User).where(User.role == "secretariat")) \
        or user("secretariat")
    checklist = dict.fromkeys(services.CHECKLIST, True)
    if status == "returned":
        services.screen(secretariat, made, checklist, "returned", "Strengthen the budget.")
        return made
    services.screen(secretariat, made, checklist, "pipeline", "")
    if status == "pipeline":
        return made
    if status == "withdrawn":
        services.withdraw(team_user, made)
        return made
    if status == "expired":
        services.expire_notes(made.expires_on)
        return made
    raise ValueError(f"factories.note cannot make a {status} note")


MINIMAL_PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
               b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")


def add_pdf(team_user: User, concept_note, name: str = "endorsement.pdf"):
    from mptf.pipeline import services

    return services.add_attachment(team_user, concept_note, name, MINIMAL_PDF)


# --- the Steering Committee ----------------------------------------------------------------

def seat(constituency: str, position: int = 1):
    """A seat seeded by ``mptf seed`` (fund.yaml: chair 1, un_network 3, contributing_state 3,
    cotd_state 3, stakeholder 2, ex_officio 1)."""
    from mptf.models import Seat

    return db.session.scalar(db.select(Seat).where(Seat.constituency == constituency,
                                                   Seat.position == position))


def mptf_office() -> Organisation:
    """The MPTF Office, the ex officio party (kind 'other'), made once."""
    office = db.session.scalar(db.select(Organisation).where(
        Organisation.kind == "other", Organisation.acronym == "MPTF Office"))
    if office is None:
        office = Organisation(kind="other", acronym="MPTF Office",
                              name="Multi-Partner Trust Fund Office")
        db.session.add(office)
        db.session.flush()
    return office


def membership(constituency: str, position: int, party_code: str, start, end=None,
               representatives: list[tuple[User, bool]] | tuple = ()):
    """A membership appointed through the committee service (as the command line would):
    ``party_code`` is an acronym or ISO alpha-3 code; ``end`` defaults to a full term."""
    from mptf.committee import services

    the_seat = seat(constituency, position)
    party = services.find_party(party_code, constituency)
    return services.appoint(SYSTEM, the_seat, party, start, end, representatives=representatives)


def sitting_term() -> tuple:
    """A term from 1 January 2025 to two years after today: the committee of a fixture sits on
    whatever day the suite runs (a fixed end date would expire under the tests)."""
    from mptf.models.base import utcnow

    today = utcnow().date()
    return date(2025, 1, 1), date(today.year + 2, 1, 1)


# --- the fund's money ------------------------------------------------------------------------

def fund_office() -> User:
    """The first fund office account, made once."""
    return db.session.scalar(db.select(User).where(User.role == "fund_office")) \
        or user("fund_office")


def contribution(donor: str | Organisation, dollars: str, day, earmark: int | None = None,
                 reference: str | None = None):
    """A contribution recorded through the service by the fund office. ``donor`` is a state's
    ISO alpha-3 code or an organisation; ``dollars`` is typed as on the form ('1,250.50')."""
    from mptf.allocation import services
    from mptf.money import parse_usd

    party = state(donor) if isinstance(donor, str) else donor
    return services.record_contribution(fund_office(), services.ContributionInput(
        reference=reference or f"DEP-{next(_n):05d}", donor_id=party.id, deposited_on=day,
        amount_cents=parse_usd(dollars), earmark_area_id=earmark))


def approved_cycle(name: str, approved_on):
    """A funding cycle approved at noon (UTC) on ``approved_on``, written directly."""
    from datetime import datetime, time

    from mptf.models import FundingCycle

    cycle = FundingCycle(name=name, status="approved",
                         approved_at=datetime.combine(approved_on, time(12)))
    db.session.add(cycle)
    db.session.flush()
    return cycle


def bare_note(reference: str, iso3: str = "KEN", area: int = 4, status: str = "selected"):
    """A concept note row with only what an allocation needs, written directly."""
    from mptf.models import ConceptNote

    made = ConceptNote(reference=reference, status=status, title=f"Programme {reference}",
                       country=country(iso3), thematic_area_id=area)
    db.session.add(made)
    db.session.flush()
    return made


def allocation(cycle, note, cents: int, from_earmarked: int = 0, rank: int = 1):
    """An allocation row written directly; earmarked money is the note's own area's."""
    from mptf.models import Allocation

    made = Allocation(cycle=cycle, note=note, rank=rank, amount_cents=cents,
                      from_earmarked_cents=from_earmarked,
                      from_unearmarked_cents=cents - from_earmarked,
                      earmark_area_id=note.thematic_area_id if from_earmarked else None)
    db.session.add(made)
    db.session.flush()
    return made
