"""API rate limits in a fixed window, counted in the database (``api_rate_limits``) so that
every gunicorn worker and every app server shares one count.

One row per key (``token:<id>`` or ``ip:<address>``): an atomic upsert starts a new window or
adds one to the current one and returns the count, so two workers counting at the same moment
never lose a request. Configuration (app.config): ``API_RATE_LIMIT`` requests per token and
``API_RATE_LIMIT_IP`` per client address in ``API_RATE_WINDOW`` seconds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import case
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from mptf.extensions import db
from mptf.models import ApiRateLimit
from mptf.models.base import utcnow

DEFAULTS = {"API_RATE_LIMIT": 300, "API_RATE_LIMIT_IP": 600, "API_RATE_WINDOW": 60}
EPOCH = datetime(2000, 1, 1)


def setting(name: str) -> int:
    return int(current_app.config.get(name, DEFAULTS[name]))


@dataclass(frozen=True)
class Count:
    key: str
    limit: int
    count: int
    reset_at: datetime

    @property
    def exceeded(self) -> bool:
        return self.count > self.limit

    @property
    def remaining(self) -> int:
        return max(self.limit - self.count, 0)

    def retry_after(self, now: datetime) -> int:
        return max(1, math.ceil((self.reset_at - now).total_seconds()))


def window_start(now: datetime, seconds: int) -> datetime:
    elapsed = int((now - EPOCH).total_seconds())
    return EPOCH + timedelta(seconds=elapsed - elapsed % seconds)


def hit(key: str, limit: int, now: datetime | None = None) -> Count:
    """Count one request for ``key`` in the current window (flushed, not committed)."""
    now = now or utcnow()
    seconds = max(1, setting("API_RATE_WINDOW"))
    start = window_start(now, seconds)
    dialect = db.session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(ApiRateLimit).values(key=key[:200], window_start=start, count=1)
    statement = statement.on_conflict_do_update(
        index_elements=[ApiRateLimit.key],
        set_={"count": case((ApiRateLimit.window_start == start, ApiRateLimit.count + 1),
                            else_=1),
              "window_start": start},
    ).returning(ApiRateLimit.count)
    count = db.session.execute(statement).scalar_one()
    return Count(key, limit, int(count), start + timedelta(seconds=seconds))


def purge(before: datetime | None = None) -> int:
    """Forget counts of windows that ended (for a periodic clean-up); returns rows deleted."""
    before = before or utcnow() - timedelta(seconds=max(1, setting("API_RATE_WINDOW")))
    result = db.session.execute(db.delete(ApiRateLimit).where(
        ApiRateLimit.window_start < before))
    return result.rowcount or 0
