"""The check that every answer of the API test suite matches the OpenAPI document
(``conformance.py``, run by ``conftest.py`` on each response) refuses what it should, and the
request checking's patterns read as JSON Schema reads them."""

from __future__ import annotations

import json
import re

import pytest

from mptf.api.schemas import COMPONENTS
from mptf.api.spec import document
from tests.mptf.api.conformance import Conformance


def answer(app, body, status=200, mimetype="application/json"):
    return app.response_class(body if isinstance(body, str) else json.dumps(body),
                              status=status, mimetype=mimetype)


def test_a_real_answer_passes_and_a_wrong_one_is_named(world, api, served_app):
    real = api.get("/api/v1/fund")
    check = Conformance(served_app)
    assert check.problems("GET", "/api/v1/fund", real) == []
    wrong = dict(real.get_json())
    key = next(k for k, v in wrong.items() if isinstance(v, int) and k.endswith("_cents"))
    wrong[key] = "lots"
    [problem] = check.problems("GET", "/api/v1/fund", answer(served_app, wrong))
    assert problem.startswith(f"GET /api/v1/fund 200: {key}: 'lots' is not of type")


def test_an_undocumented_status_or_media_type_is_named(served_app):
    check = Conformance(served_app)
    [status] = check.problems("GET", "/api/v1/fund", answer(served_app, {}, status=418))
    assert "answered 418, which it does not document" in status
    [media] = check.problems("GET", "/api/v1/fund", answer(served_app, "<p>", mimetype="text/html"))
    assert "as text/html, documented as application/json" in media


def test_an_error_off_the_operations_is_the_error_object(served_app):
    check = Conformance(served_app)
    assert check.problems("GET", "/api/v1/no-such", answer(served_app, {"error": {
        "code": "not_found", "message": "No.", "fields": {}}}, status=404)) == []
    assert check.problems("GET", "/api/v1/no-such", answer(
        served_app, {"detail": "No."}, status=404)) == [
        "GET /api/v1/no-such (no operation) 404: body: 'error' is a required property"]


def test_a_date_is_a_date(world, api, served_app):
    check = Conformance(served_app)
    note = api.get("/api/v1/programmes").get_json()["data"][0]
    path = f"/api/v1/programmes/{note['id']}"
    real = api.get(path).get_json()
    dated = [k for k, v in real.items() if isinstance(v, str) and re.fullmatch(
        r"\d{4}-\d\d-\d\d", v)]
    assert dated, real
    real[dated[0]] = "15/01/2026"
    [problem] = check.problems("GET", path, answer(served_app, real))
    assert f"{dated[0]}: '15/01/2026' is not a 'date'" in problem


def patterns(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "pattern" and isinstance(value, str):
                yield value
            else:
                yield from patterns(value)
    elif isinstance(node, list):
        for item in node:
            yield from patterns(item)


def test_every_pattern_is_anchored(served_app):
    """The request checking reads a pattern as a full match (Python's '$' also matches
    before a final newline), which is JSON Schema's reading for anchored patterns only."""
    with served_app.app_context():
        found = set(patterns(document(served_app))) | set(patterns(COMPONENTS))
    assert found
    assert [p for p in found if not (p.startswith("^") and p.endswith("$"))] == []


@pytest.mark.parametrize("key", ["12\n", "x", "1234"])
def test_a_principle_key_off_its_pattern_is_refused(world, api, api_tokens, key):
    refused = api.as_(api_tokens["KEN"]).post("/api/v1/notes", json={
        "title": "Keys", "principles": {key: "How."}})
    assert refused.status_code == 400
    assert refused.get_json()["error"]["fields"] == {
        f"principles.{key}": ["Keys must match ^[0-9]{1,3}$."]}
