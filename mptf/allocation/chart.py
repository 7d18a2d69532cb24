"""The fund over time as an SVG chart: cumulative net deposits and cumulative allocations.

Drawn by matplotlib (Agg) with a fixed hash salt, no date in the metadata and text kept as
text, so the same data gives the same bytes; then made safe to inline under the site's
Content-Security-Policy (no <style> element, no style= attributes: each style declaration
becomes the SVG presentation attribute of the same name)."""

from __future__ import annotations

import io
from datetime import date, timedelta

import matplotlib

from mptf.reports import charts

matplotlib.use("Agg")

import matplotlib.dates as mdates  # noqa: E402  (after choosing the backend)
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from mptf.formatting import usd  # noqa: E402

RC = {
    "svg.hashsalt": "mptf-fund-balance",
    "text.parse_math": False,  # names drawn as typed (reports.charts)
    "svg.fonttype": "none",
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Arial", "Helvetica"],
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
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
    with plt.rc_context(RC):
        fig, ax = plt.subplots(figsize=(8, 3.2))
        ax.step(days, deposits, where="post", color=DEPOSITS_COLOUR, linewidth=1.8,
                label="Net deposits (after the fee)")
        ax.step(days, allocated, where="post", color=ALLOCATED_COLOUR, linewidth=1.8,
                linestyle="--", label="Allocated by approved cycles")
        ax.fill_between(days, allocated, deposits, step="post", color=DEPOSITS_COLOUR,
                        alpha=0.08, linewidth=0)
        ax.yaxis.set_major_formatter(charts.Millions(per_dollar=1))
        ax.set_ylabel("USD (cumulative)")
        ax.set_ylim(bottom=0)
        locator = mdates.AutoDateLocator(minticks=3, maxticks=8)
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
        ax.grid(axis="y", color="#d5dbe3", linewidth=0.6)
        ax.set_axisbelow(True)
        ax.legend(frameon=False, loc="upper left")
        fig.tight_layout()
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg", metadata={"Date": None})
        plt.close(fig)
    last = series.iloc[-1]
    return inline_safe(buffer.getvalue(),
                       "Cumulative net deposits and cumulative allocations over time; on "
                       f"{pd.Timestamp(last['day']).date()} the fund had received "
                       f"{usd(int(last['net_deposits']))} net and allocated "
                       f"{usd(int(last['allocated']))}.")
