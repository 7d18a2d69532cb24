"""Every refusal is JSON {"error": {"code", "message", "fields"}} with the right 4xx: bad JSON,
wrong types, missing and unknown fields, unknown parameters, methods and paths."""

from mptf.extensions import db
from mptf.models import ConceptNote


def error(response, status):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json
    body = response.get_json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["message"]
    return body["error"]


def test_bad_json(world, api, api_tokens):
    kenya = api.as_(api_tokens["KEN"])
    for raw in (b"{not json", b"", b"[1, 2", b'{"title": NaN}', b"\xff\xfe"):
        found = error(kenya.post("/api/v1/notes", data=raw,
                                 headers={"Content-Type": "application/json"}), 400)
        assert found["code"] == "bad_request"
    body = error(kenya.post("/api/v1/notes", json=["a list"]), 400)
    assert body["fields"] == {"body": ["Must be an object."]}
    not_json = error(kenya.post("/api/v1/notes", data="title=x",
                                headers={"Content-Type": "application/x-www-form-urlencoded"}),
                     415)
    assert not_json["code"] == "unsupported_media_type"


def test_wrong_types(world, api, api_tokens):
    found = error(api.as_(api_tokens["KEN"]).post("/api/v1/notes", json={
        "title": 5, "is_regional": "yes", "duration_months": "24", "gender_marker": 1.5,
        "objective_ids": [True], "endorsement_date": "15/01/2026",
        "punos": [{"organisation": "IOM", "direct_cents": "600"}],
        "principles": {"x": "y"}}), 400)
    assert set(found["fields"]) == {
        "title", "is_regional", "duration_months", "gender_marker", "objective_ids[0]",
        "endorsement_date", "punos[0].direct_cents", "principles.x"}
    assert found["fields"]["title"] == ["Must be a string."]
    assert found["fields"]["endorsement_date"] == ["A date as YYYY-MM-DD."]


def test_a_whole_number_written_with_a_fraction_is_an_integer(world, api, api_tokens):
    """JSON Schema's integer is any number without a fractional part: 2.0 and 1e2 are
    integers, and were refused as 'Must be an integer'."""
    created = api.as_(api_tokens["KEN"]).post("/api/v1/notes", json={
        "title": "Whole numbers", "gender_marker": 2.0, "duration_months": 1.2e1,
        "punos": [{"organisation": "IOM", "direct_cents": 1e2, "lead": True}]})
    assert created.status_code == 201, created.get_json()
    note = created.get_json()
    assert (note["gender_marker"], note["duration_months"]) == (2, 12)
    assert note["punos"][0]["direct_cents"] == 100


def test_rule_refusals_are_422_and_malformed_requests_400(world, api, api_tokens):
    """A 400 is a request the description rules out; the fund's rules refusing a well-formed
    one (here an incomplete note on submission) is a 422, with every problem in fields."""
    kenya = api.as_(api_tokens["KEN"])
    draft = kenya.post("/api/v1/notes", json={"title": "Only a title"}).get_json()
    refused = error(kenya.post(f"/api/v1/notes/{draft['id']}/submit"), 422)
    assert refused["code"] == "invalid" and refused["fields"]
    assert error(kenya.post("/api/v1/notes", json={"title": ""}), 400)["code"] == "bad_request"


def test_an_empty_parameter_is_refused_unless_its_schema_allows_it(world, api, api_tokens):
    """'?country=' matched nothing the description allows (three letters) and was taken as
    no filter; a 'q' or a 'cursor' may be empty."""
    for query in ("country=", "area=", "region=", "year=", "limit="):
        found = error(api.get(f"/api/v1/programmes?{query}"), 400)
        assert found["fields"] == {query[:-1]: ["Give a value, or leave the parameter out."]}
    assert error(api.as_(api_tokens["sec"]).get("/api/v1/notes?status="), 400)
    assert api.get("/api/v1/programmes?q=&cursor=").status_code == 200


def test_out_of_range_and_too_long(world, api, api_tokens):
    found = error(api.as_(api_tokens["KEN"]).post("/api/v1/notes", json={
        "title": "x" * 301, "gender_marker": 4, "duration_months": 0,
        "punos": [{"organisation": "IOM", "direct_cents": -1}],
        "summary": "nul \x00 byte"}), 400)
    assert set(found["fields"]) == {"title", "gender_marker", "duration_months",
                                    "punos[0].direct_cents", "summary"}


def test_missing_and_unknown_fields(world, api, api_tokens):
    kenya = api.as_(api_tokens["KEN"])
    missing = error(kenya.post("/api/v1/notes", json={}), 400)
    assert missing["fields"] == {"title": ["This field is required."]}
    unknown = error(kenya.post("/api/v1/notes", json={"title": "x", "colour": "red",
                                                      "country_id": 3}), 400)
    assert unknown["fields"] == {"colour": ["Unknown field."], "country_id": ["Unknown field."]}
    nested = error(kenya.post("/api/v1/notes", json={"title": "x", "punos": [
        {"organisation": "IOM"}, {"organisation": "ILO", "direct_cents": 1, "share": 2}]}), 400)
    assert nested["fields"] == {"punos[0].direct_cents": ["This field is required."],
                                "punos[1].share": ["Unknown field."]}
    review = error(api.as_(api_tokens["reviewer"]).put(
        f"/api/v1/rounds/{world.round_id}/reviews/{world.funded[2].id}", json={}), 400)
    assert review["fields"] == {"scores": ["This field is required."]}
    assert db.session.scalar(db.select(db.func.count(ConceptNote.id))) == 6


def test_unknown_and_repeated_query_parameters(world, api, api_tokens):
    found = error(api.get("/api/v1/programmes?colour=red"), 400)
    assert found["fields"] == {"colour": ["Unknown parameter."]}
    repeated = error(api.get("/api/v1/programmes?area=1&area=2"), 400)
    assert "area" in repeated["fields"]
    nul = error(api.get("/api/v1/programmes?q=a%00b"), 400)
    assert "q" in nul["fields"]


def test_methods_paths_and_ids(world, api, api_tokens):
    assert error(api.as_(api_tokens["KEN"]).client.delete(
        f"/api/v1/notes/{world.draft.id}",
        headers={"Authorization": f"Bearer {api_tokens['KEN']}"}), 405)["code"] \
        == "method_not_allowed"
    assert error(api.get("/api/v1/no-such-thing"), 404)["code"] == "not_found"
    assert error(api.get("/api/v1/programmes/0"), 404)
    assert error(api.get("/api/v1/programmes/99999999999999999999"), 404)
    assert error(api.as_(api_tokens["sec"]).get("/api/v1/notes/-1"), 404)


def test_a_body_too_large(world, api, api_tokens):
    found = error(api.as_(api_tokens["KEN"]).post(
        "/api/v1/notes", data=b"{" + b" " * (1024 * 1024) + b"}",
        headers={"Content-Type": "application/json"}), 413)
    assert found["code"] == "too_large"


def arabic_indic(number: int) -> str:
    return str(number).translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))


def test_a_405_says_which_methods_the_address_accepts(world, api, api_tokens, client):
    kenya = api.as_(api_tokens["KEN"])
    refused = kenya.client.delete(f"/api/v1/notes/{world.draft.id}", headers=kenya.headers())
    error(refused, 405)
    assert refused.headers["Allow"] == "GET, HEAD, OPTIONS, PATCH"
    assert error(api.post("/api/v1/fund"), 405)["message"] == (
        "This address does not accept that method; it accepts GET, HEAD, OPTIONS.")
    page = client.put("/login")
    assert page.status_code == 405
    assert page.headers["Allow"] == "GET, HEAD, OPTIONS, POST"


def test_an_id_out_of_range_is_not_found_with_any_method(world, api, api_tokens):
    """The router refused it and reported the other rule's methods on the same path: a 405
    where the description promises 404."""
    kenya, reviewer = api.as_(api_tokens["KEN"]), api.as_(api_tokens["reviewer"])
    for bad in (0, 2**31, 2**63):
        assert error(kenya.patch(f"/api/v1/notes/{bad}", json={"title": "x"}), 404)
        assert error(kenya.post(f"/api/v1/notes/{bad}/submit"), 404)
        assert error(reviewer.put(f"/api/v1/rounds/{world.round_id}/reviews/{bad}",
                                  json={"scores": {}}), 404)
        assert error(reviewer.put(f"/api/v1/rounds/{bad}/reviews/{world.funded[0].id}",
                                  json={"scores": {}}), 404)
    assert error(api.patch(f"/api/v1/notes/{2**31}", json={}), 401)  # as for a missing id


def test_an_id_of_other_digits_is_not_an_id(world, api, api_tokens):
    """'٣' matched the path's \\d and int() read it as 3: the note with id 3."""
    secretariat = api.as_(api_tokens["sec"])
    note_id = world.funded[0].id
    assert secretariat.get(f"/api/v1/notes/{note_id}").status_code == 200
    assert error(secretariat.get(f"/api/v1/notes/{arabic_indic(note_id)}"), 404)
    assert error(api.get(f"/api/v1/programmes/{arabic_indic(1)}"), 404)


def test_a_body_sent_in_chunks_is_held_to_the_same_limit(world, api, api_tokens):
    """Without a Content-Length the size check was skipped and the whole body read: a 2 MiB
    note was saved."""
    import io

    before = db.session.scalar(db.select(db.func.count(ConceptNote.id)))
    body = b'{"title": "Chunked"' + b" " * (2 * 1024 * 1024) + b"}"
    kenya = api.as_(api_tokens["KEN"])
    found = error(kenya.client.post(
        "/api/v1/notes", input_stream=io.BytesIO(body),
        headers={**kenya.headers(), "Content-Type": "application/json",
                 "Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True}), 413)
    assert found["code"] == "too_large"
    assert found["message"] == "The body is larger than 1024 KiB."
    assert db.session.scalar(db.select(db.func.count(ConceptNote.id))) == before
    small = kenya.client.post(
        "/api/v1/notes", input_stream=io.BytesIO(b'{"title": "Chunked"}'),
        headers={**kenya.headers(), "Content-Type": "application/json",
                 "Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True})
    assert small.status_code == 201, small.get_data(as_text=True)


def test_every_operation_documents_the_400_of_an_unknown_parameter(world, api):
    assert error(api.get("/api/v1/fund?colour=red"), 400)["fields"] == {
        "colour": ["Unknown parameter."]}
    document = api.get("/api/v1/openapi.json").get_json()
    undocumented = [f"{method} {path}" for path, item in document["paths"].items()
                    for method, op in item.items() if method != "parameters"
                    and "400" not in op["responses"]]
    assert undocumented == []
