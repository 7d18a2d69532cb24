"""The API's operations, described where they are defined, and the OpenAPI 3.1 document
generated from them with apispec.

Each view is decorated with ``@operation(...)``: the decorator both enforces what it declares
(a token and a role when ``roles`` is given; no query parameter that is not declared) and
records it for the document, so the description cannot promise what the code does not do.
The document's paths are the API blueprint's rules in ``app.url_map``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from apispec import APISpec
from flask import Flask, g

from mptf.api.schemas import COMPONENTS, ID, NO_NUL, ref
from mptf.api.validation import CURSOR_PATTERN, ApiError, query_params
from mptf.models import NOTE_STATUSES, REGIONS

API_VERSION = "1.0.0"
PREFIX = "/api/v1"

ERROR_TEXT = {
    400: "The request is malformed: bad JSON, wrong types, missing or unknown fields or "
         "parameters (see error.fields).",
    401: "No token, or an invalid, expired or revoked one.",
    403: "Your role does not allow this, or the token is read-only (code read_only_token).",
    404: "There is no such thing, or it is not yours to see.",
    409: "The object's state does not allow this now (e.g. a submitted note), or a "
         "concurrent change.",
    412: "If-Match names an older version of the object: someone changed it since you read "
         "it. GET it again, reapply your change and send its new ETag.",
    413: "The body is too large.",
    415: "The body is not JSON.",
    422: "The request is as described, but the fund's rules or data refuse it: an unknown "
         "reference (see /reference), an incomplete note on submission, a score off the "
         "rubric's scale (see error.fields).",
    429: "Too many requests: wait for Retry-After seconds.",
}


@dataclass
class Operation:
    summary: str
    description: str = ""
    tags: tuple[str, ...] = ()
    roles: tuple[str, ...] | None = None  # None: public; () any signed-in role
    params: tuple[dict, ...] = ()
    body: str | None = None
    response: str | None = None
    status: int = 200
    media_type: str = "application/json"
    errors: tuple[int, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def query_schemas(self) -> dict[str, dict]:
        return {p["name"]: p["schema"] for p in self.params if p["in"] == "query"}


def operation(summary: str, **kwargs: Any) -> Callable:
    described = Operation(summary, **kwargs)

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args: Any, **kw: Any) -> Any:
            if described.roles is not None:
                user = g.get("api_user")
                if user is None:
                    raise ApiError("Send your API token: Authorization: Bearer <token>.",
                                   status=401, code="unauthorized")
                if described.roles and user.role not in described.roles:
                    raise ApiError("Your role does not allow this.", status=403,
                                   code="forbidden")
            query_params(described.query_schemas)
            return view(*args, **kw)

        wrapped.api_operation = described
        return wrapped

    return decorator


# --- reusable parameters ---------------------------------------------------------------------

def query(name: str, schema: dict, description: str) -> dict:
    return {"name": name, "in": "query", "required": False, "schema": schema,
            "description": description}


LIMIT = query("limit", {"type": "integer", "minimum": 1, "maximum": 200, "default": 50},
              "Items per page, 1 to 200.")
CURSOR = query("cursor", {"type": "string", "pattern": CURSOR_PATTERN},
               "The next_cursor of the previous page (keyset on id: stable under inserts).")
AREA = query("area", {"type": "integer", "minimum": 1, "maximum": 99}, "Thematic area id.")
REGION = query("region", {"type": "string", "enum": list(REGIONS)}, "Region.")
COUNTRY = query("country", {"type": "string", "pattern": "^[A-Za-z]{3}$"},
                "Country, ISO 3166 alpha-3.")
YEAR = query("year", {"type": "integer", "minimum": 2000, "maximum": 2200},
             "Year of the funding decision.")
Q = query("q", {"type": "string", "maxLength": 200, "pattern": NO_NUL},
          "Words in the reference, title or summary.")
STATUS = query("status", {"type": "string", "enum": list(NOTE_STATUSES)}, "Note status.")
PAGED = (LIMIT, CURSOR)
IF_MATCH = {"name": "If-Match", "in": "header", "required": False,
            "schema": {"type": "string"},
            "description": "The ETag of the note as you last read it: the change is refused "
                           "(412) if the note has changed since, instead of overwriting it."}


# --- the document ---------------------------------------------------------------------------

RULE_ARGUMENT = re.compile(r"<(?:(?P<converter>[a-zA-Z_]+)(?:\([^)]*\))?:)?(?P<name>\w+)>")


def openapi_path(rule: str) -> str:
    return RULE_ARGUMENT.sub(lambda m: "{" + m["name"] + "}", rule)


def _path_parameters(rule) -> list[dict]:
    out = []
    for match in RULE_ARGUMENT.finditer(rule.rule):
        converter = rule._converters[match["name"]]
        schema = dict(ID) if match["converter"] == "int" else {"type": "string"}
        if match["converter"] == "int":
            schema["minimum"] = getattr(converter, "min", None) or 1
            schema["maximum"] = getattr(converter, "max", None) or ID["maximum"]
        out.append({"name": match["name"], "in": "path", "required": True, "schema": schema})
    return out


def api_rules(app: Flask) -> list:
    return sorted((r for r in app.url_map.iter_rules() if r.endpoint.startswith("api.")),
                  key=lambda r: (r.rule, r.endpoint))


def document(app: Flask) -> dict[str, Any]:
    """The OpenAPI 3.1 document of every rule of the API blueprint."""
    spec = APISpec(
        title="Migration MPTF API", version=API_VERSION, openapi_version="3.1.0",
        info={"description": (
            "Public data of the Migration Multi-Partner Trust Fund (funded programmes, the "
            "fund's money, issued decisions, the pipeline's demand in aggregate, IATI "
            "activities) and, with a personal API token, what your role sees on the site. "
            "Money is given twice: integer US cents (*_cents) and exact US dollars as text "
            "(*_usd). Errors are {\"error\": {\"code\", \"message\", \"fields\"}}.")},
        servers=[{"url": "/"}],
    )
    spec.components.security_scheme("bearer", {
        "type": "http", "scheme": "bearer",
        "description": "A personal token from your account page (/account/tokens). It "
                       "expires (90 days unless chosen otherwise, see GET /me) and is revoked "
                       "when its owner's password changes or the account is deactivated; a "
                       "read-only token may only GET (403 read_only_token otherwise)."})
    for name, schema in COMPONENTS.items():
        spec.components.schema(name, schema)
    for status, text in ERROR_TEXT.items():
        spec.components.response(f"E{status}", {
            "description": text,
            "content": {"application/json": {"schema": ref("Error")}}})
    paths: dict[str, dict[str, Any]] = {}
    for rule in api_rules(app):
        described: Operation | None = getattr(app.view_functions[rule.endpoint],
                                              "api_operation", None)
        if described is None:
            continue
        item = paths.setdefault(openapi_path(rule.rule), {"operations": {},
                                                          "parameters": _path_parameters(rule)})
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            item["operations"][method.lower()] = _operation(rule, described)
    for path, item in paths.items():
        spec.path(path=path, operations=item["operations"], parameters=item["parameters"])
    return spec.to_dict()


def _operation(rule, described: Operation) -> dict[str, Any]:
    # 400: an unknown or repeated parameter; 401: a token that is not valid, whatever the
    # operation (a public one also takes a token, and refuses a wrong one).
    errors = set(described.errors) | {400, 401, 429}
    if described.body:
        errors |= {400, 413, 415, 422}
    if rule.arguments:
        errors.add(404)
    if described.roles:
        errors.add(403)
    success: dict[str, Any] = {"description": "OK" if described.status == 200 else "Created"}
    if described.media_type == "application/json":
        if described.response:
            success["content"] = {"application/json": {"schema": ref(described.response)}}
    else:
        success["content"] = {described.media_type: {"schema": {"type": "string"}}}
    op: dict[str, Any] = {
        "operationId": rule.endpoint.removeprefix("api."),
        "summary": described.summary,
        "tags": list(described.tags),
        "parameters": list(described.params),
        "responses": {str(described.status): success,
                      **{str(s): {"$ref": f"#/components/responses/E{s}"} for s in
                         sorted(errors)}},
    }
    if described.description:
        op["description"] = described.description
    if described.roles is not None:
        op["security"] = [{"bearer": []}]
        if described.roles:
            op["x-roles"] = list(described.roles)
    else:
        op["security"] = [{}, {"bearer": []}]
    if described.body:
        op["requestBody"] = {"required": True, "content": {
            "application/json": {"schema": ref(described.body)}}}
    if described.status == 200 and described.media_type != "text/html" \
            and not described.body and described.roles is None:  # public data, cached
        op["responses"]["304"] = {"description": "Not modified (conditional GET with "
                                                 "If-None-Match or If-Modified-Since)."}
    op.update(described.extra)
    return op
