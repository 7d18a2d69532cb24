"""About sixty realistic concept notes across the five areas and the regions, in every state
the pipeline knows, made through the services as a country team and the secretariat would."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta

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
from mptf.models.base import replaying, utcnow
from mptf.pipeline import services
from mptf.services.policy import Role

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
            User.role == Role.COUNTRY_TEAM, User.country_id == country.id))
        user = existing or create_user(email, "orange-harbour-lantern", Role.COUNTRY_TEAM,
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


def _data(rng: random.Random, country: Country, area: int, submitted_on: date) -> dict:
    objectives = [o.id for o in db.session.scalars(select(GcmObjective).where(
        GcmObjective.thematic_area_id == area))]
    entities = _entities_for(country)
    team = rng.sample(entities, k=rng.choice([2, 3, 3, 4]))
    # IOM convenes about half of the fund's joint programmes; the others are convened by the
    # organisation whose mandate the theme is closest to.
    iom = next((e for e in entities if e.acronym == "IOM"), None)
    if iom is not None and rng.random() < 0.5:
        team = [iom, *[e for e in team if e.id != iom.id]][:len(team)]
    total_direct = rng.randrange(95, 275) * 1_000_000  # USD 950,000 to 2,750,000 in cents
    shares = [rng.randint(2, 5) for _ in team]
    budget = [total_direct * s // sum(shares) // 100 * 100 for s in shares]
    punos = [services.PunoInput(e.id, b, i == 0) for i, (e, b) in enumerate(
        zip(team, budget, strict=True))]
    principles = {p.id: f"The programme is {p.name.lower()} by design." for p in db.session.scalars(
        select(GuidingPrinciple)) if rng.random() < 0.4 or "gender" in p.name.lower()
        or "child" in p.name.lower()}
    theme = rng.choice(THEMES[area])
    title = f"{theme} in {country.name}"
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
                   f"{country.name}: {theme[0].lower()}{theme[1:]}.",
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
        "endorsement_date": submitted_on - timedelta(days=rng.randint(10, 120)),
    }


# What happens to each demo note, and how many days before today it was submitted (None: a
# draft never submitted). Spread over the last twenty months, so the pipeline looks lived in;
# the expired notes entered the pipeline more than the validity (24 months) ago.
PLAN = (["pipeline"] * 30 + ["submitted"] * 8 + ["returned"] * 5 + ["draft"] * 8
        + ["expired"] * 4 + ["withdrawn"] * 5)


def _submitted_days_ago(rng: random.Random, target: str) -> int | None:
    return {"draft": None, "submitted": rng.randint(2, 20), "returned": rng.randint(40, 200),
            "expired": rng.randint(770, 800)}.get(target, rng.randint(90, 600))


def _at(day: date, rng: random.Random) -> datetime:
    """A moment in office hours on ``day``."""
    return datetime.combine(day, time(8)) + timedelta(minutes=rng.randint(0, 9 * 60))


def build() -> Iterator[str]:
    rng = random.Random(2026)
    secretariat = db.session.scalar(select(User).where(User.role == Role.SECRETARIAT))
    countries = {c.iso3: c for c in db.session.scalars(select(Country).where(
        Country.iso3.in_(DEMO_COUNTRIES)))}
    checklist = dict.fromkeys(services.CHECKLIST, True)
    today = utcnow().date()
    stories = []
    for index, target in enumerate(PLAN):
        days = _submitted_days_ago(rng, target)
        drafted = today - timedelta(days=(days or 0) + rng.randint(3, 25))
        stories.append((drafted, index, target, days))
    # Drafted in the order it happened, so references follow the calendar.
    for drafted, index, target, days in sorted(stories):
        country = countries[DEMO_COUNTRIES[index % len(DEMO_COUNTRIES)]]
        team = _team_for(country)
        submitted_on = today - timedelta(days=days) if days is not None else today
        with replaying(_at(drafted, rng)):
            note = services.create_draft(team, _data(rng, country, index % 5 + 1,
                                                     submitted_on))
        if target == "draft":
            if index % 2:
                with replaying(_at(drafted + timedelta(days=1), rng)):
                    services.update_draft(team, note, {"title": "", "summary": ""})
            continue
        with replaying(_at(submitted_on, rng)):
            services.submit(team, note)
        if target == "submitted":
            continue
        screened_on = submitted_on + timedelta(days=rng.randint(7, 20))
        with replaying(_at(screened_on, rng)):
            if target == "returned":
                services.screen(secretariat, note, checklist | {"budget_within_limits": False},
                                "returned", "Clarify the division of labour between PUNOs "
                                "and attach the government's endorsement letter.")
                continue
            services.screen(secretariat, note, checklist, "pipeline", "")
        if target == "withdrawn":
            withdrawn_on = min(today, screened_on + timedelta(days=rng.randint(30, 80)))
            with replaying(_at(withdrawn_on, rng)):
                services.withdraw(team, note, "The government reprioritised its plan.")
    expired = services.expire_notes()
    db.session.flush()
    count = db.session.scalar(select(db.func.count()).select_from(ConceptNote))
    yield (f"Demo pipeline: {count} concept notes from {len(countries)} countries "
           f"({len(expired)} past their pipeline validity).")
