"""The fund over time as an SVG chart: cumulative net deposits and cumulative allocations,
drawn by ``mptf.charts`` (its own figure, the same bytes for the same data) and made safe to
inline under the site's Content-Security-Policy."""

from __future__ import annotations

from datetime import date, timedelta

import matplotlib.dates as mdates
import pandas as pd

from mptf import charts
from mptf.formatting import usd

DEPOSITS_COLOUR = "#005a9c"
MIN_DAYS = 30  # the shortest span the chart shows
ALLOCATED_COLOUR = "#9a6700"


def inline_safe(svg: str, title: str) -> str:
    return charts.inline_safe(svg, title, "fund-chart-title")


def balance_chart(series: pd.DataFrame, until: date | None = None) -> str | None:
    """The chart of ``balance.cumulative``'s table (day, net_deposits, allocated in cents),
    or None when there is nothing to draw. Steps: each total holds until the next event, and
    the last to the end of ``until`` (the day the balance is shown for) or of its own day."""
    if series.empty:
        return None
    days = [pd.Timestamp(d).to_pydatetime() for d in series["day"]]
    # Dollars for the axis only; the figures on the page come from the cents.
    deposits = [int(c) / 100 for c in series["net_deposits"]]
    allocated = [int(c) / 100 for c in series["allocated"]]
    last = max(pd.Timestamp(days[-1]), pd.Timestamp(until or days[-1])).to_pydatetime()
    days.append(last + timedelta(days=1))
    deposits.append(deposits[-1])
    allocated.append(allocated[-1])
    # Both totals are zero before the first event: drawn from the day before it (or over the
    # last 30 days at least), so that a fund whose every event fell on one day still shows its
    # steps instead of an empty chart over a span of years.
    days.insert(0, min(days[0] - timedelta(days=1), days[-1] - timedelta(days=MIN_DAYS)))
    deposits.insert(0, 0.0)
    allocated.insert(0, 0.0)
    fig, ax = charts.new_axes((8, 3.2), "mptf-fund-balance")
    ax.step(days, deposits, where="post", color=DEPOSITS_COLOUR, linewidth=1.8,
            label="Net deposits (after the fee)")
    ax.step(days, allocated, where="post", color=ALLOCATED_COLOUR, linewidth=1.8,
            linestyle="--", label="Allocated by approved cycles")
    ax.fill_between(days, allocated, deposits, step="post", color=DEPOSITS_COLOUR,
                    alpha=0.08, linewidth=0)
    ax.yaxis.set_major_formatter(charts.Millions(per_dollar=1))
    ax.set_ylabel("USD (cumulative)", **charts.text_style())
    ax.set_ylim(bottom=0)
    locator = mdates.AutoDateLocator(minticks=3, maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.grid(axis="y", color=charts.GRID_COLOUR, linewidth=0.6)
    ax.set_axisbelow(True)
    charts.legend(ax, loc="upper left")
    svg = charts.svg(fig, crop=False)
    last = series.iloc[-1]
    return inline_safe(svg,
                       "Cumulative net deposits and cumulative allocations over time; on "
                       f"{pd.Timestamp(last['day']).date()} the fund had received "
                       f"{usd(int(last['net_deposits']))} net and allocated "
                       f"{usd(int(last['allocated']))}.")
