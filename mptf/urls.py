"""Absolute links to the site's pages, for what leaves the site (sealed documents, API
answers, IATI files, messages). Below every domain (docs/developing.md, "Layers"): it needs
only the application's URL map, never a blueprint's module."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, url_for


def external_url(endpoint: str, *, base_url: str | None = None, **values) -> str:
    """An absolute link to ``endpoint``: on ``base_url`` or ``MPTF_BASE_URL`` when there is
    one (in or outside a request), never on the request's Host header; without (the demo),
    on the request's host, which ``TRUSTED_HOSTS`` limits to the local machine's names."""
    base = base_url or current_app.config.get("BASE_URL")
    if not base:
        return url_for(endpoint, _external=True, **values)
    parts = urlsplit(base)
    adapter = current_app.url_map.bind(parts.netloc, script_name=parts.path or "/",
                                       url_scheme=parts.scheme)
    return adapter.build(endpoint, values, force_external=True)
