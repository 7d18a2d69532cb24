"""PDFs from Jinja templates with WeasyPrint, rendered in memory, reproducibly.

The URL fetcher reads only the package's own static files (fonts, the stylesheet) and small
data: URLs; anything else (http, https, file outside the package, large data URLs) is refused,
so no text in a note can make the renderer fetch anything.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from flask import render_template
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

STATIC_DIR = (Path(__file__).resolve().parent.parent / "static").resolve()
STYLESHEET = STATIC_DIR / "pdf" / "document.css"
MAX_DATA_URL_BYTES = 256 * 1024


class RefusedURL(ValueError):
    """A URL the documents may not fetch."""


class PackageOnlyFetcher(URLFetcher):
    """Serves ``file://`` URLs inside mptf/static and small ``data:`` URLs; refuses the rest."""

    def __init__(self):
        super().__init__(timeout=1, allowed_protocols={"file", "data"}, allow_redirects=False)

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        scheme = url.split(":", 1)[0].lower()
        if scheme == "data":
            if len(url) > MAX_DATA_URL_BYTES:
                raise RefusedURL(f"data URL of {len(url)} bytes refused (over "
                                 f"{MAX_DATA_URL_BYTES})")
            return super().fetch(url, headers)
        if scheme != "file":
            raise RefusedURL(f"refused to fetch {url[:100]!r}: documents read only the "
                             "package's own files")
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost"):
            raise RefusedURL(f"refused remote file URL {url[:100]!r}")
        path = Path(unquote(parts.path)).resolve()
        if not path.is_relative_to(STATIC_DIR) or not path.is_file():
            raise RefusedURL(f"refused {url[:100]!r}: outside the package's static files")
        media = {".css": "text/css", ".ttf": "font/ttf", ".svg": "image/svg+xml",
                 ".png": "image/png"}.get(path.suffix.lower(), "application/octet-stream")
        return URLFetcherResponse(url=path.as_uri(), body=path.read_bytes(),
                                  headers={"Content-Type": media})


def render_html(template: str, **context: Any) -> str:
    return render_template(template, **context)


def html_to_pdf(html: str, *, identifier: str) -> bytes:
    """WeasyPrint in memory. ``identifier`` (the document's reference) fixes the PDF's file
    identifier, so the same HTML always gives the same bytes."""
    fetcher = PackageOnlyFetcher()
    fonts = FontConfiguration()
    stylesheet = CSS(filename=str(STYLESHEET), url_fetcher=fetcher, font_config=fonts)
    document = HTML(string=html, base_url=STATIC_DIR.as_uri() + "/", url_fetcher=fetcher)
    return document.write_pdf(
        stylesheets=[stylesheet], font_config=fonts,
        pdf_identifier=hashlib.sha256(identifier.encode()).hexdigest()[:32].encode())


def render_pdf(template: str, *, reference: str, title: str, created: datetime,
               author: str = "Migration Multi-Partner Trust Fund", **context: Any) -> bytes:
    """A document: the template (extending pdf/base.html) rendered and turned into PDF bytes
    whose metadata (title, author, creation date) come from the arguments, never the clock."""
    html = render_html(template, reference=reference, title=title, author=author,
                       created=created, **context)
    return html_to_pdf(html, identifier=reference)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
