"""How an HTML view refuses: the one path from a service's ``ServiceError`` to the page.

A view runs its service calls and its commit inside ``refusals(form)``::

    with refusals(form) as refused:
        note = services.submit(current_user, note)
        commit()
    if refused:
        return render_template("pipeline/edit.html", form=form), refused.status
    flash("Submitted.", "success")
    return redirect(...)

On a refusal the block stops, the session is rolled back (nothing of the request is kept,
and the objects read before are fresh again on their next use), the refusal's ``fields`` go
on the form's fields (a name the form has no field for goes to the form-level errors, which
the ``errors_summary`` macro lists), and its sentence is flashed. The form keeps what was
typed, so the view renders it again with ``refused.status`` (400, or the refusal's own: 403,
404, 409, ...). An object the user may not see, looked up before the block, raises
``NotFound`` to the error handler of ``mptf.web`` (a 404 page), an action they may not take
``NotAllowed`` (a 403 page): views do not turn them into ``abort`` themselves.

A form that places refusals its own way (rows of a nested list, radio groups) defines
``apply_service_errors(fields)``, and ``refusals`` calls it instead.

An action that cannot be undone is confirmed on a page of its own (``confirm.html`` with the
service's ``mptf.services.confirmation.Consequences``); ``confirmation(form)`` says which step
a request is, and the act itself refuses through ``refusals`` as any other::

    step = confirmation(form)
    if step.act:
        with refusals() as refused:
            services.withdraw(current_user, note, form.reason.data)
            commit()
        if not refused:
            flash(f"{note.reference} is withdrawn.", "success")
        return redirect(url_for("pipeline.show", note_id=note.id))
    return render_template("confirm.html", ...), step.status
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from flask import flash, request

from mptf.extensions import db
from mptf.services.errors import ServiceError


class Refused:
    """What ``refusals`` caught: false while no service refused, then the refusal."""

    def __init__(self) -> None:
        self.error: ServiceError | None = None

    def __bool__(self) -> bool:
        return self.error is not None

    @property
    def status(self) -> int:
        """The refusal's HTTP status (200 while nothing was refused)."""
        return self.error.status if self.error is not None else 200

    @property
    def message(self) -> str | None:
        return self.error.message if self.error is not None else None


def _add(field: Any, problems: list[str]) -> None:
    # A field's errors are a tuple until the form is validated.
    field.errors = [*field.errors, *problems]


def put_on_form(form: Any, fields: Mapping[str, list[str]]) -> None:
    """Each refused field's problems on the form's field of that name; a name the form has
    no field for goes to the form-level errors (``form.form_errors``)."""
    if hasattr(form, "apply_service_errors"):
        form.apply_service_errors(dict(fields))
        return
    for name, problems in fields.items():
        if name in form:
            _add(form[name], problems)
        else:
            form.form_errors = [*form.form_errors, *problems]


@contextmanager
def refusals(form: Any = None, *, sentence_on: str | None = None,
             saying: Callable[[ServiceError], str] | None = None) -> Iterator[Refused]:
    """Catch a ``ServiceError`` raised in the block: roll the session back, put its fields on
    ``form`` and flash its sentence; the yielded ``Refused`` then says so, with the status.

    ``saying(exc)`` is the flashed text instead of the refusal's sentence alone, where the
    page must say more ("Your edits are saved as a draft. " before it).

    ``sentence_on`` names the form field that says the refusal itself, on forms whose one
    sentence belongs next to a field rather than in a flash (a wrong password on the sign-in
    form): the sentence goes on the first field the refusal names that the form has, else
    on ``sentence_on``, and nothing is flashed."""
    refused = Refused()
    try:
        yield refused
    except ServiceError as exc:
        db.session.rollback()
        refused.error = exc
        if sentence_on is not None:
            name = next((name for name in exc.fields if name in form), sentence_on)
            _add(form[name], [exc.message])
            return
        if form is not None:
            put_on_form(form, exc.fields)
        flash(saying(exc) if saying is not None else exc.message, "error")


@dataclass(frozen=True)
class Step:
    """``act``: a valid POST with the confirm button, so the view does it; otherwise the
    confirmation page is shown with ``status``."""

    act: bool
    status: int


def confirmation(form: Any, button: str = "confirm") -> Step:
    """Which step of a confirmed action the request is: a GET, or a valid POST without
    ``button`` (a reason typed beside the button elsewhere is carried to the page), shows the
    page (200); a POST the form refuses (a missing reason, an expired CSRF token) shows it
    again with the form's errors (400); a valid POST with ``button`` acts."""
    if request.method != "POST":
        return Step(act=False, status=200)
    if not form.validate_on_submit():
        return Step(act=False, status=400)
    return Step(act=bool(form[button].data), status=200)


def wants_json() -> bool:
    """Whether the client asked for JSON (the API, or an Accept header preferring it) rather
    than a page: the error handlers answer each in its own kind."""
    return request.path.startswith("/api/") or (
        request.accept_mimetypes.best_match(["application/json", "text/html"])
        == "application/json")
