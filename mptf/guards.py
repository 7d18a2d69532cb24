"""What every request of the HTML site is checked for before a view sees it: ids in paths
that fit the database's integer columns (another one names no row: a 404, never an overflow
and a 500) and no NUL characters in posted form fields or file names (PostgreSQL cannot store
them; the API refuses them in its own error format). Query strings are filters: each listing
drops a filter with a NUL character and says so, as it does any other bad filter."""

from __future__ import annotations

from flask import Flask, abort, request
from werkzeug.routing import IntegerConverter

from mptf.models.base import MAX_ID

NO_ID = 0  # no row has it: the ids of SQLite and PostgreSQL start at 1


class IdConverter(IntegerConverter):
    """``<int:...>``: an id of ASCII digits (``\\d`` also matched '٣', read as 3). An id
    outside ``min``..``max`` (by default the largest the database holds) names no row, so it
    becomes ``NO_ID`` and the view answers as for any missing id: 404, or the 401 or 403 an
    absent one gets. Refusing it in routing made a 405 where another method's rule shares the
    path (werkzeug then reports that rule's methods)."""

    regex = r"[0-9]+"

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)

    def to_python(self, value: str) -> int:
        number = int(value)
        if (self.min is not None and number < self.min) or (
                self.max is not None and number > self.max):
            return NO_ID
        return number


def _has_nul() -> bool:
    if request.method == "GET" or request.mimetype not in (
            "application/x-www-form-urlencoded", "multipart/form-data"):
        return False
    values = [*request.form.keys(), *(v for vs in request.form.listvalues() for v in vs),
              *(f.filename or "" for fs in request.files.listvalues() for f in fs)]
    return any("\x00" in value for value in values)


def install(app: Flask) -> None:
    """Before any blueprint is registered: the converter applies when the rules are bound."""
    app.url_map.converters["int"] = IdConverter

    @app.before_request
    def refuse_nul_characters():
        if not request.path.startswith("/api/") and _has_nul():
            abort(400, "A field contains a NUL character, which no text may hold; remove it "
                       "and try again. Nothing was saved.")
