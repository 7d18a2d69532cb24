"""The IATI export: the funded programmes as IATI 2.03 activities that the IATI activity
schema accepts (validated with lxml against the schema files in tests/data/iati)."""

from pathlib import Path

import pytest
from lxml import etree

from mptf.api.cli import iati_command
from mptf.api.iati import GENDER_SIGNIFICANCE, iso2_codes
from tests.mptf.api.conftest import DRAFT_MARK, REVIEW_MARK, UNFUNDED_MARK

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "data" / "iati"


@pytest.fixture(scope="module")
def schema():
    return etree.XMLSchema(etree.parse(str(SCHEMA_DIR / "iati-activities-schema.xsd")))


def parse(data: bytes):
    return etree.fromstring(data, parser=etree.XMLParser(resolve_entities=False, no_network=True))


def test_the_export_validates_against_the_iati_schema(world, client, schema):
    response = client.get("/api/v1/iati/activities.xml")
    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    root = parse(response.data)
    schema.assertValid(root)
    assert root.get("version") == "2.03"
    activities = root.findall("iati-activity")
    assert len(activities) == 3
    text = response.get_data(as_text=True)
    for mark in (UNFUNDED_MARK, DRAFT_MARK, REVIEW_MARK, world.unfunded.reference):
        assert mark not in text


def test_what_an_activity_says(world, client):
    root = parse(client.get("/api/v1/iati/activities.xml").data)
    data_note = world.funded[1]  # Kenya, area 1, gender marker 3, transfer made
    activity = next(a for a in root.findall("iati-activity")
                    if a.findtext("iati-identifier").endswith(data_note.reference))
    assert activity.findtext("iati-identifier") == f"XM-DAC-41119-MIG-{data_note.reference}"
    assert activity.findtext("title/narrative") == "Kenya data"
    assert activity.findtext("description/narrative") == "Migration data for planning."
    roles = [(o.get("role"), o.findtext("narrative")) for o in
             activity.findall("participating-org")]
    assert roles[0][0] == "1" and "MPTF Office" in roles[0][1]
    assert [r for r, _ in roles[1:]] == ["4", "4"]
    assert activity.find("participating-org[@role='4']").get("ref") == "XM-DAC-47066"  # IOM
    country = activity.find("recipient-country")
    assert (country.get("code"), country.get("percentage")) == ("KE", "100")
    assert activity.find("sector[@vocabulary='1']").get("code") == "15190"
    assert activity.find("sector[@vocabulary='99']").get("code") == "MPTF-TA-1"
    marker = activity.find("policy-marker")
    assert (marker.get("code"), marker.get("significance")) == ("1", GENDER_SIGNIFICANCE[3])
    transactions = [(t.find("transaction-type").get("code"), t.findtext("value"),
                     t.find("transaction-date").get("iso-date"))
                    for t in activity.findall("transaction")]
    approved = world.cycle.approved_at.date().isoformat()
    assert transactions == [("2", "1070000.00", approved), ("3", "535000.00", "2026-06-01")]
    assert activity.find("activity-date[@type='2']").get("iso-date") == "2026-06-01"
    link = activity.find("document-link")
    assert link.get("url").endswith(f"/reports/decisions/{world.decision.id}.pdf")


def test_the_export_is_cacheable(world, client):
    first = client.get("/api/v1/iati/activities.xml")
    again = client.get("/api/v1/iati/activities.xml",
                       headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_the_command_writes_a_valid_file(world, app, tmp_path, schema):
    target = tmp_path / "activities.xml"
    result = app.test_cli_runner().invoke(iati_command, ["-o", str(target)])
    assert result.exit_code == 0, result.output
    assert "Wrote 3 IATI activities" in result.output
    root = parse(target.read_bytes())
    schema.assertValid(root)
    assert root.find("iati-activity/document-link") is None  # no site address given
    linked = tmp_path / "linked.xml"
    result = app.test_cli_runner().invoke(
        iati_command, ["-o", str(linked), "--base-url", "https://mptf.example.org"])
    assert result.exit_code == 0
    schema.assertValid(parse(linked.read_bytes()))
    assert b"https://mptf.example.org/reports/decisions/" in linked.read_bytes()
    refused = app.test_cli_runner().invoke(iati_command, ["-o", str(linked), "--base-url", "x"])
    assert refused.exit_code == 2


def test_the_command_warns_when_nothing_is_funded(seeded, tmp_path):
    result = seeded.test_cli_runner().invoke(iati_command, ["-o", str(tmp_path / "x.xml")])
    assert result.exit_code == 0
    assert "Wrote 0 IATI activities" in result.output
    assert "do not publish" in result.output


def test_iso2_codes_cover_every_seeded_country(seeded):
    from mptf.extensions import db
    from mptf.models import Country

    codes = iso2_codes()
    assert codes["KEN"] == "KE" and codes["BGD"] == "BD"
    assert set(db.session.scalars(db.select(Country.iso3))) <= set(codes)


def test_a_regional_note_shares_its_countries_exactly():
    from decimal import Decimal

    from mptf.api.iati import _percentages

    assert _percentages(1) == ["100"]
    assert _percentages(3) == ["33.34", "33.33", "33.33"]
    assert sum(Decimal(p) for p in _percentages(7)) == 100
