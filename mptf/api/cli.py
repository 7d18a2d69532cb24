"""``mptf export iati -o FILE.xml``: the funded programmes as IATI activities. The command is
attached to the ``export`` group of ``mptf.reports.cli``."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from mptf.config import normalise_base_url
from mptf.refusals import refusals_exit_2


@click.command("iati")
@click.option("-o", "--output", "output", required=True, type=click.Path(dir_okay=False),
              help="The XML file to write ('-' for standard output).")
@click.option("--base-url", default=None,
              help="The site's address (https://…), to link each activity to its decision "
                   "PDF; MPTF_BASE_URL when not given; without either the links are left "
                   "out.")
@with_appcontext
@refusals_exit_2
def iati_command(output: str, base_url: str | None) -> None:
    """Write the funded programmes as IATI 2.03 activities."""
    from mptf.api.iati import activities_xml

    if base_url is not None:
        if not base_url.startswith(("https://", "http://")):
            raise ValueError("--base-url is an address starting with https:// or http://.")
        base_url = normalise_base_url(base_url)
    data = activities_xml(base_url=base_url or current_app.config.get("BASE_URL"))
    count = data.count(b"<iati-activity ")
    if output == "-":
        click.echo(data.decode("utf-8"), nl=False)
        return
    Path(output).write_bytes(data)
    click.echo(f"Wrote {count} IATI activit{'y' if count == 1 else 'ies'} to {output}.")
    if count == 0:
        click.echo("No funded programme yet: an IATI file needs at least one activity, so do "
                   "not publish this one.", err=True)
