"""Reference data loaded by ``mptf seed``: thematic areas, GCM objectives and principles,
organisations, countries and country networks."""

from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mptf.extensions import db
from mptf.models.base import one_of

REGIONS = (
    "Africa",
    "Arab States",
    "Asia-Pacific",
    "Europe and Central Asia",
    "Latin America and the Caribbean",
)

ORGANISATION_KINDS = ("un_entity", "state", "stakeholder", "other")


class ThematicArea(db.Model):
    __tablename__ = "thematic_areas"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(Text, unique=True)
    short_name: Mapped[str] = mapped_column(String(80))

    objectives: Mapped[list[GcmObjective]] = relationship(
        back_populates="thematic_area", order_by="GcmObjective.id")

    def __str__(self) -> str:
        return f"{self.id}. {self.short_name}"


class GcmObjective(db.Model):
    __tablename__ = "gcm_objectives"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    title: Mapped[str] = mapped_column(Text)
    short_title: Mapped[str] = mapped_column(String(80))
    thematic_area_id: Mapped[int] = mapped_column(ForeignKey("thematic_areas.id"))

    thematic_area: Mapped[ThematicArea] = relationship(back_populates="objectives")

    def __str__(self) -> str:
        return f"Objective {self.id}: {self.short_title}"


class GuidingPrinciple(db.Model):
    __tablename__ = "guiding_principles"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")


class Country(db.Model):
    __tablename__ = "countries"
    __table_args__ = (one_of("region", REGIONS),)

    id: Mapped[int] = mapped_column(primary_key=True)
    iso3: Mapped[str] = mapped_column(String(3), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    region: Mapped[str] = mapped_column(String(40), index=True)
    champion: Mapped[bool] = mapped_column(Boolean, default=False)

    def __str__(self) -> str:
        return self.name


class Organisation(db.Model):
    """A party: a UN entity, a state (bound to its country), a stakeholder organisation, or
    another partner (a foundation, a private donor). Parties sit on the committee, lead and
    participate in joint programmes, and contribute money."""

    __tablename__ = "organisations"
    __table_args__ = (
        one_of("kind", ORGANISATION_KINDS),
        UniqueConstraint("kind", "acronym"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    name: Mapped[str] = mapped_column(String(200))
    acronym: Mapped[str] = mapped_column(String(40))
    # UN entities: member of the UN Network on Migration, and of its Executive Committee.
    network_member: Mapped[bool] = mapped_column(Boolean, default=False)
    executive_committee: Mapped[bool] = mapped_column(Boolean, default=False)
    # States: the country they are; stakeholders: their kind of organisation.
    country_id: Mapped[int | None] = mapped_column(ForeignKey("countries.id"), unique=True)
    stakeholder_kind: Mapped[str | None] = mapped_column(String(40))

    country: Mapped[Country | None] = relationship()

    def __str__(self) -> str:
        return self.acronym if self.kind == "un_entity" else self.name


class CountryNetwork(db.Model):
    """A UN Network on Migration at country level: which Network members are present."""

    __tablename__ = "country_networks"

    id: Mapped[int] = mapped_column(primary_key=True)
    country_id: Mapped[int] = mapped_column(ForeignKey("countries.id"), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(Text, default="")

    country: Mapped[Country] = relationship()
    members: Mapped[list[CountryNetworkMember]] = relationship(
        back_populates="network", cascade="all, delete-orphan")


class CountryNetworkMember(db.Model):
    __tablename__ = "country_network_members"

    network_id: Mapped[int] = mapped_column(
        ForeignKey("country_networks.id", ondelete="CASCADE"), primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    executive_committee: Mapped[bool] = mapped_column(Boolean, default=False)

    network: Mapped[CountryNetwork] = relationship(back_populates="members")
    organisation: Mapped[Organisation] = relationship()


class FundConfig(db.Model):
    """The fund's configuration: one row (id 1), editable by the secretariat."""

    __tablename__ = "fund_config"
    __table_args__ = (
        db.CheckConstraint("id = 1", name="single_row"),
        db.CheckConstraint("budget_floor_cents >= 0 AND budget_ceiling_cents >= budget_floor_cents",
                           name="budget_limits"),
        db.CheckConstraint("max_duration_months > 0", name="max_duration_positive"),
        db.CheckConstraint("min_punos >= 1", name="min_punos_positive"),
        db.CheckConstraint("pipeline_validity_months > 0", name="validity_positive"),
        db.CheckConstraint("indirect_cost_rate_bp >= 0 AND indirect_cost_rate_bp <= 10000",
                           name="indirect_rate_range"),
        db.CheckConstraint("aa_fee_rate_bp >= 0 AND aa_fee_rate_bp <= 10000",
                           name="aa_fee_range"),
        db.CheckConstraint("committee_term_months > 0", name="term_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, default=1)
    fund_name: Mapped[str] = mapped_column(String(200))
    reference_prefix: Mapped[str] = mapped_column(String(10), default="MIG")
    # Rates in basis points, so that 7 % is exactly 700 and cents stay exact.
    indirect_cost_rate_bp: Mapped[int] = mapped_column(Integer, default=700)
    aa_fee_rate_bp: Mapped[int] = mapped_column(Integer, default=100)
    budget_floor_cents: Mapped[int] = mapped_column(db.BigInteger, default=100_000_000)
    budget_ceiling_cents: Mapped[int] = mapped_column(db.BigInteger, default=300_000_000)
    max_duration_months: Mapped[int] = mapped_column(Integer, default=36)
    min_punos: Mapped[int] = mapped_column(Integer, default=2)
    pipeline_validity_months: Mapped[int] = mapped_column(Integer, default=24)
    attachment_max_bytes: Mapped[int] = mapped_column(Integer, default=10 * 1024 * 1024)
    committee_term_months: Mapped[int] = mapped_column(Integer, default=24)
    # Quorum: a majority of voting seats, and at least one seat of each listed constituency.
    quorum_majority: Mapped[bool] = mapped_column(Boolean, default=True)
    quorum_constituencies: Mapped[str] = mapped_column(
        String(200), default="un_network,contributing_state,cotd_state")
