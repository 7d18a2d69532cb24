"""How numbers and dates look on pages and in documents. Money is integer cents everywhere;
only here does it become text."""

from __future__ import annotations

from datetime import date, datetime

from flask import Flask


def usd(cents: int | None, symbol: bool = True) -> str:
    """12345678 -> 'USD 123,456.78'."""
    if cents is None:
        return "—"
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(int(cents)), 100)
    text = f"{sign}{whole:,}.{part:02d}"
    return f"USD {text}" if symbol else text


def usd_short(cents: int | None) -> str:
    """Compact form for charts and summaries: 'USD 1.25 M'."""
    if cents is None:
        return "—"
    dollars = cents / 100
    if abs(dollars) >= 1_000_000:
        return f"USD {dollars / 1_000_000:,.2f} M"
    if abs(dollars) >= 1_000:
        return f"USD {dollars / 1_000:,.1f} k"
    return f"USD {dollars:,.2f}"


def day(value: date | datetime | None) -> str:
    if value is None:
        return "—"
    return f"{value.day} {value:%B %Y}"


def timestamp(value: datetime | None) -> str:
    if value is None:
        return "—"
    return f"{value:%Y-%m-%d %H:%M} UTC"


def score(value: float | None, decimals: int = 1) -> str:
    """A score with one decimal; '—' for none (None or NaN: a note with no reviews)."""
    if value is None or value != value:
        return "—"
    return f"{value:.{decimals}f}"


def whole(value: float | int | None) -> str:
    if value is None or value != value:
        return "—"
    return str(int(value))


def svg_data_uri(svg: str) -> str:
    """An SVG chart as a data: URL, so WeasyPrint draws it with its SVG renderer."""
    import base64

    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode("ascii")


def register(app: Flask) -> None:
    app.add_template_filter(usd)
    app.add_template_filter(usd_short)
    app.add_template_filter(day)
    app.add_template_filter(timestamp)
    app.add_template_filter(score)
    app.add_template_filter(whole)
    app.add_template_filter(svg_data_uri)
