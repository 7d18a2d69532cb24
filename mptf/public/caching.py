"""Conditional GET for public resources: an ETag and Last-Modified from one cheap fingerprint
query (``portfolio.freshness``), so that a client or a proxy holding the current copy gets a
304 before anything is rendered."""

from __future__ import annotations

from collections.abc import Callable

from flask import Response, make_response, request
from flask_login import current_user
from werkzeug.http import is_resource_modified

from mptf.public.portfolio import Freshness, freshness

PUBLIC_MAX_AGE = 60


def page_viewer() -> str | None:
    """Who a page is rendered for: the signed-in user (the layout shows their name)."""
    return f"user:{current_user.get_id()}" if current_user.is_authenticated else None


def conditional(build: Callable[[], Response | str | tuple], *etag_parts: object,
                viewer: str | None = None, fresh: Freshness | None = None) -> Response:
    """The response of ``build()``, or a 304 when the client's copy is current.

    A response made for someone (``viewer``: a signed-in user, an API token's owner) has them
    in its ETag and is private; an anonymous one may be kept by shared caches for a minute."""
    fresh = fresh or freshness()
    etag = fresh.etag(request.full_path, viewer or "anonymous", *etag_parts)
    if is_resource_modified(request.environ, etag=etag, last_modified=fresh.last_modified):
        response = make_response(build())
    else:
        response = Response(status=304)
    response.set_etag(etag)
    if fresh.last_modified is not None:
        response.last_modified = fresh.last_modified
    if viewer:
        response.cache_control.private = True
        response.cache_control.no_cache = True
    else:
        response.cache_control.public = True
        response.cache_control.max_age = PUBLIC_MAX_AGE
    response.vary.update(("Cookie", "Authorization"))
    return response
