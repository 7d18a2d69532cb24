"""The OpenAPI 3.1 description: generated from the routes, complete (every /api/v1 route is
described, every described path exists), self-consistent, and shown on a static docs page."""

import json
import re

from mptf.api.spec import api_rules, openapi_path


def document(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def test_every_api_route_is_described_and_every_described_path_exists(app, client):
    spec = document(client)
    assert spec["openapi"] == "3.1.0"
    routed: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1"):
            methods = {m.lower() for m in rule.methods - {"HEAD", "OPTIONS"}}
            routed.setdefault(openapi_path(rule.rule), set()).update(methods)
    described = {path: {m for m in item if m != "parameters"}
                 for path, item in spec["paths"].items()}
    assert described == routed
    assert {r.endpoint for r in api_rules(app)} == {
        "api." + op["operationId"] for item in spec["paths"].values()
        for method, op in item.items() if method != "parameters"}


def test_path_parameters_and_references_resolve(app, client):
    spec = document(client)
    text = json.dumps(spec)
    for name in re.findall(r'"#/components/schemas/([^"]+)"', text):
        assert name in spec["components"]["schemas"], name
    for name in re.findall(r'"#/components/responses/([^"]+)"', text):
        assert name in spec["components"]["responses"], name
    for path, item in spec["paths"].items():
        declared = {p["name"] for p in item.get("parameters", [])}
        assert declared == set(re.findall(r"{(\w+)}", path)), path
        for method, op in item.items():
            if method == "parameters":
                continue
            assert op["summary"] and op["responses"], (path, method)
            assert "429" in op["responses"]


def test_security_and_roles_are_declared(client):
    spec = document(client)
    notes = spec["paths"]["/api/v1/notes"]
    assert notes["post"]["security"] == [{"bearer": []}]
    assert notes["post"]["x-roles"] == ["country_team"]
    assert set(notes["post"]["responses"]) >= {"201", "400", "401", "403"}
    assert notes["post"]["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/NoteCreate"}
    assert spec["paths"]["/api/v1/programmes"]["get"]["security"] == [{}, {"bearer": []}]
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def test_the_description_is_cacheable(client):
    first = client.get("/api/v1/openapi.json")
    again = client.get("/api/v1/openapi.json", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_the_docs_page_lists_every_operation_without_scripts(client):
    spec = document(client)
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for item in spec["paths"].values():
        for method, op in item.items():
            if method != "parameters":
                assert f'id="{op["operationId"]}"' in html
    assert "<script" not in html and "style=" not in html
    assert "cdn" not in html.lower()
