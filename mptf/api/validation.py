"""Request checking for the API: JSON bodies against the very JSON Schemas the OpenAPI
document publishes (a small subset of JSON Schema, enough for these bodies), and query
parameters. Every problem is collected, by field, into one 400.

Supported keywords: type (one or a list; "integer" excludes booleans and floats), properties,
required, additionalProperties (false or a schema), items, minItems, maxItems, minimum,
maximum, minLength, maxLength, enum, pattern, format "date", and $ref to
#/components/schemas/<name>. Strings with NUL characters or unpaired surrogates are refused
(PostgreSQL cannot store them).
"""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

from flask import request

from mptf.forms_util import digits
from mptf.guards import MAX_ID
from mptf.services.errors import ServiceError

JSON_TYPES = {
    "object": dict, "array": list, "string": str, "boolean": bool, "null": type(None),
}


class ApiError(ServiceError):
    """A refusal of the request itself (malformed, missing or unknown fields, no token, too
    many requests), with the response headers it needs (Retry-After)."""

    def __init__(self, message: str, *, headers: dict[str, str] | None = None, **kwargs):
        super().__init__(message, **kwargs)
        self.headers = headers or {}


def bad_request(message: str, fields: dict[str, list[str]] | None = None) -> ApiError:
    """The request does not match its description (the OpenAPI document)."""
    return ApiError(message, fields=fields, status=400, code="bad_request")


def unprocessable(message: str, fields: dict[str, list[str]] | None = None) -> ApiError:
    """The request matches its description, but the fund's rules or data refuse it (an
    unknown reference, an incomplete note, a score off the rubric's scale): 422, so that a 400
    always means a request the description itself rules out."""
    return ApiError(message, fields=fields, status=422, code="invalid")


def _type_ok(value: Any, kind: str) -> bool:
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    return isinstance(value, JSON_TYPES[kind])


def _text_ok(value: str) -> bool:
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class Validator:
    def __init__(self, components: dict[str, dict]):
        self.components = components

    def errors(self, value: Any, schema: dict, path: str = "") -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        self._check(value, schema, path, found)
        return found

    def _resolve(self, schema: dict) -> dict:
        while "$ref" in schema:
            schema = self.components[schema["$ref"].rsplit("/", 1)[-1]]
        return schema

    def _check(self, value: Any, schema: dict, path: str, found: dict) -> None:
        schema = self._resolve(schema)
        name = path or "body"

        def add(message: str) -> None:
            found.setdefault(name, []).append(message)

        kinds = schema.get("type")
        if kinds is not None:
            kinds = [kinds] if isinstance(kinds, str) else kinds
            if not any(_type_ok(value, k) for k in kinds):
                add("Must be " + " or ".join(_article(k) for k in kinds) + ".")
                return
        if "enum" in schema and value not in schema["enum"]:
            add("Must be one of: " + ", ".join(json.dumps(v) for v in schema["enum"]) + ".")
            return
        if isinstance(value, str):
            self._string(value, schema, add)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            if "minimum" in schema and value < schema["minimum"]:
                add(f"Must be at least {schema['minimum']}.")
            if "maximum" in schema and value > schema["maximum"]:
                add(f"Must be at most {schema['maximum']}.")
        elif isinstance(value, list):
            if "minItems" in schema and len(value) < schema["minItems"]:
                add(f"Give at least {schema['minItems']} item(s).")
            if "maxItems" in schema and len(value) > schema["maxItems"]:
                add(f"Give at most {schema['maxItems']} items.")
                return
            if "items" in schema:
                for index, item in enumerate(value):
                    self._check(item, schema["items"], f"{path}[{index}]", found)
        elif isinstance(value, dict):
            self._object(value, schema, path, found, add)

    def _string(self, value: str, schema: dict, add) -> None:
        if not _text_ok(value):
            add("Must not contain NUL characters or unpaired surrogates.")
            return
        if "minLength" in schema and len(value) < schema["minLength"]:
            add("Must not be empty." if schema["minLength"] == 1
                else f"At least {schema['minLength']} characters.")
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            add(f"At most {schema['maxLength']} characters.")
        if "pattern" in schema and not re.fullmatch(schema["pattern"], value):
            add(f"Must match {schema['pattern']}.")
        if schema.get("format") == "date":
            try:
                date.fromisoformat(value)
                if len(value) != 10:
                    raise ValueError
            except ValueError:
                add("A date as YYYY-MM-DD.")

    def _object(self, value: dict, schema: dict, path: str, found: dict, add) -> None:
        properties = schema.get("properties", {})
        prefix = f"{path}." if path else ""
        for key in schema.get("required", []):
            if key not in value:
                found.setdefault(prefix + key, []).append("This field is required.")
        extra = schema.get("additionalProperties", True)
        if "maxProperties" in schema and len(value) > schema["maxProperties"]:
            add(f"At most {schema['maxProperties']} entries.")
            return
        for key, item in value.items():
            if not _text_ok(key):
                add("Keys must not contain NUL characters or unpaired surrogates.")
                continue
            if key in properties:
                self._check(item, properties[key], prefix + key, found)
            elif extra is False:
                found.setdefault(prefix + key, []).append("Unknown field.")
            elif isinstance(extra, dict):
                if "propertyNames" in schema and not re.fullmatch(
                        schema["propertyNames"]["pattern"], key):
                    found.setdefault(prefix + key, []).append(
                        f"Keys must match {schema['propertyNames']['pattern']}.")
                    continue
                self._check(item, extra, prefix + key, found)


def _article(kind: str) -> str:
    return {"integer": "an integer", "object": "an object", "array": "an array",
            "null": "null", "string": "a string", "boolean": "a boolean (true or false)",
            "number": "a number"}.get(kind, kind)


MAX_BODY_BYTES = 1024 * 1024


def too_large() -> ApiError:
    return ApiError(f"The body is larger than {MAX_BODY_BYTES // 1024} KiB.", status=413,
                    code="too_large")


def limit_body() -> None:
    """Refuse a body over ``MAX_BODY_BYTES``: by its Content-Length, or, sent in chunks
    without one, once read. Werkzeug stops reading such a body at the request's limit without
    a word, so the limit is one byte more and ``json_body`` refuses a body that reaches it."""
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise too_large()
    request.max_content_length = MAX_BODY_BYTES + 1


def json_body(validator: Validator, schema: dict) -> dict[str, Any]:
    """The request's JSON object, checked against ``schema``; a 400 listing every problem."""
    if not request.is_json:
        raise ApiError("Send a JSON body with Content-Type: application/json.", status=415,
                       code="unsupported_media_type")
    raw = request.get_data(cache=True)
    if len(raw) > MAX_BODY_BYTES:
        raise too_large()
    try:
        value = json.loads(raw.decode("utf-8"), parse_constant=_no_constant,
                           parse_float=_number)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise bad_request(f"The body is not valid JSON: {str(exc)[:200]}") from exc
    found = validator.errors(value, schema)
    if found:
        count = sum(len(v) for v in found.values())
        raise bad_request(f"The request has {count} problem{'s' if count != 1 else ''}; "
                          "see fields.", found)
    return value


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _number(text: str) -> int | float:
    """A JSON number with a fraction or exponent: as an int when it is a whole number, since
    JSON Schema's "integer" is any number without a fractional part (2.0, 1e2)."""
    value = float(text)
    return int(value) if value.is_integer() else value


# --- query parameters ---------------------------------------------------------------------------

def _admits_empty(schema: dict) -> bool:
    """Whether '' is a value of ``schema`` (a query parameter's: a string, an integer, an
    enum)."""
    if schema.get("type") != "string" or schema.get("minLength", 0) > 0:
        return False
    if "enum" in schema:
        return "" in schema["enum"]
    return "pattern" not in schema or re.fullmatch(schema["pattern"], "") is not None


def query_params(allowed: dict[str, dict]) -> None:
    """Refuse unknown query parameters (``allowed``: name → schema), repeated ones, NUL
    characters, and an empty value where the parameter's schema has none ('?area=' is no
    area: leave the parameter out; the site's own filter forms send empty values, the API
    does not take them)."""
    found: dict[str, list[str]] = {}
    for key in request.args:
        values = request.args.getlist(key)
        if key not in allowed:
            found.setdefault(key, []).append("Unknown parameter.")
        elif len(values) > 1:
            found.setdefault(key, []).append("Give this parameter once.")
        elif "\x00" in values[0]:
            found.setdefault(key, []).append("Must not contain NUL characters.")
        elif values[0] == "" and not _admits_empty(allowed[key]):
            found.setdefault(key, []).append("Give a value, or leave the parameter out.")
    if found:
        raise bad_request("Some query parameters are not accepted; see fields.", found)


DEFAULT_LIMIT, MAX_LIMIT = 50, 200


def limit_param() -> int:
    text = request.args.get("limit")
    if text is None:
        return DEFAULT_LIMIT
    if not digits(text) or not 1 <= int(text) <= MAX_LIMIT:
        raise bad_request("limit is a whole number from 1 to 200.",
                          {"limit": [f"A whole number from 1 to {MAX_LIMIT}."]})
    return int(text)


CURSOR_PATTERN = "^[0-9]{0,10}$"


def encode_cursor(last_id: int) -> str:
    """The next page's cursor: the last id of this page (a keyset, stable under inserts)."""
    return str(last_id)


def cursor_param() -> int:
    """The id after which the next page starts (0 for the first page). One past the largest
    id (PostgreSQL's integer: a larger number overflowed the query, a 500) has no page after
    it."""
    text = request.args.get("cursor")
    if text is None or text == "":
        return 0
    if not re.fullmatch(CURSOR_PATTERN, text, re.ASCII):
        raise _bad_cursor()
    return min(int(text), MAX_ID)


def _bad_cursor() -> ApiError:
    return bad_request("The cursor is not one this API gave; start again without it.",
                       {"cursor": ["Not a cursor from this API."]})
