"""The timeline of committee terms as an SVG chart: one row per seat, one bar per membership,
a line on the day shown. Drawn by ``mptf.charts`` (its own figure, the same bytes for the same
data), then made safe to inline under the site's Content-Security-Policy."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import matplotlib.dates as mdates

from mptf import charts
from mptf.committee.services import party_code, seat_key
from mptf.models import Membership, Seat

COLOURS = {
    "chair": "#003f6e",
    "un_network": "#005a9c",
    "contributing_state": "#1b7a3d",
    "cotd_state": "#9a6700",
    "stakeholder": "#5b3c8c",
    "ex_officio": "#5b6573",
}


def inline_safe(svg: str, title: str) -> str:
    return charts.inline_safe(svg, title, "timeline-title")


def timeline_svg(memberships: Sequence[Membership], seats: Sequence[Seat],
                 marker: date) -> str | None:
    """The chart of every term, or None when there are none. ``seats`` are the rows to show
    (the active seats); any seat a membership sat in is added."""
    if not memberships:
        return None
    rows = {s.id: s for s in seats}
    rows.update({m.seat.id: m.seat for m in memberships})
    ordered = sorted(rows.values(), key=seat_key)
    index = {seat.id: i for i, seat in enumerate(ordered)}
    first = min(m.start_date for m in memberships)
    last = max(max(m.end_date for m in memberships), marker + timedelta(days=1))
    span = (last - first).days or 1

    fig, ax = charts.new_axes((10, 0.6 + 0.32 * len(ordered)), "mptf-committee-timeline")
    for m in memberships:
        y = index[m.seat.id]
        left = mdates.date2num(m.start_date)
        width = (m.end_date - m.start_date).days
        ax.barh(y, width, left=left, height=0.7, color=COLOURS[m.seat.constituency],
                edgecolor="#ffffff", linewidth=0.8)
        if width >= span * 0.04:
            ax.text(left + width / 2, y, charts.plain(party_code(m.organisation)),
                    ha="center", va="center", color="#ffffff", **charts.text_style(7.5))
    ax.axvline(mdates.date2num(marker), color="#b3261e", linewidth=1.2, linestyle="--")
    ax.set_yticks(range(len(ordered)), [charts.plain(seat.label) for seat in ordered])
    ax.invert_yaxis()
    ax.set_ylim(len(ordered) - 0.5, -0.5)
    ax.set_xlim(mdates.date2num(first - timedelta(days=30)),
                mdates.date2num(last + timedelta(days=30)))
    ax.xaxis.set_major_locator(mdates.YearLocator())
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
    ax.grid(axis="x", color=charts.GRID_COLOUR, linewidth=0.6)
    ax.set_axisbelow(True)
    svg = charts.svg(fig, crop=False)
    return inline_safe(svg, "Terms of the Steering Committee, one row per seat; "
                            f"the dashed line marks {marker}.")
