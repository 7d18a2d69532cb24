"""Numbered pages for the HTML listings. The page number comes from the query string, so it is
read only from ASCII digits and bounded; a page beyond the last shows the last page (what a
reader who typed a large number, or followed an old link, expects), so no number the user
chose ever reaches SQL's OFFSET beyond the rows there are."""

from __future__ import annotations

from typing import Any

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select, func, select
from sqlalchemy.orm import lazyload

from mptf.extensions import db

MAX_DIGITS = 9  # a longer number is no page of any listing: it reads as "the last page"
LAST = 10**MAX_DIGITS


def page_number(args: Any, name: str = "page") -> int:
    """The page asked for in ``args``: 1 when absent or not a whole number of ASCII digits
    ('²', '٣', '-1', '1.5'), ``LAST`` when it has more than ``MAX_DIGITS`` digits."""
    text = (args.get(name) or "").strip()
    if not (text.isascii() and text.isdecimal()):
        return 1
    if len(text) > MAX_DIGITS:
        return LAST
    return max(int(text), 1)


def paginate(query: Select, page: int, per_page: int) -> Pagination:
    """One page of ``query`` in two statements (the count, then the page's rows); a page beyond
    the last is the last page, and an empty listing has one empty page."""
    total = db.session.scalar(select(func.count()).select_from(
        query.options(lazyload("*")).order_by(None).subquery())) or 0
    last = max(-(-total // per_page), 1)
    paged = db.paginate(query, page=min(max(page, 1), last), per_page=per_page,
                        max_per_page=per_page, error_out=False, count=False)
    paged.total = total
    return paged
