"""Everything a request passes through: blueprints, security headers, error pages, the
template helpers and the SQLite foreign-key pragma."""

from __future__ import annotations

from flask import Flask, Response, g, jsonify, render_template, request
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm.exc import StaleDataError

from mptf import formatting
from mptf.extensions import db, login_manager
from mptf.forms_util import digits
from mptf.services.errors import NotAllowed, NotFound, ServiceError
from mptf.urls import external_url  # noqa: F401  (mptf.web.external_url, as before)
from mptf.views import wants_json

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)


@event.listens_for(Engine, "connect")
def _sqlite_foreign_keys(dbapi_connection, connection_record):
    """SQLite enforces foreign keys only when asked, per connection."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


def register_web(app: Flask) -> None:
    from mptf.admin.routes import bp as admin_bp
    from mptf.allocation.routes import bp as allocation_bp
    from mptf.api import blueprints as api_blueprints
    from mptf.auth.routes import bp as auth_bp
    from mptf.committee.routes import bp as committee_bp
    from mptf.main.routes import bp as main_bp
    from mptf.notifications.routes import bp as notifications_bp
    from mptf.pipeline.routes import bp as pipeline_bp
    from mptf.reports.routes import bp as reports_bp
    from mptf.review.routes import bp as review_bp

    for bp in (main_bp, auth_bp, admin_bp, pipeline_bp, committee_bp, review_bp, allocation_bp,
               reports_bp, notifications_bp, *api_blueprints()):
        app.register_blueprint(bp)

    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to see that page."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_user(user_id: str):
        from mptf.models import User

        # "<id>.<session version>" (User.get_id): a session of an older version, signed
        # out or deactivated since, is anonymous.
        number, _, version = user_id.partition(".")
        if not (digits(number) and digits(version)):
            return None
        user = db.session.get(User, int(number))
        if user is None or user.session_version != int(version):
            return None
        return user

    @login_manager.unauthorized_handler
    def unauthorized():
        from flask import flash, redirect, url_for

        if wants_json():
            return jsonify(error={"code": "unauthorized",
                                  "message": "Sign in or send a valid API token.",
                                  "fields": {}}), 401
        flash(login_manager.login_message, "info")
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if app.config.get("SESSION_COOKIE_SECURE"):
            response.headers.setdefault("Strict-Transport-Security",
                                        "max-age=31536000; includeSubDomains")
        if request.endpoint != "static" and signed_in():
            # Made for someone: no cache, the browser's included, keeps a copy (a shared
            # computer's back button, a proxy). Public answers keep their own caching.
            response.headers["Cache-Control"] = "no-store"
        return response

    def signed_in() -> bool:
        """A session's user, or on the API (which never reads the session) a token's."""
        if request.path.startswith("/api/"):
            return g.get("api_user") is not None
        from flask_login import current_user

        return current_user.is_authenticated

    def unknown_host():
        """A Host header the site does not answer for (config.TRUSTED_HOSTS): said without
        the page layout, whose links cannot be built for an untrusted host."""
        base = app.config.get("BASE_URL")
        message = ("This site does not answer for that host name; "
                   + (f"it is served at {base}." if base else
                      "open it at localhost or 127.0.0.1, or add the name to MPTF_TRUSTED_HOSTS."))
        if wants_json():
            return jsonify(error={"code": "unknown_host", "message": message,
                                  "fields": {}}), 400
        return Response(message + "\n", status=400, mimetype="text/plain")

    def error_page(status: int, title: str, message: str, code: str | None = None):
        if wants_json():
            return jsonify(error={"code": code or title.lower().replace(" ", "_"),
                                  "message": message, "fields": {}}), status
        return render_template("error.html", status=status, title=title, message=message), status

    @app.errorhandler(400)
    def bad_request(error):
        from flask_wtf.csrf import CSRFError
        from werkzeug.exceptions import SecurityError

        if isinstance(error, SecurityError):
            return unknown_host()
        if isinstance(error, CSRFError):
            return error_page(400, "Form expired",
                              "The form could not be accepted (missing or invalid security "
                              "token). Reload the page and try again; nothing was saved.")
        return error_page(400, "Bad request", getattr(error, "description", "Bad request."))

    @app.errorhandler(403)
    def forbidden(error):
        return error_page(403, "Not allowed",
                          "Your role does not allow this action. Nothing was changed.")

    @app.errorhandler(404)
    def not_found(error):
        return error_page(404, "Not found", "There is no such page, or it is not yours to see.")

    @app.errorhandler(NotFound)
    def not_theirs_to_see(exc: NotFound):
        """What a service would not show the user (``note_for`` and the like): a 404 with its
        sentence; views do not turn it into ``abort(404)``."""
        db.session.rollback()
        return error_page(404, "Not found", exc.message, code=exc.code)

    @app.errorhandler(NotAllowed)
    def not_theirs_to_do(exc: NotAllowed):
        """An action the user may see but not take: a 403 with the service's sentence."""
        db.session.rollback()
        return error_page(403, "Not allowed", exc.message, code=exc.code)

    @app.errorhandler(ServiceError)
    def refused_outside_a_form(exc: ServiceError):
        """A refusal no view caught (a view with a form uses ``mptf.views.refusals``):
        its sentence and status on a page of its own, nothing of the request kept."""
        db.session.rollback()
        return error_page(exc.status, "Refused", exc.message, code=exc.code)

    @app.errorhandler(405)
    def method_not_allowed(error):
        methods = sorted(getattr(error, "valid_methods", None) or ())
        response = app.make_response(error_page(
            405, "Method not allowed", "This address does not accept that method"
            + (f"; it accepts {', '.join(methods)}." if methods else ".")))
        if methods:
            response.headers["Allow"] = ", ".join(methods)  # RFC 9110: a 405 says which
        return response

    @app.errorhandler(413)
    def too_large(error):
        return error_page(413, "Too large", "The upload is larger than the fund accepts.")

    @app.errorhandler(StaleDataError)
    def changed_meanwhile(error):
        """A service flushed a write on a row another request had changed since it was read
        (the row's version counter): nothing of this request is kept."""
        db.session.rollback()
        return error_page(409, "Changed meanwhile", "Someone else changed this at the same "
                          "moment; nothing was saved. Reload the page and try again.")

    @app.teardown_request
    def rollback_uncommitted(exc):
        """Whatever a request did not commit is discarded (services flush, views commit)."""
        if exc is not None:
            db.session.rollback()

    formatting.register(app)
    # A domain's own template helpers are registered here, by the app, so that the shared
    # formatting module imports no domain.
    from mptf.pipeline import history

    app.add_template_filter(history.sentence, "note_event")
    app.add_template_global(history.detail, "note_event_detail")
