"""mptf: a multi-partner trust fund's pipeline, review and allocation workflow."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from mptf import config as config_module
from mptf.extensions import csrf, db, login_manager, migrate

MIGRATIONS_DIR = str(Path(__file__).parent / "migrations")


def create_app(config: dict[str, Any] | None = None,
               instance_path: str | None = None) -> Flask:
    """Build the application. ``config`` overrides what the environment gives;
    ``instance_path`` (absolute) replaces Flask's default instance folder."""
    app = Flask(__name__, instance_path=instance_path, instance_relative_config=True)
    app.config.from_mapping(config_module.from_environment(app.instance_path))
    if config:
        app.config.update(config)
        if "SQLALCHEMY_DATABASE_URI" in config:
            app.config["SQLALCHEMY_DATABASE_URI"] = config_module.normalise_database_url(
                config["SQLALCHEMY_DATABASE_URI"])
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        os.makedirs(app.instance_path, exist_ok=True)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = config_module.instance_secret_key(app.instance_path)

    hops = app.config.get("PROXY_HOPS", 0)
    if hops:
        # The client's address and scheme as the trusted proxies saw them (config.py); the
        # host stays the request's own, which TRUSTED_HOSTS checks.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops,
                                x_host=0, x_port=0, x_prefix=0)

    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR, render_as_batch=True,
                     compare_type=True)
    login_manager.init_app(app)
    csrf.init_app(app)

    from mptf import guards, logs, models  # noqa: F401  (every table known to SQLAlchemy and Alembic)
    from mptf.web import register_web

    logs.install(app)
    guards.install(app)
    register_web(app)
    return app
