"""Concept notes through the API: the same visibility as the site (another country's note is a
404), drafts created, changed and submitted through the pipeline services, keyset pages that
neither repeat nor skip a note inserted between them."""


from mptf.extensions import db
from mptf.models import AuditEvent, ConceptNote
from tests import factories

COMPLETE = {
    "title": "Skills partnerships",
    "thematic_area_id": 4,
    "objective_ids": [5, 18],
    "punos": [{"organisation": "IOM", "direct_cents": 60_000_000, "lead": True},
              {"organisation": "ilo", "direct_cents": 40_000_000}],
    "duration_months": 24,
    "gender_marker": 2, "gender_justification": "Women lead.",
    "human_rights_marker": 2, "human_rights_justification": "Rights-based.",
    "child_marker": 1, "child_justification": "Safeguarding plan.",
    "summary": "Skills for mobility.", "problem_statement": "Skills are not recognised.",
    "theory_of_change": "If skills are recognised then wages rise.",
    "expected_results": "Recognition agreements.",
    "national_partners": [{"name": "Ministry of Labour", "kind": "government"}],
    "stakeholders": [{"group": "migrants", "description": "Diaspora associations"}],
    "government_endorsed": True, "endorsement_date": "2026-01-15",
}


def principles() -> dict[str, str]:
    return {str(factories.principle_id("gender")): "Women lead the design.",
            str(factories.principle_id("child")): "Children are protected."}


def test_a_country_team_sees_its_own_notes_only(world, api, api_tokens):
    kenya = api.as_(api_tokens["KEN"]).get("/api/v1/notes").get_json()["data"]
    assert {n["country"]["iso3"] for n in kenya} == {"KEN"}
    assert sorted(n["id"] for n in kenya) == sorted(
        [world.funded[0].id, world.funded[1].id, world.draft.id])
    everyone = api.as_(api_tokens["sec"]).get("/api/v1/notes").get_json()["data"]
    assert len(everyone) == 6
    assert api.as_(api_tokens["admin"]).get("/api/v1/notes").get_json()["data"] == []


def test_another_countrys_note_is_not_found(world, api, api_tokens):
    kenya = api.as_(api_tokens["KEN"])
    other = world.other_draft.id
    for response in (kenya.get(f"/api/v1/notes/{other}"),
                     kenya.patch(f"/api/v1/notes/{other}", json={"title": "Mine now"}),
                     kenya.post(f"/api/v1/notes/{other}/submit")):
        assert response.status_code == 404
        assert response.get_json()["error"]["code"] == "not_found"
    assert kenya.get("/api/v1/notes/123456").status_code == 404
    db.session.refresh(world.other_draft)
    assert world.other_draft.title == "Bangladesh draft"


def test_note_detail_for_its_team_and_the_secretariat(world, api, api_tokens):
    mine = api.as_(api_tokens["KEN"]).get(f"/api/v1/notes/{world.draft.id}").get_json()
    assert mine["status"] == "draft" and mine["can_edit"] is True
    assert mine["punos"][0]["organisation"] == "IOM" and mine["punos"][0]["lead"] is True
    assert mine["total_cents"] == 107_000_000 and mine["total_usd"] == "1070000.00"
    seen = api.as_(api_tokens["sec"]).get(f"/api/v1/notes/{world.draft.id}").get_json()
    assert seen["can_edit"] is False and seen["reference"] == mine["reference"]


def test_filters_as_on_the_pages(world, api, api_tokens):
    sec = api.as_(api_tokens["sec"])

    def ids(query):
        response = sec.get(f"/api/v1/notes?{query}")
        assert response.status_code == 200, response.get_json()
        return sorted(n["id"] for n in response.get_json()["data"])

    assert ids("status=draft") == sorted([world.draft.id, world.other_draft.id])
    assert ids("status=pipeline") == [world.unfunded.id]
    assert ids("country=BGD&status=selected") == [world.funded[2].id]
    assert ids("region=Africa&area=1") == [world.funded[1].id]
    assert ids("q=returnees") == [world.funded[2].id]
    assert ids("country=ZZZ") == []
    bad = sec.get("/api/v1/notes?status=lost&area=0")
    assert bad.status_code == 400
    assert set(bad.get_json()["error"]["fields"]) == {"status", "area"}


def test_a_country_team_drafts_a_note_with_the_form_services(world, api, api_tokens):
    kenya = api.as_(api_tokens["KEN"])
    response = kenya.post("/api/v1/notes", json={**COMPLETE, "principles": principles()})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert response.headers["Location"].endswith(f"/api/v1/notes/{body['id']}")
    assert body["status"] == "draft" and body["country"]["iso3"] == "KEN"
    assert [(p["organisation"], p["lead"], p["direct_cents"], p["indirect_cents"])
            for p in body["punos"]] == [("IOM", True, 60_000_000, 4_200_000),
                                        ("ILO", False, 40_000_000, 2_800_000)]
    assert body["endorsement_date"] == "2026-01-15"
    note = db.session.get(ConceptNote, body["id"])
    assert note.created_by_id == world.users["KEN"].id
    assert db.session.scalar(db.select(AuditEvent.action).where(
        AuditEvent.entity_type == "concept_notes", AuditEvent.entity_id == note.id)) \
        == "note_created"


def test_only_a_country_team_drafts(world, api, api_tokens):
    for who in ("sec", "reviewer", "chair", "office", "admin"):
        response = api.as_(api_tokens[who]).post("/api/v1/notes", json={"title": "x"})
        assert response.status_code == 403, who
        assert response.get_json()["error"]["code"] == "forbidden"
    assert api.post("/api/v1/notes", json={"title": "x"}).status_code == 401


def test_update_then_submit_a_draft(world, api, api_tokens):
    kenya = api.as_(api_tokens["KEN"])
    created = kenya.post("/api/v1/notes", json={"title": "Only a title"}).get_json()
    incomplete = kenya.post(f"/api/v1/notes/{created['id']}/submit")
    assert incomplete.status_code == 422
    fields = incomplete.get_json()["error"]["fields"]
    assert {"summary", "punos", "thematic_area_id", "objective_ids", "principles",
            "duration_months", "national_partners"} <= set(fields)
    assert db.session.get(ConceptNote, created["id"]).status == "draft"
    changed = kenya.patch(f"/api/v1/notes/{created['id']}",
                          json={**COMPLETE, "title": "Now complete", "principles": principles()})
    assert changed.status_code == 200, changed.get_json()
    assert changed.get_json()["title"] == "Now complete"
    submitted = kenya.post(f"/api/v1/notes/{created['id']}/submit")
    assert submitted.status_code == 200, submitted.get_json()
    assert submitted.get_json()["status"] == "submitted"
    assert submitted.get_json()["current_version"] == 1
    again = kenya.post(f"/api/v1/notes/{created['id']}/submit")
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "state"
    frozen = kenya.patch(f"/api/v1/notes/{created['id']}", json={"title": "Too late"})
    assert frozen.status_code == 409


def test_a_patch_changes_only_the_fields_given(world, api, api_tokens):
    kenya = api.as_(api_tokens["KEN"])
    response = kenya.patch(f"/api/v1/notes/{world.draft.id}", json={"duration_months": 30})
    assert response.status_code == 200
    body = response.get_json()
    assert body["duration_months"] == 30 and body["title"] == world.draft.title
    assert [p["organisation"] for p in body["punos"]] == ["IOM", "ILO"]


def test_the_secretariat_cannot_change_a_note(world, api, api_tokens):
    response = api.as_(api_tokens["sec"]).patch(f"/api/v1/notes/{world.draft.id}",
                                                json={"title": "Edited"})
    assert response.status_code == 403


def test_unknown_organisation_and_area_are_refused_by_the_rules(world, api, api_tokens):
    """Well-formed (the description allows them) but refused by the fund's data: 422."""
    kenya = api.as_(api_tokens["KEN"])
    response = kenya.post("/api/v1/notes", json={
        "title": "x", "punos": [{"organisation": "NOPE", "direct_cents": 1}]})
    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == {"punos[0].organisation"}
    area = kenya.post("/api/v1/notes", json={"title": "x", "thematic_area_id": 42})
    assert area.status_code == 422
    assert set(area.get_json()["error"]["fields"]) == {"thematic_area_id"}
    twice = kenya.post("/api/v1/notes", json={"title": "x", "punos": [
        {"organisation": "IOM", "direct_cents": 1}, {"organisation": "IOM", "direct_cents": 2}]})
    assert twice.status_code == 422 and "punos" in twice.get_json()["error"]["fields"]


def test_a_refused_draft_leaves_nothing_behind(world, api, api_tokens):
    response = api.as_(api_tokens["KEN"]).post("/api/v1/notes", json={"title": "x", "punos": [
        {"organisation": "IOM", "direct_cents": 1}, {"organisation": "IOM", "direct_cents": 2}]})
    assert response.status_code == 422
    assert db.session.scalar(db.select(db.func.count(ConceptNote.id))) == 6


def test_pages_are_stable_when_a_note_is_inserted_between_them(world, api, api_tokens):
    sec = api.as_(api_tokens["sec"])
    first = sec.get("/api/v1/notes?limit=4").get_json()
    assert len(first["data"]) == 4 and first["next_cursor"]
    inserted = api.as_(api_tokens["KEN"]).post("/api/v1/notes", json={"title": "Late"})
    assert inserted.status_code == 201
    seen = [n["id"] for n in first["data"]]
    cursor = first["next_cursor"]
    while cursor:
        page = sec.get(f"/api/v1/notes?limit=4&cursor={cursor}").get_json()
        seen += [n["id"] for n in page["data"]]
        cursor = page["next_cursor"]
    everything = sorted(db.session.scalars(db.select(ConceptNote.id)))
    assert seen == everything  # each note once, in order, the new one last
    assert seen[-1] == inserted.get_json()["id"]


def test_limit_and_cursor_are_checked(world, api, api_tokens):
    sec = api.as_(api_tokens["sec"])
    for query in ("limit=0", "limit=201", "limit=x", "limit=-1", "cursor=!!", "cursor=eDox",
                  "cursor=" + "A" * 30, "cursor=" + "1" * 11, "cursor=٣", "cursor=-1"):
        response = sec.get(f"/api/v1/notes?{query}")
        assert response.status_code == 400, query
    assert len(sec.get("/api/v1/notes?limit=200").get_json()["data"]) == 6


def test_a_cursor_past_the_largest_id_is_an_empty_page(world, api, api_tokens):
    """On PostgreSQL a cursor past the integer column's range overflowed the query: a 500."""
    sec = api.as_(api_tokens["sec"])
    for path in ("/api/v1/notes", "/api/v1/rounds", "/api/v1/cycles", "/api/v1/programmes",
                 "/api/v1/decisions"):
        response = sec.get(f"{path}?cursor=9999999999")
        assert response.status_code == 200, path
        assert response.get_json()["data"] == [] and response.get_json()["next_cursor"] is None


def test_if_match_refuses_a_change_based_on_an_older_read(world, api, api_tokens):
    """Two clients read the draft; the first change lands, the second (If-Match of the older
    read) is refused with 412 and changes nothing; without If-Match a change still lands."""
    kenya = api.as_(api_tokens["KEN"])
    path = f"/api/v1/notes/{world.draft.id}"
    etag = kenya.get(path).headers["ETag"]
    first = kenya.patch(path, json={"title": "First"}, headers={"If-Match": etag})
    assert first.status_code == 200
    assert first.headers["ETag"] != etag
    late = kenya.patch(path, json={"title": "Late"}, headers={"If-Match": etag})
    assert late.status_code == 412
    assert late.get_json()["error"]["code"] == "precondition_failed"
    db.session.expire_all()
    assert db.session.get(ConceptNote, world.draft.id).title == "First"
    fresh = kenya.patch(path, json={"title": "Fresh"}, headers={"If-Match": first.headers["ETag"]})
    assert fresh.status_code == 200 and fresh.get_json()["title"] == "Fresh"
    assert kenya.patch(path, json={"title": "Any"}, headers={"If-Match": "*"}).status_code == 200
