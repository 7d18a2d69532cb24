"""Every answer of the API against its published description: the status is one the operation
documents, the media type is the documented one, and a JSON body matches the documented
schema (JSON Schema 2020-12 through ``jsonschema``, with the formats "date" and "date-time"
checked). ``conftest.py`` runs it on every response of the API test suite."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Flask
from jsonschema import Draft202012Validator, FormatChecker
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound

from mptf.api.spec import document, openapi_path
from mptf.api.validation import iso_date


def _date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return "T" in value


FORMATS = FormatChecker(formats=())
FORMATS.checks("date")(iso_date)
FORMATS.checks("date-time")(_date_time)


class Conformance:
    def __init__(self, app: Flask):
        self.app = app
        with app.app_context():
            self.document = document(app)
        self.adapter = app.url_map.bind("localhost")

    def _resolve(self, item: dict) -> dict:
        while "$ref" in item:
            node: Any = self.document
            for step in item["$ref"].removeprefix("#/").split("/"):
                node = node[step]
            item = node
        return item

    def _operation(self, method: str, path: str) -> tuple[str, dict | None]:
        """(a name for messages, the operation's description or None off the API's rules)."""
        try:
            rule, _ = self.adapter.match(path, method=method, return_rule=True)
        except (NotFound, MethodNotAllowed):
            return f"{method} {path} (no operation)", None
        except HTTPException:  # a redirect (a missing slash): no operation answers it
            return f"{method} {path} (no operation)", None
        item = self.document["paths"].get(openapi_path(rule.rule), {})
        return f"{method} {openapi_path(rule.rule)}", item.get(method.lower())

    def problems(self, method: str, path: str, response) -> list[str]:
        """What in ``response`` (to ``method path``) its description does not say."""
        if method in ("HEAD", "OPTIONS") or path == "/api/v1/openapi.json":
            return []
        name, described = self._operation(method, path)
        status = str(response.status_code)
        if described is None:
            # No operation (an unknown path or method): the API's error object all the same.
            answer: dict | None = {"content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/Error"}}}}
        else:
            answer = described["responses"].get(status)
            if answer is None:
                return [f"{name} answered {status}, which it does not document "
                        f"(it documents {', '.join(sorted(described['responses']))})"]
        answer = self._resolve(answer)
        content = answer.get("content")
        if not content or status == "304":
            return []
        if response.mimetype not in content:
            return [f"{name} answered {status} as {response.mimetype}, documented as "
                    f"{', '.join(content)}"]
        if response.mimetype != "application/json":
            return []
        schema = content["application/json"].get("schema")
        if schema is None:
            return []
        root = {**self._resolve(schema), "components": self.document["components"]}
        validator = Draft202012Validator(root, format_checker=FORMATS)
        return [f"{name} {status}: {'/'.join(map(str, e.absolute_path)) or 'body'}: {e.message}"
                for e in validator.iter_errors(response.get_json())]
