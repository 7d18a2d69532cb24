"""Property: no request to any operation of the OpenAPI document gets a 5xx, whatever its
path parameters, query parameters, body and token; every refusal has the error format.

Strategies are built from the document itself: bodies from the request schemas (values of
the right and of the wrong types), raw JSON of any shape, malformed bytes. Bounded: a few
examples per operation (MPTF_FUZZ_EXAMPLES, default 8), no deadline, no example database."""

from __future__ import annotations

import json
import os
import re
from urllib.parse import urlencode

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

EXAMPLES = int(os.environ.get("MPTF_FUZZ_EXAMPLES", "8"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=os.environ.get("MPTF_FUZZ_RANDOM") != "1",
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much])

TEXT = st.text(max_size=24)
ANY_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats() | TEXT,
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=10)


def resolve(schema: dict, components: dict) -> dict:
    while "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def from_schema(schema: dict, components: dict, depth: int = 0):
    """Values shaped by ``schema``, sometimes of the wrong type or out of range."""
    schema = resolve(schema, components)
    kinds = schema.get("type", "object")
    kinds = [kinds] if isinstance(kinds, str) else kinds
    options = []
    for kind in kinds:
        if "enum" in schema:
            options.append(st.sampled_from(schema["enum"]))
        elif kind == "object" and depth < 3:
            properties = {k: from_schema(v, components, depth + 1)
                          for k, v in schema.get("properties", {}).items()}
            options.append(st.fixed_dictionaries({}, optional=properties))
            extra = schema.get("additionalProperties")
            if isinstance(extra, dict):
                options.append(st.dictionaries(st.sampled_from(["1", "7", "8", "gcm_relevance",
                                                                "feasibility", "x"]),
                                               from_schema(extra, components, depth + 1),
                                               max_size=4))
        elif kind == "array" and depth < 3:
            options.append(st.lists(from_schema(schema.get("items", {}), components,
                                                depth + 1), max_size=3))
        elif kind == "integer":
            low, high = schema.get("minimum", -(2**40)), schema.get("maximum", 2**40)
            options.append(st.integers(min_value=low, max_value=high))
            options.append(st.integers(min_value=-(2**64), max_value=2**64))
        elif kind == "string":
            if schema.get("format") == "date":
                options.append(st.dates().map(str))
            options.append(st.sampled_from(["IOM", "ILO", "UNDP", "nope"]))
            options.append(st.text(max_size=min(schema.get("maxLength", 40), 40)))
        elif kind == "boolean":
            options.append(st.booleans())
        elif kind == "null":
            options.append(st.none())
    options.append(ANY_JSON)
    return st.one_of(options)


PATH_VALUE = st.one_of(st.integers(min_value=1, max_value=8),
                       st.integers(min_value=-5, max_value=2**64).map(str),
                       st.from_regex(r"[A-Za-z0-9._~-]{1,10}", fullmatch=True))


def query_strategy(parameters: list[dict]):
    names = [p["name"] for p in parameters if p["in"] == "query"]
    value = st.one_of(TEXT, st.integers(min_value=-(2**40), max_value=2**40).map(str),
                      st.sampled_from(["1", "KEN", "Africa", "2026", "draft", "", "a1Q"]))
    known = st.dictionaries(st.sampled_from(names), value, max_size=len(names)) if names \
        else st.just({})
    return st.tuples(known, st.sampled_from([{}, {}, {"colour": "red"}]))


def body_strategy(op: dict, components: dict):
    if "requestBody" not in op:
        return st.just(None)
    schema = op["requestBody"]["content"]["application/json"]["schema"]
    return st.one_of(
        from_schema(schema, components).map(lambda v: ("json", v)),
        ANY_JSON.map(lambda v: ("json", v)),
        st.binary(max_size=40).map(lambda b: ("raw", b)),
        st.just(("form", "title=x")),
    )


def check(response, path: str) -> None:
    assert response.status_code < 500, (path, response.status_code,
                                        response.get_data(as_text=True)[:500])
    if response.status_code >= 400:
        body = response.get_json(silent=True)
        assert body is not None, (path, response.status_code)
        assert set(body["error"]) == {"code", "message", "fields"}, body


def fuzz(client, tokens, components, template: str, method: str, op: dict):
    """The property for one operation, as a Hypothesis test to call."""

    @SETTINGS
    @given(path_values=st.fixed_dictionaries(
               {name: PATH_VALUE for name in re.findall(r"{(\w+)}", template)}),
           query=query_strategy(op.get("parameters", [])),
           body=body_strategy(op, components),
           token=st.sampled_from(tokens))
    def request(path_values, query, body, token):
        path = template.format(**path_values)
        known, extra = query
        url = path + ("?" + urlencode({**known, **extra}) if known or extra else "")
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        kwargs = {}
        if body is not None:
            kind, value = body
            kwargs["data"] = json.dumps(value) if kind == "json" else value
            headers["Content-Type"] = ("application/x-www-form-urlencoded" if kind == "form"
                                       else "application/json")
        response = client.open(url, method=method.upper(), headers=headers, **kwargs)
        check(response, f"{method.upper()} {url}")

    return request


def test_no_operation_answers_5xx(world, client, api_tokens):
    spec = client.get("/api/v1/openapi.json").get_json()
    components = spec["components"]["schemas"]
    tokens = [None, "mptf_not-a-token", api_tokens["KEN"], api_tokens["sec"],
              api_tokens["reviewer"], api_tokens["office"]]
    operations = [(path, method, op) for path, item in spec["paths"].items()
                  for method, op in item.items() if method != "parameters"]
    assert len(operations) >= 25
    for template, method, op in operations:
        fuzz(client, tokens, components, template, method, op)()
