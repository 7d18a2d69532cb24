"""Review rounds, reviews and funding cycles through the API: the rules of
``review.services.round_for``/``results_frame`` and ``allocation.cycles.cycle_for``; no
individual score of an open round reaches anyone but its reviewer."""

from datetime import date

import pytest

from mptf.extensions import db
from mptf.models import Review
from mptf.review import services as review
from tests.mptf.api.conftest import make_token


@pytest.fixture
def open_round(world):
    """Round 2, open, with the unfunded pipeline note: DEU, KEN and the CSO score it; IOM and
    UNDP are recused (PUNOs)."""
    round_ = review.create_round(world.users["sec"], review.RoundInput(
        name="Round 2", opens_on=date(2026, 6, 1), closes_on=date(2026, 7, 1),
        note_ids=[world.unfunded.id]))
    review.open_round(world.users["sec"], round_, date(2026, 6, 1))
    db.session.commit()
    return round_


def scores(round_, value):
    return {c.code: value for c in round_.criteria}


def test_rounds_by_role(world, open_round, api, api_tokens):
    def names(who):
        response = api.as_(api_tokens[who]).get("/api/v1/rounds")
        assert response.status_code == 200, who
        return [r["name"] for r in response.get_json()["data"]]

    assert names("sec") == ["Round 1", "Round 2"]
    assert names("chair") == ["Round 1", "Round 2"]
    assert names("reviewer") == ["Round 1", "Round 2"]
    assert names("office") == ["Round 1"]  # closed rounds only
    for who in ("KEN", "admin"):
        assert api.as_(api_tokens[who]).get("/api/v1/rounds").status_code == 403
    assert api.get("/api/v1/rounds").status_code == 401
    hidden = api.as_(api_tokens["office"]).get(f"/api/v1/rounds/{open_round.id}")
    assert hidden.status_code == 404


def test_round_detail_never_shows_scores_of_an_open_round(world, open_round, api, api_tokens):
    deu = api.as_(api_tokens["reviewer"])
    saved = deu.put(f"/api/v1/rounds/{open_round.id}/reviews/{world.unfunded.id}",
                    json={"scores": scores(open_round, 4), "submit": True})
    assert saved.status_code == 200, saved.get_json()
    sec = api.as_(api_tokens["sec"]).get(f"/api/v1/rounds/{open_round.id}")
    body = sec.get_json()
    assert body["status"] == "open"
    assert body["progress"] == [{"note_id": world.unfunded.id, "assigned": 3, "recused": 2,
                                 "submitted": 1}]
    assert "scores" not in sec.get_data(as_text=True)
    results = api.as_(api_tokens["sec"]).get(f"/api/v1/rounds/{open_round.id}/results")
    assert results.status_code == 409
    mine = deu.get(f"/api/v1/rounds/{open_round.id}").get_json()
    assert mine["my_assignments"] == [{"note_id": world.unfunded.id, "status": "assigned",
                                       "review_status": "submitted"}]


def test_a_reviewer_saves_then_submits_a_review(world, open_round, api, api_tokens):
    deu = api.as_(api_tokens["reviewer"])
    path = f"/api/v1/rounds/{open_round.id}/reviews/{world.unfunded.id}"
    assert deu.get(path).get_json()["status"] is None
    first_code = open_round.criteria[0].code
    draft = deu.put(path, json={"scores": {first_code: 3}, "comment": "Halfway"})
    assert draft.status_code == 200 and draft.get_json()["status"] == "draft"
    incomplete = deu.put(path, json={"scores": {first_code: 3}, "submit": True})
    assert incomplete.status_code == 422
    assert len(incomplete.get_json()["error"]["fields"]) == len(open_round.criteria) - 1
    out_of_scale = deu.put(path, json={"scores": scores(open_round, 9), "submit": True})
    assert out_of_scale.status_code == 422
    assert set(out_of_scale.get_json()["error"]["fields"]) == {c.code for c in
                                                              open_round.criteria}
    unknown = deu.put(path, json={"scores": {"charm": 5}})
    assert unknown.status_code == 422 and "criteria" in unknown.get_json()["error"]["fields"]
    done = deu.put(path, json={"scores": scores(open_round, 4), "comments": {first_code: "ok"},
                               "submit": True})
    assert done.status_code == 200
    assert done.get_json()["scores"] == scores(open_round, 4)
    assert done.get_json()["comments"] == {first_code: "ok"}
    assert db.session.scalar(db.select(db.func.count(Review.id)).where(
        Review.round_id == open_round.id)) == 1


def test_who_may_not_score(world, open_round, api, api_tokens):
    path = f"/api/v1/rounds/{open_round.id}/reviews/{world.unfunded.id}"
    body = {"scores": scores(open_round, 4)}
    recused = api.as_(api_tokens["undp"]).put(path, json=body)
    assert recused.status_code == 404
    for who in ("sec", "KEN", "chair"):
        assert api.as_(api_tokens[who]).put(path, json=body).status_code == 403, who
    not_in_round = api.as_(api_tokens["reviewer"]).put(
        f"/api/v1/rounds/{open_round.id}/reviews/{world.funded[0].id}", json=body)
    assert not_in_round.status_code == 404
    closed = api.as_(api_tokens["reviewer"]).put(
        f"/api/v1/rounds/{world.round_id}/reviews/{world.funded[2].id}", json=body)
    assert closed.status_code == 409


def test_closed_round_results_are_aggregates(world, api, api_tokens):
    for who in ("sec", "chair", "office", "reviewer"):
        response = api.as_(api_tokens[who]).get(f"/api/v1/rounds/{world.round_id}/results")
        assert response.status_code == 200, who
    rows = response.get_json()["results"]
    assert [r["rank"] for r in rows] == [1, 2, 3, 4]
    assert rows[-1]["reference"] == world.unfunded.reference
    assert rows[0]["score"] == 100.0 and rows[-1]["score"] == 25.0
    assert rows[0]["n_reviews"] == 3 and rows[0]["quorum_met"] is True
    assert api.as_(api_tokens["KEN"]).get(
        f"/api/v1/rounds/{world.round_id}/results").status_code == 403


def test_cycles_for_the_secretariat_the_chair_and_the_fund_office(world, api, api_tokens):
    for who in ("sec", "chair", "office"):
        listed = api.as_(api_tokens[who]).get("/api/v1/cycles")
        assert listed.status_code == 200
        assert [c["name"] for c in listed.get_json()["data"]] == ["Cycle 2026-1"]
    detail = api.as_(api_tokens["office"]).get(f"/api/v1/cycles/{world.cycle.id}").get_json()
    assert detail["status"] == "approved" and detail["round_ids"] == [world.round_id]
    assert sum(a["amount_cents"] for a in detail["allocations"]) == 321_000_000
    run_id = detail["runs"][0]["id"]
    run = api.as_(api_tokens["sec"]).get(f"/api/v1/cycles/{world.cycle.id}/runs/{run_id}")
    lines = run.get_json()["lines"]
    assert [line["status"] for line in lines].count("funded") == 3
    assert {line["status"] for line in lines} == {"funded", "insufficient_funds"}
    assert api.as_(api_tokens["sec"]).get(
        f"/api/v1/cycles/{world.cycle.id}/runs/999").status_code == 404
    assert api.as_(api_tokens["sec"]).get("/api/v1/cycles/999").status_code == 404
    for who in ("KEN", "reviewer", "admin"):
        assert api.as_(api_tokens[who]).get("/api/v1/cycles").status_code == 403
        assert api.as_(api_tokens[who]).get(
            f"/api/v1/cycles/{world.cycle.id}").status_code == 403


def test_me_for_every_role(world, api):
    for key, user in world.users.items():
        token = make_token(user, name=f"{key} token")
        body = api.as_(token).get("/api/v1/me").get_json()
        assert body["id"] == user.id and body["role"] == user.role
        assert body["token"]["name"] == f"{key} token"
