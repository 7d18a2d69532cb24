"""The timeline of committee terms as an SVG chart: one row per seat, one bar per membership,
a line on the day shown. Drawn by matplotlib, then made safe to inline under the site's
Content-Security-Policy (no <style> element, no style= attributes: every style declaration
becomes the SVG presentation attribute of the same name)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date, timedelta

import matplotlib

from mptf.reports import charts

matplotlib.use("Agg")

import matplotlib.dates as mdates  # noqa: E402  (after choosing the backend)
import matplotlib.pyplot as plt  # noqa: E402

from mptf.committee.services import party_code, seat_key  # noqa: E402
from mptf.models import Membership, Seat  # noqa: E402

COLOURS = {
    "chair": "#003f6e",
    "un_network": "#005a9c",
    "contributing_state": "#1b7a3d",
    "cotd_state": "#9a6700",
    "stakeholder": "#5b3c8c",
    "ex_officio": "#5b6573",
}
RC = {
    "svg.hashsalt": "mptf-committee-timeline",
    "text.parse_math": False,  # names drawn as typed (reports.charts)
    "svg.fonttype": "none",
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Arial", "Helvetica"],
    "font.size": 9,
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

    with plt.rc_context(RC):
        fig, ax = plt.subplots(figsize=(10, 0.6 + 0.32 * len(ordered)))
        for m in memberships:
            y = index[m.seat.id]
            left = mdates.date2num(m.start_date)
            width = (m.end_date - m.start_date).days
            ax.barh(y, width, left=left, height=0.7, color=COLOURS[m.seat.constituency],
                    edgecolor="#ffffff", linewidth=0.8)
            if width >= span * 0.04:
                ax.text(left + width / 2, y, party_code(m.organisation), ha="center",
                        va="center", color="#ffffff", fontsize=7.5)
        ax.axvline(mdates.date2num(marker), color="#b3261e", linewidth=1.2, linestyle="--")
        ax.set_yticks(range(len(ordered)), [seat.label for seat in ordered])
        ax.invert_yaxis()
        ax.set_ylim(len(ordered) - 0.5, -0.5)
        ax.set_xlim(mdates.date2num(first - timedelta(days=30)),
                    mdates.date2num(last + timedelta(days=30)))
        ax.xaxis.set_major_locator(mdates.YearLocator())
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
        ax.grid(axis="x", color="#d5dbe3", linewidth=0.6)
        ax.set_axisbelow(True)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        fig.tight_layout()
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg", metadata={"Date": None})
        plt.close(fig)
    return inline_safe(buffer.getvalue(), "Terms of the Steering Committee, one row per seat; "
                                          f"the dashed line marks {marker}.")
