"""The PDF renderer: reproducible bytes, metadata from the arguments, and a URL fetcher that
reads only the package's own static files."""

import io

import pytest
from pypdf import PdfReader

from mptf.charts import bars
from mptf.documents.pdf import STATIC_DIR, PackageOnlyFetcher, RefusedURL, html_to_pdf

HOSTILE = """<!doctype html><html><head><title>Hostile</title>
<link rel="stylesheet" href="file:///etc/passwd">
<link rel="stylesheet" href="http://127.0.0.1:9/x.css"></head>
<body><h1>Hostile</h1><img src="http://127.0.0.1:9/x"><img src="https://example.org/y.png">
<img src="file:///etc/hostname"><p>text stays</p></body></html>"""


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:9/x", "https://example.org/a.png", "file:///etc/passwd",
    STATIC_DIR.as_uri() + "/../__init__.py", "file://evil.example/etc/passwd",
    "ftp://example.org/x", "data:text/plain," + "x" * 300_000,
])
def test_the_fetcher_refuses_everything_outside_the_package(url):
    with pytest.raises(RefusedURL):
        PackageOnlyFetcher().fetch(url)


def test_the_fetcher_serves_the_packages_fonts_and_small_data_urls():
    font = PackageOnlyFetcher().fetch((STATIC_DIR / "fonts" / "DejaVuSans.ttf").as_uri())
    assert font.read(4) == b"\x00\x01\x00\x00"
    assert PackageOnlyFetcher().fetch("data:text/plain,hello").read() == b"hello"


def test_hostile_html_renders_without_fetching_anything(app, caplog):
    data = html_to_pdf(HOSTILE, identifier="X-1")
    text = PdfReader(io.BytesIO(data)).pages[0].extract_text()
    assert "text stays" in text
    refused = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert len(refused) >= 4


def test_same_html_same_bytes_and_metadata_from_the_document(app):
    chart = bars(["Area 1", "Area 2"], {"Requested": [300_000_000, 150_000_000]})
    assert chart == bars(["Area 1", "Area 2"], {"Requested": [300_000_000, 150_000_000]})
    html = (f"<html><head><title>Decision</title><meta name=author content='Fund'>"
            f"<meta name='dcterms.created' content='2026-11-01T10:00:00Z'></head><body>"
            f"<h1>Decision</h1><div class=chart>{chart}</div></body></html>")
    first, second = html_to_pdf(html, identifier="D-1"), html_to_pdf(html, identifier="D-1")
    assert first == second
    meta = PdfReader(io.BytesIO(first)).metadata
    assert meta.title == "Decision" and meta.author == "Fund"
    assert meta.creation_date.isoformat().startswith("2026-11-01T10:00:00")
