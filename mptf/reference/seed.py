"""Load the reference data of ``seed_data/`` into the database. Idempotent: every row is
matched on its natural key and only inserted or corrected, so running it twice changes
nothing."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from mptf.extensions import db
from mptf.models import (
    REGIONS,
    Country,
    CountryNetwork,
    CountryNetworkMember,
    FundConfig,
    GcmObjective,
    GuidingPrinciple,
    Organisation,
    Seat,
    ThematicArea,
)

SEED_DIR = Path(__file__).resolve().parents[2] / "seed_data"


def seed_dir() -> Path:
    """The seed_data folder beside the package (a source checkout or an editable install)."""
    if not SEED_DIR.is_dir():
        raise FileNotFoundError(f"seed data not found at {SEED_DIR}")
    return SEED_DIR


def read_csv(name: str) -> list[dict[str, str]]:
    with open(seed_dir() / name, newline="", encoding="utf-8") as handle:
        return [{k.strip(): (v or "").strip() for k, v in row.items()}
                for row in csv.DictReader(handle)]


def read_yaml(name: str) -> Any:
    with open(seed_dir() / name, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def _flag(text: str) -> bool:
    return text.strip().lower() in ("true", "yes", "1", "y")


@dataclass
class SeedReport:
    inserted: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)

    def count(self, table: str, inserted: bool) -> None:
        target = self.inserted if inserted else self.updated
        target[table] = target.get(table, 0) + 1

    @property
    def changed(self) -> bool:
        return bool(self.inserted or self.updated)

    def lines(self) -> list[str]:
        if not self.changed:
            return ["Reference data already up to date; nothing changed."]
        tables = sorted(set(self.inserted) | set(self.updated))
        return [f"{t}: {self.inserted.get(t, 0)} added, {self.updated.get(t, 0)} corrected"
                for t in tables]


class _Upserter:
    """Insert or correct rows matched on a natural key, reading each table once."""

    def __init__(self, report: SeedReport):
        self.report = report
        self.cache: dict[tuple[type, tuple[str, ...]], dict[tuple, Any]] = {}

    def __call__(self, model: type, key: dict[str, Any], values: dict[str, Any]):
        names = tuple(sorted(key))
        rows = self.cache.get((model, names))
        if rows is None:
            rows = {tuple(getattr(o, n) for n in names): o
                    for o in db.session.scalars(db.select(model))}
            self.cache[(model, names)] = rows
        obj = rows.get(tuple(key[n] for n in names))
        if obj is None:
            obj = model(**key, **values)
            db.session.add(obj)
            rows[tuple(key[n] for n in names)] = obj
            self.report.count(model.__tablename__, True)
            return obj
        changed = False
        for name, value in values.items():
            if getattr(obj, name) != value:
                setattr(obj, name, value)
                changed = True
        if changed:
            self.report.count(model.__tablename__, False)
        return obj


def seed_reference_data() -> SeedReport:
    """Insert or correct all reference data; flushes, the caller commits."""
    report = SeedReport()
    upsert = _Upserter(report)
    for row in read_csv("thematic_areas.csv"):
        upsert(ThematicArea, {"id": int(row["number"])},
                {"name": row["name"], "short_name": row["short_name"]})
    db.session.flush()
    for row in read_csv("gcm_objectives.csv"):
        upsert(GcmObjective, {"id": int(row["number"])},
                {"title": row["title"], "short_title": row["short_title"],
                 "thematic_area_id": int(row["thematic_area"])})
    for row in read_csv("guiding_principles.csv"):
        upsert(GuidingPrinciple, {"id": int(row["number"])},
                {"name": row["name"], "description": row["description"]})
    countries: dict[str, Country] = {}
    for row in read_csv("countries.csv"):
        if row["region"] not in REGIONS:
            raise ValueError(f"countries.csv: {row['iso3']} has unknown region {row['region']!r}")
        countries[row["iso3"]] = upsert(Country, {"iso3": row["iso3"]},
            {"name": row["name"], "region": row["region"], "champion": _flag(row["champion"])})
    db.session.flush()
    entities: dict[str, Organisation] = {}
    for row in read_csv("un_network_members.csv"):
        entities[row["acronym"]] = upsert(Organisation, {"kind": "un_entity", "acronym": row["acronym"]},
            {"name": row["name"], "network_member": True,
             "executive_committee": _flag(row["executive_committee"])})
    for iso3, country in countries.items():
        upsert(Organisation, {"kind": "state", "acronym": iso3},
                {"name": country.name, "country_id": country.id})
    for row in read_csv("stakeholders.csv"):
        upsert(Organisation, {"kind": "stakeholder", "acronym": row["acronym"]},
                {"name": row["name"], "stakeholder_kind": row["kind"]})
    db.session.flush()
    for iso3, spec in (read_yaml("country_networks.yaml") or {}).items():
        country = countries.get(iso3)
        if country is None:
            raise ValueError(f"country_networks.yaml: unknown country {iso3}")
        network = upsert(CountryNetwork, {"country_id": country.id},
                          {"name": spec["name"], "source": spec.get("source", "")})
        db.session.flush()
        executive = set(spec.get("executive_committee") or [])
        for acronym in spec.get("members") or []:
            if acronym not in entities:
                raise ValueError(f"country_networks.yaml: {iso3} lists {acronym}, "
                                 "not a Network member")
            upsert(CountryNetworkMember,
                    {"network_id": network.id, "organisation_id": entities[acronym].id},
                    {"executive_committee": acronym in executive})
    _seed_fund_config(report)
    db.session.flush()
    return report


def _seed_fund_config(report: SeedReport) -> None:
    """The fund's configuration and committee seats are created once; later edits by the
    secretariat are never overwritten by seeding again."""
    fund = read_yaml("fund.yaml")
    if db.session.get(FundConfig, 1) is None:
        committee = fund.get("committee", {})
        quorum = committee.get("quorum", {})
        db.session.add(FundConfig(
            id=1,
            fund_name=fund["fund_name"],
            reference_prefix=fund.get("reference_prefix", "MIG"),
            indirect_cost_rate_bp=round(float(fund["indirect_cost_rate"]) * 10_000),
            aa_fee_rate_bp=round(float(fund["administrative_agent_fee_rate"]) * 10_000),
            budget_floor_cents=int(fund["budget_floor_usd"]) * 100,
            budget_ceiling_cents=int(fund["budget_ceiling_usd"]) * 100,
            max_duration_months=int(fund["max_duration_months"]),
            min_punos=int(fund["min_punos"]),
            pipeline_validity_months=int(fund["pipeline_validity_months"]),
            attachment_max_bytes=int(fund["attachment_max_bytes"]),
            committee_term_months=int(committee.get("term_months", 24)),
            quorum_majority=bool(quorum.get("majority_of_voting_seats", True)),
            quorum_constituencies=",".join(quorum.get("require_constituencies", [])),
        ))
        report.count("fund_config", True)
    if db.session.scalar(db.select(Seat.id).limit(1)) is None:
        for constituency, count in fund.get("committee", {}).get("seats", {}).items():
            for position in range(1, int(count) + 1):
                db.session.add(Seat(constituency=constituency, position=position))
                report.count("seats", True)


def default_rubric_records() -> list[dict[str, Any]]:
    """The fund's default rubric, as records for scoring.Rubric.from_records."""
    return list(read_yaml("rubric.yaml")["criteria"])
