"""The ``mptf`` command: seed, demo, serve [--production], user create, and Flask-Migrate's
``db``.

Every refusal prints one sentence to stderr and exits with status 2.
"""

from __future__ import annotations

import click
from flask.cli import FlaskGroup, with_appcontext

from mptf.refusals import refusals_exit_2


def _create_app():
    from mptf import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=False,
             add_version_option=False)
def main() -> None:
    """mptf: the Migration MPTF's pipeline, review and allocation workflow."""


@main.command("seed")
@with_appcontext
@refusals_exit_2
def seed_command() -> None:
    """Load the reference data (idempotent)."""
    from mptf.extensions import db
    from mptf.reference.seed import seed_reference_data

    report = seed_reference_data()
    db.session.commit()
    for line in report.lines():
        click.echo(line)


def production_problems(config) -> list[str]:
    """What production needs and ``config`` lacks, as parts of one sentence."""
    problems = []
    if not config.get("SECRET_KEY_FROM_ENVIRONMENT"):
        problems.append("MPTF_SECRET_KEY (every worker and every host must sign sessions and "
                        "forms with one key)")
    if not config.get("BASE_URL"):
        problems.append("MPTF_BASE_URL (the address the public reaches the site at: links "
                        "are built from it, never from the request's Host header)")
    return problems


def run_gunicorn(bind: str, workers: int) -> None:
    """gunicorn's sync workers, each building its own app (and database pool) after the
    fork."""
    from gunicorn.app.base import BaseApplication

    class Server(BaseApplication):
        def load_config(self):
            self.cfg.set("bind", bind)
            self.cfg.set("workers", workers)
            self.cfg.set("accesslog", "-")

        def load(self):
            return _create_app()

    Server().run()


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--debug/--no-debug", default=False)
@click.option("--production", is_flag=True,
              help="serve with gunicorn; refuses to start without MPTF_SECRET_KEY and "
                   "MPTF_BASE_URL")
@click.option("--workers", default=4, show_default=True, type=click.IntRange(1, 64),
              help="gunicorn workers (with --production)")
@with_appcontext
def serve_command(host: str, port: int, debug: bool, production: bool, workers: int) -> None:
    """The development server, or with --production gunicorn (see README)."""
    from flask import current_app
    from werkzeug.serving import run_simple

    from mptf.refusals import fail

    app = current_app._get_current_object()
    if production:
        if debug:
            fail("--debug is for the development server, never with --production.")
        problems = production_problems(app.config)
        if problems:
            fail("Production needs " + " and ".join(problems) + "; set "
                 + ("them" if len(problems) > 1 else "it") + " and start again.")
        run_gunicorn(f"{host}:{port}", workers)
        return
    # Flask's app.run() refuses to start from within a Flask CLI command; serve directly.
    app.debug = debug
    run_simple(host, port, app, use_reloader=False, use_debugger=debug, threaded=True)


@main.group("user")
def user_group() -> None:
    """Manage accounts."""


@user_group.command("create")
@click.argument("email")
@click.option("--role", required=True, help="country_team, secretariat, reviewer, chair, "
              "fund_office or admin")
@click.option("--country", "country_iso3", help="ISO 3166 alpha-3, for country teams")
@click.option("--name", default="")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="at least 10 characters (prompted when not given)")
@with_appcontext
@refusals_exit_2
def user_create(email: str, role: str, country_iso3: str | None, name: str,
                password: str) -> None:
    """Create an account."""
    from mptf.auth.services import create_user
    from mptf.services.unit_of_work import commit

    user = create_user(email, password, role, name=name, country_iso3=country_iso3)
    commit(f"A user with e-mail {email} already exists.")
    click.echo(f"Created {user.role} account {user.email}"
               + (f" for {user.country.name}" if user.country else "") + ".")


@main.command("demo")
@click.option("--reset/--no-reset", default=False,
              help="drop every table of the configured database first")
@with_appcontext
@refusals_exit_2
def demo_command(reset: bool) -> None:
    """Build a demo database: schema, reference data, one account per role, demo content."""
    from mptf.demo import build_demo

    for line in build_demo(reset=reset):
        click.echo(line)


def _add_domain_commands() -> None:
    from mptf.allocation.cli import cli as allocation_cli
    from mptf.api.cli import iati_command
    from mptf.committee.cli import cli as committee_cli
    from mptf.main.cli import maintenance_command
    from mptf.notifications.cli import cli as mail_cli
    from mptf.pipeline.cli import cli as pipeline_cli
    from mptf.pipeline.cli import notes_cli
    from mptf.reports.cli import cli as export_cli
    from mptf.review.cli import cli as review_cli

    for group in (pipeline_cli, notes_cli, committee_cli, review_cli, allocation_cli,
                  export_cli, maintenance_command):
        main.add_command(group)
    main.add_command(mail_cli)
    # The API's IATI file is one of the exports: ``mptf export iati``.
    export_cli.add_command(iati_command)


_add_domain_commands()
