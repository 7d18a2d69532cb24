"""About sixty realistic concept notes across the five areas and the regions, in every state
the pipeline knows, made through the services as a country team and the secretariat would."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, timedelta

from sqlalchemy import select

from mptf.auth.services import create_user
from mptf.extensions import db
from mptf.models import (
    ConceptNote,
    Country,
    CountryNetwork,
    CountryNetworkMember,
    GcmObjective,
    GuidingPrinciple,
    Organisation,
    User,
)
from mptf.models.base import utcnow
from mptf.pipeline import services

DEMO_COUNTRIES = ["KEN", "BGD", "RWA", "MEX", "MAR", "PHL", "NGA", "SLV", "ECU", "GHA", "IDN",
                  "TUN", "SRB", "NPL", "GMB", "JOR", "GTM", "KGZ", "FJI", "CHL"]

THEMES = {
    1: ["Migration data for national planning", "Evidence on climate mobility",
        "Countering misinformation on migration", "Disaggregated data for the SDGs"],
    2: ["Protection at sea and on land routes", "Missing migrants and families",
        "Safe spaces for migrant children", "Health care for migrants in transit"],
    3: ["Rights-based border governance", "Ending trafficking in persons",
        "Alternatives to immigration detention", "Legal identity for all migrants"],
    4: ["Fair recruitment corridors", "Skills partnerships with destination countries",
        "Cheaper remittances for families", "Portability of social protection"],
    5: ["Local inclusion of migrants in cities", "Social cohesion in host communities",
        "Access to services for returnees", "Reintegration that lasts"],
}
PROBLEMS = [
    "Migrants pay recruitment fees of up to a year's wages and many fall into debt bondage.",
    "The government lacks the disaggregated data it needs to plan services for migrants.",
    "Children on the move are exposed to violence and lose access to school.",
    "Women migrant workers face abuse with little recourse to justice.",
    "Returnees struggle to find work and many migrate again irregularly.",
]
PARTNERS = ["Ministry of Labour", "Ministry of Foreign Affairs", "National Statistics Office",
            "Ministry of Interior", "Ministry of Social Protection", "National Migration Agency"]


def _team_for(country: Country) -> User:
    email = f"country.{country.iso3.lower()}@demo.mptf.example"
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        existing = db.session.scalar(select(User).where(
            User.role == "country_team", User.country_id == country.id))
        user = existing or create_user(email, "demo-password", "country_team",
                                       name=f"UN Country Team {country.name}",
                                       country_iso3=country.iso3)
    return user


def _entities_for(country: Country) -> list[Organisation]:
    network = db.session.scalar(select(CountryNetwork).where(
        CountryNetwork.country_id == country.id))
    if network is not None:
        return list(db.session.scalars(select(Organisation).join(
            CountryNetworkMember, CountryNetworkMember.organisation_id == Organisation.id)
            .where(CountryNetworkMember.network_id == network.id)))
    acronyms = ["IOM", "ILO", "UNDP", "UNICEF", "UNHCR", "UN Women", "UNODC", "OHCHR", "WHO",
                "UNFPA", "FAO", "UNESCO"]
    return list(db.session.scalars(select(Organisation).where(
        Organisation.kind == "un_entity", Organisation.acronym.in_(acronyms))))


def _data(rng: random.Random, country: Country, area: int) -> dict:
    objectives = [o.id for o in db.session.scalars(select(GcmObjective).where(
        GcmObjective.thematic_area_id == area))]
    entities = _entities_for(country)
    iom = next((e for e in entities if e.acronym == "IOM"), entities[0])
    others = rng.sample([e for e in entities if e.id != iom.id], k=rng.choice([1, 2, 2, 3]))
    total_direct = rng.randrange(95, 275) * 1_000_000  # USD 950,000 to 2,750,000 in cents
    shares = [rng.randint(2, 5) for _ in range(len(others) + 1)]
    budget = [total_direct * s // sum(shares) // 100 * 100 for s in shares]
    punos = [services.PunoInput(e.id, b, i == 0) for i, (e, b) in enumerate(
        zip([iom, *others], budget, strict=True))]
    principles = {p.id: f"The programme is {p.name.lower()} by design." for p in db.session.scalars(
        select(GuidingPrinciple)) if rng.random() < 0.4 or "gender" in p.name.lower()
        or "child" in p.name.lower()}
    title = f"{rng.choice(THEMES[area])} in {country.name}"
    return {
        "title": title,
        "thematic_area_id": area,
        "objective_ids": rng.sample(objectives, k=min(len(objectives), rng.choice([1, 2, 3]))),
        "principles": principles,
        "punos": punos,
        "duration_months": rng.choice([18, 24, 24, 30, 36]),
        "gender_marker": rng.choice([1, 2, 2, 3]),
        "gender_justification": "A gender analysis shapes each output; half the participants "
                                "are women.",
        "human_rights_marker": rng.choice([1, 2, 3]),
        "human_rights_justification": "Rights-holders and duty-bearers are both engaged.",
        "child_marker": rng.choice([1, 1, 2]),
        "child_justification": "Child safeguarding and best-interest procedures apply.",
        "summary": f"A joint programme of {len(punos)} UN organisations with the Government of "
                   f"{country.name}: {title.lower()}.",
        "problem_statement": rng.choice(PROBLEMS),
        "theory_of_change": "If national institutions have the tools and the data, and migrants "
                            "take part in decisions, then policies protect migrants better.",
        "expected_results": "A national policy adopted; 5,000 migrants reached; capacity built "
                            "in three ministries.",
        "national_partners": [{"name": rng.choice(PARTNERS), "kind": "government"},
                              {"name": "Migrant workers' association",
                               "kind": "migrant_organisation"}],
        "stakeholders": [{"group": "civil_society", "description": "Co-design workshops"},
                         {"group": "migrants", "description": "Advisory panel"}],
        "government_endorsed": True,
        "endorsement_date": date.today() - timedelta(days=rng.randint(20, 300)),
    }


def build() -> Iterator[str]:
    rng = random.Random(2026)
    secretariat = db.session.scalar(select(User).where(User.role == "secretariat"))
    countries = {c.iso3: c for c in db.session.scalars(select(Country).where(
        Country.iso3.in_(DEMO_COUNTRIES)))}
    plan = (["pipeline"] * 30 + ["submitted"] * 8 + ["returned"] * 5 + ["draft"] * 8
            + ["expired"] * 4 + ["withdrawn"] * 5)
    checklist = dict.fromkeys(services.CHECKLIST, True)
    for index, target in enumerate(plan):
        country = countries[DEMO_COUNTRIES[index % len(DEMO_COUNTRIES)]]
        team = _team_for(country)
        note = services.create_draft(team, _data(rng, country, index % 5 + 1))
        if target == "draft":
            if index % 2:
                services.update_draft(team, note, {"title": "", "summary": ""})
            continue
        services.submit(team, note)
        # Spread submissions over the last 20 months, so the pipeline looks lived in.
        note.submitted_at = utcnow() - timedelta(days=rng.randint(10, 600))
        if target == "submitted":
            continue
        if target == "returned":
            services.screen(secretariat, note, checklist | {"budget_within_limits": False},
                            "returned", "Clarify the division of labour between PUNOs and "
                            "attach the government's endorsement letter.")
            continue
        services.screen(secretariat, note, checklist, "pipeline", "")
        note.pipeline_at = note.submitted_at + timedelta(days=14)
        validity = services.fund_config().pipeline_validity_months
        note.expires_on = services.add_months(note.pipeline_at.date(), validity)
        if target == "expired":
            note.pipeline_at = utcnow() - timedelta(days=760)
            note.expires_on = services.add_months(note.pipeline_at.date(), validity)
            services.expire_notes()
        elif target == "withdrawn":
            services.withdraw(team, note, "The government reprioritised its plan.")
    db.session.flush()
    count = db.session.scalar(select(db.func.count()).select_from(ConceptNote))
    yield f"Demo pipeline: {count} concept notes from {len(countries)} countries."
