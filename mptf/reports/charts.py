"""Charts as SVG with matplotlib: the same data gives the same bytes (fixed hash salt, no
date in the metadata, text kept as text and drawn as plain text, never as mathtext)."""

from __future__ import annotations

import io
import re
from html import escape

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import Formatter  # noqa: E402

PALETTE = ["#005a9c", "#4a90c2", "#8cbfe0", "#f2a900", "#7a5195", "#2e8b57", "#c0392b"]

plt.rcParams.update({
    "svg.hashsalt": "mptf",
    "svg.fonttype": "none",
    # Names reach the charts (donors, areas, seats, parties): drawn as typed, never read as
    # mathtext, where 'Donor $\foo{$' raised and '$x^2$' changed the text.
    "text.parse_math": False,
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": "#555555",
    "axes.titleweight": "bold",
    "axes.titlesize": 10,
})


def svg(fig) -> str:
    """The figure as SVG text (no XML prolog, so it can sit inside HTML)."""
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    text = buffer.getvalue()
    return text[text.index("<svg"):]


class Millions(Formatter):
    """Axis labels in millions of dollars with as many decimals as the ticks need, the same
    for every tick (0.00 M, 0.25 M, 0.50 M): with one decimal, a tick at 250,000 read
    '0.2 M' and one at 750,000 '0.8 M'. ``per_dollar`` is 100 for cents, 1 for dollars."""

    def __init__(self, per_dollar: int = 100):
        self.scale = per_dollar * 1_000_000
        self.ticks: list[float] = []

    def set_locs(self, locs) -> None:
        super().set_locs(locs)
        self.ticks = [loc / self.scale for loc in locs]

    def __call__(self, value: float, pos: int | None = None) -> str:
        ticks = self.ticks or [value / self.scale]
        decimals = next((d for d in range(4)
                         if all(abs(round(t, d) - t) < 1e-9 for t in ticks)), 3)
        return f"{value / self.scale:,.{decimals}f} M"


def bars(labels: list[str], series: dict[str, list[int]], *, title: str = "",
         money: bool = True, horizontal: bool = True, size=(7.0, 3.2)) -> str:
    """Grouped bars: ``series`` maps a legend label to one value per label (cents if money)."""
    fig, ax = plt.subplots(figsize=size)
    n = max(len(series), 1)
    height = 0.8 / n
    positions = range(len(labels))
    for i, (name, values) in enumerate(series.items()):
        offsets = [p + (i - (n - 1) / 2) * height for p in positions]
        if horizontal:
            ax.barh(offsets, values, height=height, label=name, color=PALETTE[i % len(PALETTE)])
        else:
            ax.bar(offsets, values, width=height, label=name, color=PALETTE[i % len(PALETTE)])
    if horizontal:
        ax.set_yticks(list(positions), labels)
        ax.invert_yaxis()
        if money:
            ax.xaxis.set_major_formatter(Millions())
            ax.set_xlabel("USD")
    else:
        ax.set_xticks(list(positions), labels, rotation=0)
        if money:
            ax.yaxis.set_major_formatter(Millions())
            ax.set_ylabel("USD")
    if title:
        ax.set_title(title, loc="left")
    if len(series) > 1:
        ax.legend(frameon=False, fontsize=8)
    return svg(fig)


_STYLE_ELEMENT = re.compile(r"<style[^>]*>.*?</style>", re.S)
_STYLE_ATTRIBUTE = re.compile(r' style="([^"]*)"')
_PROLOGUE = re.compile(r"^.*?(?=<svg)", re.S)
_METADATA = re.compile(r"<metadata>.*?</metadata>\s*", re.S)


def _as_attributes(match: re.Match) -> str:
    attributes = []
    for declaration in match.group(1).split(";"):
        name, _, value = declaration.partition(":")
        name, value = name.strip(), value.strip()
        if name and value:
            attributes.append(f' {name}="{escape(value)}"')
    return "".join(attributes)


def inline_safe(svg_text: str, title: str, title_id: str) -> str:
    """matplotlib's SVG made safe to inline in a page under the site's Content-Security-
    Policy: no prologue, metadata, <style> element or style= attributes (each declaration
    becomes the presentation attribute of the same name), and a <title> for screen readers."""
    svg_text = _PROLOGUE.sub("", svg_text, count=1)
    svg_text = _METADATA.sub("", svg_text)
    svg_text = _STYLE_ELEMENT.sub("", svg_text)
    svg_text = _STYLE_ATTRIBUTE.sub(_as_attributes, svg_text)
    svg_text = svg_text.replace("<svg ", f'<svg role="img" aria-labelledby="{title_id}" '
                                'stroke-linejoin="round" stroke-linecap="butt" ', 1)
    head, _, rest = svg_text.partition(">")
    return f'{head}><title id="{title_id}">{escape(title)}</title>{rest}'.replace(
        "<defs>\n  </defs>", "")
