"""The ``mptf`` command: seed, demo, serve, user create, and Flask-Migrate's ``db``.

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


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--debug/--no-debug", default=False)
@with_appcontext
def serve_command(host: str, port: int, debug: bool) -> None:
    """The development server. In production, use gunicorn (see README)."""
    from flask import current_app
    from werkzeug.serving import run_simple

    # Flask's app.run() refuses to start from within a Flask CLI command; serve directly.
    app = current_app._get_current_object()
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
    from mptf.committee.cli import cli as committee_cli
    from mptf.pipeline.cli import cli as pipeline_cli
    from mptf.pipeline.cli import notes_cli
    from mptf.reports.cli import cli as export_cli
    from mptf.review.cli import cli as review_cli

    for group in (pipeline_cli, notes_cli, committee_cli, review_cli, allocation_cli,
                  export_cli):
        main.add_command(group)


_add_domain_commands()
