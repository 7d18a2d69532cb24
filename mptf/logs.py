"""Request and error logging, each line with the request's id.

Every request gets an id: the one a trusted reverse proxy sent in ``X-Request-ID`` (only
when ``PROXY_HOPS`` says proxies stand in front of the app, and only an id of at most 64
letters, digits, '-', '_' or '.'), or one made here. The response echoes it in its
``X-Request-ID`` header, and the page or JSON error of a server error quotes it, so that a
user's report leads to the log lines of that very request.

One line per request on the ``mptf.requests`` logger (INFO): method, path (without the query
string, which may hold what someone searched for), status, milliseconds, user id (``-`` for
the public), request id. An unhandled exception is logged by Flask on the ``mptf`` logger
(ERROR, with its traceback); the filter of that logger adds the request id to the record, so
the handler installed here prints it.
"""

from __future__ import annotations

import logging
import re
import sys
import time
import uuid

from flask import Flask, Response, g, has_request_context, jsonify, render_template, request
from werkzeug.exceptions import InternalServerError

REQUEST_ID_HEADER = "X-Request-ID"
TRUSTED_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}", re.ASCII)
FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"

logger = logging.getLogger("mptf")
request_logger = logging.getLogger("mptf.requests")


def request_id() -> str:
    """The current request's id ('-' outside a request)."""
    if not has_request_context():
        return "-"
    return g.get("request_id") or "-"


def _user_id() -> str:
    """The signed-in user's id, as far as the request already knew it: the API's token owner,
    or the site's session user once something has asked for it (the security headers do on
    every page), never loaded here (a failing request may have no database left)."""
    user = g.get("api_user") if request.path.startswith("/api/") else g.get("_login_user")
    number = getattr(user, "id", None)
    return str(number) if number is not None else "-"


class RequestContext(logging.Filter):
    """Adds ``request_id`` to every record, so that a format may print it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id()
        return True


def _configure_loggers(level: str) -> None:
    """Once per process: the filter on both loggers, and a handler on stderr (where gunicorn
    and systemd collect what a worker writes) unless someone configured one already."""
    for each in (logger, request_logger):
        if not any(isinstance(f, RequestContext) for f in each.filters):
            each.addFilter(RequestContext())
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(FORMAT))
        logger.addHandler(handler)
    logger.setLevel(level)


def _incoming_id(app: Flask) -> str:
    given = request.headers.get(REQUEST_ID_HEADER, "")
    if app.config.get("PROXY_HOPS", 0) > 0 and TRUSTED_REQUEST_ID.fullmatch(given):
        return given
    return uuid.uuid4().hex


def server_error_message() -> str:
    return ("Something went wrong on our side and nothing was saved. Please try again; if it "
            f"happens again, tell the fund's administrator the request id {request_id()}.")


def install(app: Flask) -> None:
    """Before anything else is registered: the request id exists for every other hook."""
    _configure_loggers(app.config.get("LOG_LEVEL", "INFO"))

    def start() -> None:
        g.request_id = _incoming_id(app)
        g.request_started = time.perf_counter()

    # First of the app's before-request functions, whoever registers theirs earlier.
    app.before_request_funcs.setdefault(None, []).insert(0, start)

    @app.after_request
    def log_request(response: Response) -> Response:
        """Registered first, so it runs last: after the security headers asked who is
        signed in, and with the status the other hooks left."""
        if "request_id" not in g:  # a request that failed before the first hook ran
            g.request_id = _incoming_id(app)
        response.headers[REQUEST_ID_HEADER] = g.request_id
        started = g.get("request_started")
        milliseconds = (time.perf_counter() - started) * 1000 if started is not None else 0.0
        request_logger.info("%s %s %s %.1fms user=%s request=%s", request.method,
                            request.path, response.status_code, milliseconds, _user_id(),
                            g.request_id)
        return response

    @app.errorhandler(InternalServerError)
    def server_error(error: InternalServerError):
        """An exception no handler knew (Flask has logged it with its traceback). The API's
        blueprint answers its own in its error format (``mptf.api.routes``); any other JSON
        client gets the same object, and a browser a page that needs no database."""
        from mptf.extensions import db
        from mptf.views import wants_json

        db.session.rollback()
        message = server_error_message()
        if wants_json():
            return jsonify(error={"code": "internal_error", "message": message, "fields": {},
                                  "request_id": request_id()}), 500
        return render_template("500.html", message=message, request_id=request_id()), 500
