"""Reference data: complete, correct where the fund depends on it, and idempotent."""

from sqlalchemy import func

from mptf.extensions import db
from mptf.models import (
    REGIONS,
    Country,
    CountryNetwork,
    FundConfig,
    GcmObjective,
    GuidingPrinciple,
    Organisation,
    Seat,
    ThematicArea,
)
from mptf.reference.seed import seed_reference_data

EXECUTIVE_COMMITTEE = {"DESA", "ILO", "IOM", "OHCHR", "OSRSG", "UNICEF", "UNDP", "UNHCR", "UNODC"}


def count(model) -> int:
    return db.session.scalar(db.select(func.count()).select_from(model))


def snapshot() -> dict:
    tables = [ThematicArea, GcmObjective, GuidingPrinciple, Country, Organisation,
              CountryNetwork, FundConfig, Seat]
    return {m.__tablename__: count(m) for m in tables}


def test_seeding_twice_changes_nothing(app):
    first = seed_reference_data()
    db.session.commit()
    assert first.changed
    before = snapshot()
    second = seed_reference_data()
    db.session.commit()
    assert not second.changed, second.lines()
    assert snapshot() == before


def test_seeding_corrects_an_edited_row(seeded):
    area = db.session.get(ThematicArea, 1)
    area.short_name = "tampered"
    db.session.commit()
    report = seed_reference_data()
    db.session.commit()
    assert report.updated == {"thematic_areas": 1}
    assert db.session.get(ThematicArea, 1).short_name != "tampered"


def test_five_areas_and_each_objective_in_exactly_one(seeded):
    assert count(ThematicArea) == 5
    objectives = db.session.scalars(db.select(GcmObjective).order_by(GcmObjective.id)).all()
    assert [o.id for o in objectives] == list(range(1, 24))
    assert all(o.thematic_area_id in range(1, 6) for o in objectives)
    assert {o.thematic_area_id for o in objectives} == {1, 2, 3, 4, 5}


def test_ten_guiding_principles(seeded):
    names = db.session.scalars(db.select(GuidingPrinciple.name)).all()
    assert len(names) == 10


def test_38_network_members_with_the_executive_committee(seeded):
    members = db.session.scalars(db.select(Organisation).where(
        Organisation.kind == "un_entity", Organisation.network_member)).all()
    assert len(members) == 38
    assert {m.acronym for m in members if m.executive_committee} == EXECUTIVE_COMMITTEE


def test_countries_are_the_un_member_states(seeded):
    assert count(Country) == 193
    regions = set(db.session.scalars(db.select(Country.region).distinct()))
    assert regions == set(REGIONS)
    champions = set(db.session.scalars(db.select(Country.iso3).where(Country.champion)))
    assert {"SLV", "PRT"} <= champions
    by_iso = dict(db.session.execute(db.select(Country.iso3, Country.region)).all())
    assert by_iso["KEN"] == "Africa"
    assert by_iso["EGY"] == "Arab States"
    assert by_iso["BGD"] == "Asia-Pacific"
    assert by_iso["MEX"] == "Latin America and the Caribbean"
    assert by_iso["SRB"] == "Europe and Central Asia"
    # Every state is a party that can sit on the committee or contribute.
    assert db.session.scalar(db.select(func.count()).select_from(Organisation).where(
        Organisation.kind == "state")) == 193


def test_country_networks_of_kenya_rwanda_bangladesh(seeded):
    networks = db.session.scalars(db.select(CountryNetwork)).all()
    by_country = {n.country.iso3: n for n in networks}
    assert {"KEN", "RWA", "BGD"} <= set(by_country)
    for network in by_country.values():
        acronyms = {m.organisation.acronym for m in network.members}
        assert "IOM" in acronyms  # IOM is the coordinator and secretariat of every network
        assert any(m.executive_committee for m in network.members)


def test_fund_configuration_defaults(seeded):
    fund = db.session.get(FundConfig, 1)
    assert fund.indirect_cost_rate_bp == 700
    assert fund.aa_fee_rate_bp == 100
    assert fund.budget_floor_cents == 100_000_000
    assert fund.budget_ceiling_cents == 300_000_000
    assert (fund.max_duration_months, fund.min_punos, fund.pipeline_validity_months) == (36, 2, 24)
    seats = db.session.execute(db.select(Seat.constituency, func.count()).group_by(
        Seat.constituency)).all()
    assert dict(seats) == {"chair": 1, "un_network": 3, "contributing_state": 3,
                           "cotd_state": 3, "stakeholder": 2, "ex_officio": 1}


def test_seeding_keeps_the_secretariats_configuration(seeded):
    fund = db.session.get(FundConfig, 1)
    fund.max_duration_months = 30
    db.session.commit()
    seed_reference_data()
    db.session.commit()
    assert db.session.get(FundConfig, 1).max_duration_months == 30
