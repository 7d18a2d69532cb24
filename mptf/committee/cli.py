"""``mptf committee …``: the composition on a date, and the rotation."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from mptf.refusals import refusals_exit_2
from mptf.services.policy import SYSTEM


@click.group("committee")
def cli() -> None:
    """The Steering Committee: composition and rotation."""


def _day(text: str | None):
    from mptf.committee import services

    return services.parse_day(text) if text else services.today()


@cli.command("show")
@click.option("--on", "on", default=None, metavar="YYYY-MM-DD",
              help="the day to show (default: today)")
@with_appcontext
@refusals_exit_2
def show(on: str | None) -> None:
    """Who sits on the committee on a date, and the vacant seats."""
    from mptf.committee import services

    day = _day(on)
    comp = services.composition(day)
    click.echo(f"Steering Committee on {day}:")
    for item in comp.seats:
        m = item.membership
        text = (f"{m.organisation} (until {m.end_date})" if m else "vacant")
        click.echo(f"  {item.seat.label:<55} {text}" + ("  · term ends soon"
                                                         if item.ends_soon else ""))


@cli.command("rotate")
@click.option("--on", "on", required=True, metavar="YYYY-MM-DD",
              help="the day the new terms start")
@click.option("--confirm", is_flag=True, default=False,
              help="write the proposal (without it, only print it)")
@with_appcontext
@refusals_exit_2
def rotate(on: str, confirm: bool) -> None:
    """Propose the roster for the term starting on a date; with --confirm, write it."""
    from mptf.committee import services
    from mptf.services.unit_of_work import commit

    day = services.parse_day(on)
    proposal = services.propose_rotation(day)
    click.echo(f"Rotation on {day}: new terms from {day} to {proposal.end}.")
    if proposal.empty:
        click.echo("No seat is open on that date: every seat is filled"
                   + (" or has a term to come." if proposal.scheduled else "."))
        return
    for change in proposal.changes:
        out = str(change.outgoing.organisation) if change.outgoing else "(vacant)"
        incoming = str(change.incoming) if change.incoming else "(vacant)"
        click.echo(f"  {change.seat.label:<55} {out:>22} -> {incoming:<22} "
                   f"[{change.explanation}]")
    for m in proposal.continuing:
        click.echo(f"  {m.seat.label:<55} {m.organisation} continues until {m.end_date}")
    for m in proposal.scheduled:
        click.echo(f"  {m.seat.label:<55} not rotated: {m.organisation} starts {m.start_date}")
    if not confirm:
        click.echo("Nothing written; run again with --confirm to write these terms.")
        return
    made = services.confirm_rotation(SYSTEM, day)
    commit("The committee changed at the same moment; nothing was written. Run the "
           "rotation again.")
    click.echo(f"Confirmed: {len(made)} new term(s) written.")
