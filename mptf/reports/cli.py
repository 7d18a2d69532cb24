"""``mptf export …``: the documents on the command line (``mptf.cli`` mounts the group, and
the API's ``export iati`` in it)."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from mptf.refusals import refusals_exit_2


@click.group("export")
def cli() -> None:
    """Export sealed decisions, letters and reports."""


def _cycle(name_or_id: str):
    from mptf.extensions import db
    from mptf.forms_util import digits
    from mptf.models import FundingCycle
    from mptf.services.errors import ServiceError

    query = db.select(FundingCycle)
    query = query.where(FundingCycle.id == int(name_or_id)) if digits(name_or_id) else \
        query.where(FundingCycle.name == name_or_id)
    cycle = db.session.scalar(query)
    if cycle is None:
        raise ServiceError(f"No funding cycle '{name_or_id}' (give its id or its exact name).")
    return cycle


def _issued(cycle):
    from mptf.allocation.decisions import decision_for_cycle
    from mptf.models.money import DecisionStatus
    from mptf.services.errors import ServiceError

    decision = decision_for_cycle(cycle)
    if decision is None or decision.status != DecisionStatus.ISSUED:
        raise ServiceError(f"The decision on '{cycle.name}' is not issued yet.")
    return decision


@cli.command("decision")
@click.argument("cycle")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="the PDF file to write")
@with_appcontext
@refusals_exit_2
def export_decision(cycle: str, output: str) -> None:
    """The issued decision of CYCLE (id or name), exactly as sealed."""
    decision = _issued(_cycle(cycle))
    Path(output).write_bytes(decision.pdf)
    click.echo(f"Wrote {output}: {decision.reference}, SHA-256 {decision.pdf_sha256}.")


@cli.command("letters")
@click.argument("cycle")
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False),
              help="the folder to write the letters into")
@with_appcontext
@refusals_exit_2
def export_letters(cycle: str, output: str) -> None:
    """One decision letter per note considered in CYCLE, to its Resident Coordinator."""
    from mptf.allocation.decisions import letter
    from mptf.extensions import db

    decision = _issued(_cycle(cycle))
    folder = Path(output)
    folder.mkdir(parents=True, exist_ok=True)
    lines = sorted(decision.run.lines, key=lambda line: line.order)
    with click.progressbar(lines, label="Letters", show_pos=True) as bar:
        for line in bar:
            stored = letter(decision, line.note)
            (folder / f"{stored.reference}.pdf").write_bytes(stored.data)
    db.session.commit()
    click.echo(f"Wrote {len(lines)} letters to {folder}.")


@cli.command("pipeline")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False))
@with_appcontext
@refusals_exit_2
def export_pipeline(output: str) -> None:
    """The pipeline report for donors: funded portfolio and unfunded demand."""
    from mptf.reports import documents

    data = documents.pipeline_report_pdf()
    Path(output).write_bytes(data)
    click.echo(f"Wrote {output} ({len(data):,} bytes).")
