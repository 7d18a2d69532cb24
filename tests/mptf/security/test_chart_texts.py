"""Every text that reaches a chart is drawn as plain text (issue 23.4): matplotlib reads text
between dollar signs as mathtext, so a donor named 'Donor $\\foo{$' made the public donors
chart a 500 for every visitor, and '$x^2$' would have been drawn as a formula."""

from __future__ import annotations

from datetime import date

import pytest
from pypdf import PdfReader

from mptf.extensions import db
from mptf.models import Membership, Seat, ThematicArea
from tests.mptf.security.bad_input import Session

BROKEN = "Donor $\\foo{$"  # an unknown mathtext command: matplotlib raised
AREA = "Area $x^2$ & <b> $\\foo{$"  # '$x^2$' alone would be drawn as a formula
ACRONYM = "P$\\bar{$"


@pytest.fixture
def names(world):
    from mptf.allocation import services as fund

    donor = fund.add_partner(world.users["office"], BROKEN, "DONORX")
    fund.record_contribution(world.users["office"], fund.ContributionInput(
        reference="DEP-MATH", donor_id=donor.id, deposited_on=date(2026, 3, 3),
        amount_cents=10_000_00, earmark_area_id=None))
    for area in db.session.scalars(db.select(ThematicArea)):
        area.name = area.short_name = f"{AREA} {area.id}"
    stakeholder = db.session.scalar(db.select(Membership).join(Membership.seat).where(
        Seat.constituency == "stakeholder")).organisation
    stakeholder.acronym = ACRONYM
    db.session.commit()


def svg_text(response) -> str:
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return response.get_data(as_text=True)


def test_public_charts_draw_names_as_typed(names, client):
    donors = svg_text(client.get("/portfolio/charts/donors.svg"))
    assert BROKEN in donors
    area = svg_text(client.get("/portfolio/charts/area.svg"))
    assert "Area $x^2$ &amp; &lt;b&gt; $\\foo{$ 1" in area
    svg_text(client.get("/portfolio/charts/region.svg"))


def test_the_committee_timeline_and_the_fund_chart_draw_names_as_typed(names, client):
    session = Session(client)
    session.as_("sec")
    timeline = svg_text(client.get("/committee/timeline.svg"))
    assert ACRONYM in timeline
    assert BROKEN not in svg_text(client.get("/fund/chart.svg"))  # no name on it, drawn
    assert client.get("/committee/timeline").status_code == 200
    assert client.get("/fund/").status_code == 200


def test_the_pipeline_report_charts_draw_names_as_typed(names, client):
    import io

    session = Session(client)
    session.as_("sec")
    response = client.get("/reports/pipeline.pdf")
    assert response.status_code == 200
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    assert f"{AREA} 1" in text
