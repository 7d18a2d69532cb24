"""Every chart of the fund as SVG, drawn on its own ``matplotlib.figure.Figure``: no pyplot,
no process-wide rcParams read or written, so charts drawn at the same moment by the threads of
``mptf serve`` share no state (docs/developing.md, "Charts").

The same data gives the same bytes: the SVG ids come from a fixed salt per chart, the metadata
has no date, and text is written as text (screen readers and the tests read it). Every text a
chart shows (donors, areas, seats, parties) goes through ``plain``, so it is drawn as typed and
never read as mathtext, where 'Donor $\\foo{$' raised and '$x^2$' became a formula. The style
of the fund's charts (font, sizes, spines) is set on each figure by ``new_axes`` and the
functions here, never in ``matplotlib.rcParams``.

``inline_safe`` then makes an SVG fit to sit inside a page under the site's
Content-Security-Policy (no <style> element, no style= attributes)."""

from __future__ import annotations

import codecs
import hashlib
import io
import re
import threading
from html import escape

from matplotlib.axes import Axes
from matplotlib.backends.backend_mixed import MixedModeRenderer
from matplotlib.backends.backend_svg import FigureCanvasSVG, RendererSVG
from matplotlib.figure import Figure
from matplotlib.ticker import Formatter

PALETTE = ["#005a9c", "#4a90c2", "#8cbfe0", "#f2a900", "#7a5195", "#2e8b57", "#c0392b"]
FONT_FAMILY = "DejaVu Sans"  # shipped with matplotlib, so found on every machine
FONT_SIZE = 9
EDGE_COLOUR = "#555555"
GRID_COLOUR = "#d5dbe3"
# Matplotlib's font and layout caches are shared by every figure of the process; its
# documentation promises no thread safety, so the drawing itself (not the building of a
# figure) happens one at a time.
_drawing = threading.Lock()


def plain(text: object) -> str:
    """``text`` as a chart must be given it to draw it as typed: every dollar sign escaped, so
    matplotlib reads no mathtext in it (an escaped dollar is drawn as a dollar)."""
    return str(text).replace("$", r"\$")


class _Renderer(RendererSVG):
    """Matplotlib's SVG renderer with the fund's two output rules held by the renderer, not by
    the process-wide rcParams: ids hashed with the chart's own salt, text written as text."""

    def __init__(self, *args, salt: str, **kwargs):
        self._salt = salt
        super().__init__(*args, **kwargs)

    def _make_id(self, type, content):  # noqa: A002 (matplotlib's own signature)
        digest = hashlib.sha256(f"{self._salt}{content}".encode()).hexdigest()
        return f"{type}{digest[:10]}"

    def _draw_text_as_path(self, gc, x, y, s, prop, angle, ismath, mtext=None):
        self._draw_text_as_text(gc, x, y, s, prop, angle, ismath, mtext)


class _Canvas(FigureCanvasSVG):
    """Writes its figure with ``_Renderer`` (as ``FigureCanvasSVG.print_svg`` does with
    matplotlib's own)."""

    def __init__(self, figure: Figure, salt: str):
        super().__init__(figure)
        self.salt = salt

    def print_svg(self, filename, *, bbox_inches_restore=None, metadata=None, **others):
        """``others``: what ``savefig`` passes to every format (dpi, colours, orientation),
        which matplotlib drops for its own SVG canvas and the SVG ignores. ``filename`` is a
        text or a binary stream (``savefig``'s dry run for a tight box is binary)."""
        out = filename if isinstance(filename, io.TextIOBase) else \
            codecs.getwriter("utf-8")(filename)
        dpi = self.figure.dpi
        self.figure.dpi = 72
        width, height = self.figure.get_size_inches()
        renderer = MixedModeRenderer(
            self.figure, width, height, dpi,
            _Renderer(width * 72, height * 72, out, image_dpi=dpi, metadata=metadata,
                      salt=self.salt),
            bbox_inches_restore=bbox_inches_restore)
        self.figure.draw(renderer)
        renderer.finalize()


def new_axes(size: tuple[float, float], salt: str) -> tuple[Figure, Axes]:
    """A figure of ``size`` inches with one axes in the fund's style: its SVG ids hashed with
    ``salt`` (one per kind of chart, so two charts on one page never share an id)."""
    fig = Figure(figsize=size)
    _Canvas(fig, salt)
    ax = fig.subplots()
    ax.tick_params(labelsize=FONT_SIZE, labelfontfamily=FONT_FAMILY)
    for axis in (ax.xaxis, ax.yaxis):
        axis.get_offset_text().set(fontsize=FONT_SIZE, fontfamily=FONT_FAMILY)
    ax.spines[["top", "right"]].set_visible(False)
    return fig, ax


def text_style(size: float = FONT_SIZE, **more) -> dict:
    """Keyword arguments for a text of the fund's charts (axis label, annotation)."""
    return {"fontsize": size, "fontfamily": FONT_FAMILY, **more}


def legend(ax: Axes, size: float = FONT_SIZE, **kwargs) -> None:
    ax.legend(frameon=False, prop={"family": FONT_FAMILY, "size": size}, **kwargs)


def svg(fig: Figure, *, crop: bool = True) -> str:
    """The figure as SVG text without the XML prolog (it can sit inside HTML). ``crop`` trims
    the figure to what is drawn; otherwise it keeps its size (after ``tight_layout``)."""
    buffer = io.StringIO()
    with _drawing:
        if not crop:
            fig.tight_layout()
        fig.savefig(buffer, format="svg", metadata={"Date": None},
                    bbox_inches="tight" if crop else None)
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
    fig, ax = new_axes(size, "mptf")
    ax.spines[["left", "bottom"]].set_edgecolor(EDGE_COLOUR)
    n = max(len(series), 1)
    height = 0.8 / n
    positions = range(len(labels))
    names = [plain(label) for label in labels]
    for i, (name, values) in enumerate(series.items()):
        offsets = [p + (i - (n - 1) / 2) * height for p in positions]
        colour = PALETTE[i % len(PALETTE)]
        if horizontal:
            ax.barh(offsets, values, height=height, label=plain(name), color=colour)
        else:
            ax.bar(offsets, values, width=height, label=plain(name), color=colour)
    if horizontal:
        ax.set_yticks(list(positions), names)
        ax.invert_yaxis()
        if money:
            ax.xaxis.set_major_formatter(Millions())
            ax.set_xlabel("USD", **text_style())
    else:
        ax.set_xticks(list(positions), names, rotation=0)
        if money:
            ax.yaxis.set_major_formatter(Millions())
            ax.set_ylabel("USD", **text_style())
    if title:
        ax.set_title(plain(title), loc="left", **text_style(10, fontweight="bold"))
    if len(series) > 1:
        legend(ax, 8)
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
