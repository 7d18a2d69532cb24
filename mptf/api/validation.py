"""Request checking for the API: JSON bodies against the very JSON Schemas the OpenAPI
document publishes (checked by ``jsonschema``, JSON Schema 2020-12, the dialect of OpenAPI
3.1), and query parameters. Every problem is collected, by field, into one 400, each said in
a sentence of the fund's own (``MESSAGES``) rather than jsonschema's.

Fields are named by their path: ``title``, ``punos[0].direct_cents``, ``principles.3``, and
``body`` for the body itself. A field's type error is its only problem (its other keywords do
not apply), as is an enum's; past a maxItems or maxProperties, the items are not judged one
by one. Strings with NUL characters or unpaired surrogates are refused, as strings and as
keys, whatever the schema (PostgreSQL cannot store them).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

from flask import request
from jsonschema import Draft202012Validator, FormatChecker, ValidationError, validators

from mptf.forms_util import digits
from mptf.guards import MAX_ID
from mptf.services.errors import ServiceError


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


def _text_ok(value: str) -> bool:
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def iso_date(value: object) -> bool:
    """Format "date": YYYY-MM-DD (``date.fromisoformat`` alone also reads '20260115')."""
    if not isinstance(value, str):
        return True
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return len(value) == 10


FORMATS = FormatChecker(formats=())
FORMATS.checks("date")(iso_date)


def _pattern(validator, pattern: str, instance: Any, schema: dict) -> Iterator[ValidationError]:
    """"pattern" as JSON Schema reads it (ECMA-262): jsonschema's ``re.search`` lets '$' match
    before a final newline, so '12\\n' matched '^[0-9]{1,3}$'. Every pattern of the API is
    anchored (^…$, a test checks), and for those a full match is ECMA-262's reading."""
    if validator.is_type(instance, "string") and not re.fullmatch(pattern, instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


_json_type = Draft202012Validator.VALIDATORS["type"]


def _type(validator, kinds, instance: Any, schema: dict) -> Iterator[ValidationError]:
    """"type", and then no NUL or unpaired surrogate in a text, nor in an object's keys."""
    wrong = list(_json_type(validator, kinds, instance, schema))
    yield from wrong
    if wrong:
        return
    if isinstance(instance, str) and not _text_ok(instance):
        yield ValidationError(NUL_TEXT, validator="text")
    elif isinstance(instance, dict):
        for key in instance:
            if not _text_ok(key):
                yield ValidationError(NUL_KEY, validator="key", validator_value=key)


RequestValidator = validators.extend(Draft202012Validator, {"pattern": _pattern, "type": _type})


def _article(kind: str) -> str:
    return {"integer": "an integer", "object": "an object", "array": "an array",
            "null": "null", "string": "a string", "boolean": "a boolean (true or false)",
            "number": "a number"}.get(kind, kind)


def _kinds(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _min_length(n: int) -> str:
    return "Must not be empty." if n == 1 else f"At least {n} characters."


# The sentence for each keyword's failure, from the keyword's value.
MESSAGES: dict[str, Callable[[Any], str]] = {
    "type": lambda kinds: "Must be " + " or ".join(_article(k) for k in _kinds(kinds)) + ".",
    "enum": lambda values: "Must be one of: " + ", ".join(json.dumps(v) for v in values) + ".",
    "minimum": lambda n: f"Must be at least {n}.",
    "maximum": lambda n: f"Must be at most {n}.",
    "minItems": lambda n: f"Give at least {n} item(s).",
    "maxItems": lambda n: f"Give at most {n} items.",
    "minLength": _min_length,
    "maxLength": lambda n: f"At most {n} characters.",
    "pattern": lambda pattern: f"Must match {pattern}.",
    "format": lambda name: "A date as YYYY-MM-DD." if name == "date" else f"Must be a {name}.",
    "maxProperties": lambda n: f"At most {n} entries.",
}
NUL_TEXT = "Must not contain NUL characters or unpaired surrogates."
NUL_KEY = "Keys must not contain NUL characters or unpaired surrogates."
WHOLE = ("maxItems", "maxProperties")  # past these, the items are not judged one by one
# A field that is not of its type has no other problem; one off its enum none but that; a text
# with a NUL none but that.
FIRST = ("type", "enum", "text", "")


def field_name(path: str, step: str | int) -> str:
    if isinstance(step, int):
        return f"{path}[{step}]"
    return f"{path}.{step}" if path else step


class Validator:
    """Checks a value against a schema that may ``$ref`` the OpenAPI document's
    ``#/components/schemas/<name>`` (``components``)."""

    def __init__(self, components: dict[str, dict]):
        self.components = components
        self._validators: dict[int, tuple[dict, Any]] = {}

    def validator(self, schema: dict) -> Any:
        """One jsonschema validator per schema (the schemas are the module's constants): the
        schema as the root of a document that holds the components, so that their
        references resolve as they do in the OpenAPI document."""
        known = self._validators.get(id(schema))
        if known is None or known[0] is not schema:
            root = {**schema, "components": {"schemas": self.components}}
            known = (schema, RequestValidator(root, format_checker=FORMATS))
            self._validators[id(schema)] = known
        return known[1]

    def errors(self, value: Any, schema: dict, path: str = "") -> dict[str, list[str]]:
        sentences: list[tuple[str, str, str]] = []  # field, keyword, sentence
        bad_keys: set[str] = set()  # judged no further: a key with a NUL
        off_pattern: set[str] = set()  # a key off its propertyNames: said, not judged further
        for error in self.validator(schema).iter_errors(value):
            name = path
            for step in error.absolute_path:
                name = field_name(name, step)
            keyword = str(error.validator)
            if keyword == "key":
                bad_keys.add(field_name(name, error.validator_value))
            elif "propertyNames" in error.relative_schema_path:
                keyword = "propertyNames"
                off_pattern.add(field_name(name, error.instance))
            sentences += [(field, keyword, text) for field, text in _sentences(name, error)]
        first: dict[str, str] = {}  # a field's problem that hides its others
        for field, keyword, _ in sentences:  # a key's own pattern is the key's problem
            if keyword in FIRST and FIRST.index(keyword) < FIRST.index(
                    first.get(field, FIRST[-1])):
                first[field] = keyword
        wholes = {field for field, keyword, _ in sentences if keyword in WHOLE}
        found: dict[str, list[str]] = {}
        for field, keyword, text in sentences:
            if any(field != whole and _within(field, whole) for whole in wholes) \
                    or any(_within(field, key) for key in bad_keys):
                continue
            if keyword != "propertyNames" and (
                    (field in first and keyword != first[field])
                    or any(_within(field, key) for key in off_pattern)):
                continue
            _add(found, field, text)
        return found


def _add(found: dict[str, list[str]], field: str, message: str) -> None:
    messages = found.setdefault(field or "body", [])
    if message not in messages:
        messages.append(message)


def _within(field: str, parent: str) -> bool:
    """Whether ``field`` is ``parent`` or one of its items or properties."""
    return not parent or field == parent or field.startswith((parent + ".", parent + "["))


def _sentences(name: str, error: ValidationError) -> Iterator[tuple[str, str]]:
    keyword, instance = str(error.validator), error.instance
    if keyword == "required":
        for key in error.validator_value:
            if isinstance(instance, dict) and key not in instance:
                yield field_name(name, key), "This field is required."
    elif keyword == "additionalProperties":  # false: which keys no property names
        known = error.schema.get("properties", {})
        for key in instance:
            if key not in known:
                yield field_name(name, key), "Unknown field."
    elif "propertyNames" in error.relative_schema_path:
        yield field_name(name, instance), \
            f"Keys must match {error.schema.get('pattern', error.validator_value)}."
    elif keyword in MESSAGES:
        yield name, MESSAGES[keyword](error.validator_value)
    elif keyword in ("text", "key"):
        yield name, error.message
    else:
        yield name, error.message


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
