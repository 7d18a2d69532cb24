"""The public API: funded programmes, the fund's money, contributions, issued decisions, the
pipeline's demand; filters, pagination, conditional GET, and nothing unfunded or scored."""

from datetime import date

from mptf.extensions import db
from tests import factories
from tests.mptf.api.conftest import DRAFT_MARK, REVIEW_MARK, UNFUNDED_MARK


def test_programmes_are_the_allocations_of_the_approved_cycle(world, api):
    response = api.get("/api/v1/programmes")
    assert response.status_code == 200
    body = response.get_json()
    assert body["next_cursor"] is None and body["limit"] == 50
    by_reference = {p["reference"]: p for p in body["data"]}
    assert sorted(by_reference) == sorted(n.reference for n in world.funded)
    kenya = by_reference[world.funded[0].reference]
    assert kenya["country"] == {"iso3": "KEN", "name": "Kenya", "region": "Africa"}
    assert kenya["thematic_area"]["id"] == 4
    assert [(p["organisation"], p["lead"]) for p in kenya["punos"]] == [("IOM", True),
                                                                          ("ILO", False)]
    assert kenya["amount_cents"] == 107_000_000 and kenya["amount_usd"] == "1070000.00"
    assert kenya["decision_date"] == "2026-05-20"
    assert kenya["decision"]["reference"] == "MIG-SC-2026-01"
    assert kenya["decision"]["sha256"] == world.decision.pdf_sha256
    assert kenya["decision"]["pdf_url"].endswith(f"/reports/decisions/{world.decision.id}.pdf")
    assert sum(t["amount_cents"] for t in kenya["transfers"]) == kenya["amount_cents"]


def test_one_programme_and_a_missing_one(world, api):
    first = api.get("/api/v1/programmes").get_json()["data"][0]
    one = api.get(f"/api/v1/programmes/{first['id']}")
    assert one.status_code == 200 and one.get_json() == first
    missing = api.get("/api/v1/programmes/999")
    assert missing.status_code == 404
    assert missing.get_json()["error"]["code"] == "not_found"


def test_programme_filters(world, api):
    def references(query: str) -> list[str]:
        response = api.get(f"/api/v1/programmes?{query}")
        assert response.status_code == 200, response.get_json()
        return sorted(p["reference"] for p in response.get_json()["data"])

    kenya = sorted(n.reference for n in world.funded[:2])
    assert references("country=KEN") == kenya
    assert references("country=ken") == kenya
    assert references("region=Asia-Pacific") == [world.funded[2].reference]
    assert references("area=1") == [world.funded[1].reference]
    assert references("year=2026") == sorted(n.reference for n in world.funded)
    assert references("year=2025") == []
    assert references("q=RETURNEES") == [world.funded[2].reference]
    bad = api.get("/api/v1/programmes?region=Mars&year=1&area=x")
    assert bad.status_code == 400
    assert set(bad.get_json()["error"]["fields"]) == {"region", "year", "area"}


def test_programme_pages_follow_the_cursor(world, api):
    seen = []
    cursor = None
    while True:
        query = "limit=1" + (f"&cursor={cursor}" if cursor else "")
        body = api.get(f"/api/v1/programmes?{query}").get_json()
        seen += [p["id"] for p in body["data"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(a.id for a in world.cycle.allocations)


def test_fund_totals(world, api):
    body = api.get("/api/v1/fund").get_json()
    assert body["gross_cents"] == 333_333_334 and body["gross_usd"] == "3333333.34"
    assert body["fee_cents"] == 3_333_333
    assert body["net_cents"] == 330_000_001
    assert body["allocated_cents"] == 321_000_000
    assert body["available_cents"] == 9_000_001 and body["available_usd"] == "90000.01"
    assert (body["contributions"], body["donors"], body["programmes"]) == (2, 2, 3)


def test_contributions_by_donor_and_earmark(world, api):
    body = api.get("/api/v1/contributions").get_json()
    assert [(d["donor"], d["gross_cents"], d["net_cents"]) for d in body["by_donor"]] == [
        ("Germany", 200_000_000, 198_000_000), ("Norway", 133_333_334, 132_000_001)]
    assert body["by_earmark"] == [{"thematic_area_id": None, "contributions": 2,
                                   "gross_cents": 333_333_334, "gross_usd": "3333333.34",
                                   "net_cents": 330_000_001, "net_usd": "3300000.01"}]
    assert body["gross_cents"] == 333_333_334


def test_pipeline_demand_is_counts_and_money_only(world, api):
    body = api.get("/api/v1/pipeline/demand").get_json()
    asia = next(r for r in body["by_region"] if r["key"] == "Asia-Pacific")
    assert (asia["funded_notes"], asia["funded_cents"]) == (1, 107_000_000)
    assert (asia["unfunded_notes"], asia["unfunded_demand_cents"]) == (1, 107_000_000)
    area4 = next(r for r in body["by_thematic_area"] if r["key"] == 4)
    assert (area4["funded_notes"], area4["unfunded_notes"]) == (1, 1)
    assert [r["key"] for r in body["by_thematic_area"]] == [1, 2, 3, 4, 5]


def test_decisions_with_their_hash_and_the_stored_pdf(world, api, client):
    body = api.get("/api/v1/decisions").get_json()
    assert [d["reference"] for d in body["data"]] == ["MIG-SC-2026-01"]
    decision = body["data"][0]
    assert decision["sha256"] == world.decision.pdf_sha256
    assert decision["programmes"] == 3 and decision["allocated_cents"] == 321_000_000
    assert api.get(f"/api/v1/decisions/{decision['id']}").get_json() == decision
    pdf = client.get(f"/reports/decisions/{decision['id']}.pdf")
    assert pdf.status_code == 200 and pdf.data == b"%PDF-1.4 sealed decision"
    assert api.get("/api/v1/decisions/77").status_code == 404


def test_a_draft_decision_is_not_public(world, api):
    from mptf.models import Decision, FundingCycle

    cycle = FundingCycle(name="Cycle draft", status="draft")
    db.session.add(cycle)
    db.session.flush()
    draft = Decision(cycle=cycle, reference="MIG-SC-2026-02", status="draft")
    db.session.add(draft)
    db.session.commit()
    assert [d["reference"] for d in api.get("/api/v1/decisions").get_json()["data"]] == [
        "MIG-SC-2026-01"]
    assert api.get(f"/api/v1/decisions/{draft.id}").status_code == 404


def test_reference_data_for_the_write_operations(world, api):
    body = api.get("/api/v1/reference").get_json()
    assert [a["id"] for a in body["thematic_areas"]] == [1, 2, 3, 4, 5]
    assert len(body["gcm_objectives"]) == 23
    assert "IOM" in {o["acronym"] for o in body["un_entities"]}
    assert {"iso3": "KEN", "name": "Kenya", "region": "Africa"}.items() <= next(
        c for c in body["countries"] if c["iso3"] == "KEN").items()


PUBLIC_PATHS = ["/api/v1/programmes", "/api/v1/fund", "/api/v1/contributions",
                "/api/v1/pipeline/demand", "/api/v1/decisions", "/api/v1/reference",
                "/api/v1/iati/activities.xml", "/api/v1/openapi.json", "/api/v1/docs"]


def test_public_api_never_shows_unfunded_notes_or_reviews(world, api):
    paths = PUBLIC_PATHS + [f"/api/v1/programmes/{a.id}" for a in world.cycle.allocations] + [
        f"/api/v1/decisions/{world.decision.id}"]
    for path in paths:
        response = api.get(path)
        assert response.status_code == 200, path
        text = response.get_data(as_text=True)
        for mark in (UNFUNDED_MARK, DRAFT_MARK, REVIEW_MARK, world.unfunded.reference,
                     world.draft.reference):
            assert mark not in text, (mark, path)
    for programme in api.get("/api/v1/programmes").get_json()["data"]:
        assert "score" not in programme


def test_conditional_get(world, api):
    first = api.get("/api/v1/fund")
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert first.headers["Cache-Control"] == "public, max-age=60"
    again = api.get("/api/v1/fund", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == etag
    by_date = api.get("/api/v1/fund", headers={"If-Modified-Since": modified})
    assert by_date.status_code == 304
    other_query = api.get("/api/v1/programmes", headers={"If-None-Match": etag})
    assert other_query.status_code == 200
    factories.contribution("DEU", "10.00", date(2026, 7, 1), reference="DEP-3")
    db.session.commit()
    changed = api.get("/api/v1/fund", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert changed.get_json()["gross_cents"] == 333_334_334


def test_a_signed_in_reader_gets_a_copy_no_cache_keeps(world, api, api_tokens):
    response = api.as_(api_tokens["KEN"]).get("/api/v1/fund")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    anonymous = api.get("/api/v1/fund")
    assert anonymous.headers["ETag"] != response.headers["ETag"]
