import click
from flask.cli import with_appcontext

from mptf.refusals import refusals_exit_2
from mptf.services.policy import Role


@click.group("pipeline")
def cli() -> None:
    """The rolling pipeline of concept notes."""


@cli.command("expire")
@click.option("--on", "on", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="the day to expire notes on (default: today)")
@with_appcontext
@refusals_exit_2
def expire(on) -> None:
    """Move pipeline notes past their validity to 'expired'."""
    from mptf.pipeline.services import expire_notes
    from mptf.services.unit_of_work import commit

    references = expire_notes(on.date() if on else None)
    commit()
    click.echo(f"{len(references)} note(s) expired" + (": " + ", ".join(references)
                                                      if references else "."))


@click.group("notes")
def notes_cli() -> None:
    """Concept notes in bulk."""


@notes_cli.command("import")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--as", "email", default=None,
              help="the secretariat account recorded as importer (default: the first one)")
@with_appcontext
@refusals_exit_2
def import_command(path: str, email: str | None) -> None:
    """Load concept notes from a CSV file; report accepted and rejected rows."""
    from mptf.extensions import db
    from mptf.models import User
    from mptf.pipeline.importer import import_notes
    from mptf.services.errors import ServiceError
    from mptf.services.unit_of_work import commit

    query = db.select(User).where(User.role == Role.SECRETARIAT).order_by(User.id)
    if email:
        query = query.where(User.email == email.lower())
    actor = db.session.scalars(query).first()
    if actor is None:
        raise ServiceError("No secretariat account" + (f" {email}" if email else "") +
                           " to record the import; create one with 'mptf user create'.")
    try:
        with open(path, encoding="utf-8-sig") as handle:
            text = handle.read()
    except OSError as exc:
        raise ServiceError(f"Cannot read {path}: {exc.strerror}.") from exc
    except UnicodeDecodeError as exc:
        raise ServiceError(f"{path} is not UTF-8 text; save it as CSV UTF-8.") from exc
    report = import_notes(actor, text)
    commit()
    for line in report.lines():
        click.echo(line)
