"""The public portfolio: no sign-in, funded programmes with filters, the fund's money, charts,
the unfunded pipeline in aggregate only; cacheable with 304s; never an unfunded note's text
or a reviewer's score."""

import re
from datetime import date

from mptf.extensions import db
from tests import factories
from tests.conftest import Auth
from tests.mptf.api.conftest import DRAFT_MARK, REVIEW_MARK, UNFUNDED_MARK


def test_anonymous_visitors_land_on_the_portfolio(world, client):
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"] == "/portfolio/"
    Auth(client).login("kenya@example.org")
    assert client.get("/").headers["Location"] == "/home"


def test_the_portfolio_page(world, client):
    response = client.get("/portfolio/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for note in world.funded:
        assert note.reference in html and note.title in html
    assert "3 funded programmes, USD 3,210,000.00" in html
    assert "USD 3,333,333.34" in html  # deposited
    assert "USD 90,000.01" in html  # available
    assert f'href="/reports/decisions/{world.decision.id}.pdf"' in html
    assert 'href="/login"' in html and "Sign in" in html
    assert "IOM (lead), ILO" in html
    assert 'name="viewport"' in html
    for chart in ("area", "region", "donors"):
        assert f'src="/portfolio/charts/{chart}.svg"' in html
    assert "<script" not in html and "style=" not in html


def test_filters(world, client):
    def shown(query):
        html = client.get(f"/portfolio/?{query}").get_data(as_text=True)
        return sorted(n.reference for n in world.funded if n.reference in html)

    assert shown("country=KEN") == sorted(n.reference for n in world.funded[:2])
    assert shown("region=Asia-Pacific") == [world.funded[2].reference]
    assert shown("area=1") == [world.funded[1].reference]
    assert shown("year=2026") == sorted(n.reference for n in world.funded)
    assert shown("year=2024") == []
    bad = client.get("/portfolio/?region=Atlantis&year=abc&q=%00")
    assert bad.status_code == 200
    assert "Some filters were ignored" in bad.get_data(as_text=True)


def test_a_programme_page(world, client):
    allocation = next(a for a in world.cycle.allocations if a.note_id == world.funded[1].id)
    html = client.get(f"/portfolio/programmes/{allocation.id}").get_data(as_text=True)
    assert "Kenya data" in html and "Migration data for planning." in html
    assert "1 June 2026" in html  # IOM's transfer
    assert "not yet" in html
    assert client.get("/portfolio/programmes/999").status_code == 404


def test_the_decision_pdf_linked_is_the_stored_one(world, client):
    response = client.get(f"/reports/decisions/{world.decision.id}.pdf")
    assert response.status_code == 200 and response.data == b"%PDF-1.4 sealed decision"


def test_charts_are_svg_images_with_their_own_policy(world, client):
    for name in ("area", "region", "donors"):
        response = client.get(f"/portfolio/charts/{name}.svg")
        assert response.status_code == 200 and response.mimetype == "image/svg+xml"
        assert response.get_data(as_text=True).startswith("<svg")
        assert response.headers["Content-Security-Policy"] == \
            "default-src 'none'; style-src 'unsafe-inline'"
        assert "<script" not in response.get_data(as_text=True)
    assert client.get("/portfolio/charts/scores.svg").status_code == 404


def test_nothing_unfunded_or_scored_is_shown(world, client):
    pages = ["/portfolio/", "/portfolio/?q=ZQX", "/portfolio/?country=BGD",
             "/portfolio/charts/area.svg", "/portfolio/charts/region.svg",
             "/portfolio/charts/donors.svg"]
    pages += [f"/portfolio/programmes/{a.id}" for a in world.cycle.allocations]
    for path in pages:
        text = client.get(path).get_data(as_text=True)
        for mark in (UNFUNDED_MARK, DRAFT_MARK, REVIEW_MARK, world.unfunded.reference,
                     world.draft.reference, world.other_draft.title):
            assert mark not in text, (mark, path)
        assert not re.search(r"\bscore\b", text, re.IGNORECASE), path
    # The unfunded note is counted: one note waiting in Asia-Pacific for USD 1,070,000.00.
    html = client.get("/portfolio/").get_data(as_text=True)
    row = re.search(r"<td>Asia-Pacific</td>(.*?)</tr>", html).group(1)
    assert re.findall(r'class="num">([^<]+)<', row) == ["1", "1,070,000.00", "1",
                                                         "1,070,000.00"]


def test_conditional_get(world, client):
    first = client.get("/portfolio/")
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert first.headers["Cache-Control"] == "public, max-age=60"
    assert client.get("/portfolio/", headers={"If-None-Match": etag}).status_code == 304
    assert client.get("/portfolio/", headers={"If-Modified-Since": modified}).status_code == 304
    assert client.get("/portfolio/?area=1", headers={"If-None-Match": etag}).status_code == 200
    chart = client.get("/portfolio/charts/area.svg")
    assert client.get("/portfolio/charts/area.svg",
                      headers={"If-None-Match": chart.headers["ETag"]}).status_code == 304
    factories.contribution("NOR", "100.00", date(2026, 8, 1), reference="DEP-9")
    db.session.commit()
    changed = client.get("/portfolio/", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and "USD 3,333,433.34" in changed.get_data(as_text=True)


def test_a_signed_in_user_gets_a_copy_no_cache_keeps(world, client):
    anonymous = client.get("/portfolio/").headers["ETag"]
    Auth(client).login("kenya@example.org")
    response = client.get("/portfolio/")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["ETag"] != anonymous
    assert client.get("/portfolio/", headers={"If-None-Match": anonymous}).status_code == 200


def test_an_empty_fund(seeded, client):
    html = client.get("/portfolio/").get_data(as_text=True)
    assert "0 funded programmes" in html and "No contributions yet." in html
    assert client.get("/portfolio/charts/donors.svg").status_code == 200


def test_a_correction_in_place_is_a_change(world, client):
    """A contribution corrected to another donor keeps every sum and count: its audit event
    still makes the cached copies stale."""
    from mptf.allocation import services
    from mptf.models import Contribution

    etag = client.get("/portfolio/").headers["ETag"]
    deposit = db.session.scalar(db.select(Contribution).where(Contribution.reference == "DEP-2"))
    services.correct_contribution(world.users["office"], deposit, services.ContributionInput(
        reference="DEP-2", donor_id=factories.state("SWE").id, deposited_on=deposit.deposited_on,
        amount_cents=deposit.amount_cents, earmark_area_id=None), "Wrong donor typed.")
    db.session.commit()
    changed = client.get("/portfolio/", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and "Sweden" in changed.get_data(as_text=True)
