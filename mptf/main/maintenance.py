"""The daily maintenance (``mptf maintenance``): the writes that no page view makes.

It expires the pipeline's notes past their validity (as the fund's own process, ``SYSTEM``),
forgets the API's rate-limit counts of windows that ended and the sign-in throttle's counts
that no longer lock anything. Each step is idempotent: a second run on the same day finds
nothing to do. The caller commits. The API's own step (``mptf.api.ratelimit.purge``) is added
by the command (``mptf.main.cli``), which stands above the API: no domain imports it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, or_

from mptf.extensions import db
from mptf.models import LoginThrottle
from mptf.models.accounts import SYSTEM
from mptf.models.base import utcnow
from mptf.pipeline.services import expire_notes


@dataclass
class MaintenanceReport:
    expired: list[str] = field(default_factory=list)
    rate_limit_rows: int = 0
    throttle_rows: int = 0

    def lines(self) -> list[str]:
        return [
            f"{len(self.expired)} note(s) expired"
            + (": " + ", ".join(self.expired) if self.expired else "."),
            f"{self.rate_limit_rows} API rate-limit count(s) of ended windows purged.",
            f"{self.throttle_rows} sign-in throttle count(s) that no longer lock purged.",
        ]


def purge_login_throttle(now: datetime | None = None) -> int:
    """Delete the sign-in throttle's rows that no longer count: a lock that has lapsed, or
    failures without a lock whose last is older than ``LOGIN_LOCK_SECONDS``. The next attempt
    for such a key would start again at one anyway (``mptf.auth.services``), so deleting them
    changes no answer. Returns the rows deleted."""
    now = now or utcnow()
    lock = timedelta(seconds=current_app.config["LOGIN_LOCK_SECONDS"])
    result = db.session.execute(db.delete(LoginThrottle).where(or_(
        and_(LoginThrottle.locked_until.is_not(None), LoginThrottle.locked_until <= now),
        and_(LoginThrottle.locked_until.is_(None), LoginThrottle.last_failure_at < now - lock))))
    return result.rowcount or 0


def run_maintenance(now: datetime | None = None) -> MaintenanceReport:
    """The domains' maintenance steps at ``now`` (default: the present); flushed, not
    committed."""
    now = now or utcnow()
    report = MaintenanceReport()
    report.expired = expire_notes(now.date(), actor=SYSTEM)
    report.throttle_rows = purge_login_throttle(now)
    db.session.flush()
    return report
