"""The one exception a service raises to refuse something, with a sentence saying why."""

from __future__ import annotations


class ServiceError(Exception):
    """A refusal: ``message`` is shown to the user, ``status`` is the HTTP status a view or the
    API returns, ``fields`` maps form fields to their problems."""

    status = 400
    code = "invalid"

    def __init__(self, message: str, *, fields: dict[str, list[str]] | None = None,
                 status: int | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
        if status is not None:
            self.status = status
        if code is not None:
            self.code = code


class NotAllowed(ServiceError):
    status = 403
    code = "forbidden"


class NotFound(ServiceError):
    status = 404
    code = "not_found"


class Conflict(ServiceError):
    """The state changed under the request (a double submission, a concurrent approval)."""

    status = 409
    code = "conflict"
