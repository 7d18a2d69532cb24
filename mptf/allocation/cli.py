"""``mptf allocation …``: the fund's money from the command line."""

from __future__ import annotations

from datetime import date

import click
import pandas as pd
from flask.cli import with_appcontext

from mptf.refusals import refusals_exit_2


@click.group("allocation")
def cli() -> None:
    """Commands of the allocation domain."""


def _day(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"'{text}' is not a day; write it as YYYY-MM-DD, e.g. "
                         "2026-06-30.") from None


def _print_table(table: pd.DataFrame, money: set[str]) -> None:
    from mptf.formatting import usd

    cells = [[usd(int(v), symbol=False) if h in money else "" if v is None else str(v)
              for h, v in row.items()]
             for _, row in table.iterrows()]
    headers = list(table.columns)
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]
    right = [h in money or h == "Notes" for h in headers]

    def line(values: list[str]) -> str:
        return "  ".join(v.rjust(w) if r else v.ljust(w)
                         for v, w, r in zip(values, widths, right, strict=True)).rstrip()

    click.echo(line(headers))
    click.echo(line(["-" * w for w in widths]))
    for row in cells:
        click.echo(line(row))


@cli.command("balance")
@click.option("--on", "on_text", metavar="YYYY-MM-DD",
              help="The day of the balance (today's position when not given).")
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV (as the page's download).")
@with_appcontext
@refusals_exit_2
def balance_command(on_text: str | None, as_csv: bool) -> None:
    """Print the fund balance: by source of money, and allocated by funding cycle."""
    from mptf.allocation import exports, services
    from mptf.formatting import usd
    from mptf.spreadsheet import csv_text

    on = _day(on_text)
    fund = services.balance(on)
    table = exports.balance_table(fund)
    if as_csv:
        click.echo(csv_text(exports.export_table(table)), nl=False)
        return
    click.echo(f"Fund balance {'on ' + on.isoformat() if on else 'now'} (USD)")
    click.echo("")
    _print_table(table, exports.MONEY)
    click.echo("")
    cycles = exports.cycle_table(on)
    if len(cycles) > 1:
        _print_table(cycles, exports.MONEY)
    else:
        click.echo("No funding cycle has allocated money yet.")
    click.echo("")
    click.echo(f"Available: {usd(fund.available)} ({usd(fund.unearmarked)} unearmarked).")
