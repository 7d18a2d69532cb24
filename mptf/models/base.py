"""Small helpers shared by the models."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from datetime import UTC, datetime

from sqlalchemy import CheckConstraint

# The largest id (and any other integer) the database's integer columns hold: PostgreSQL's
# ``integer``. An id above it names no row; the one constant every guard and schema uses.
MAX_ID = 2**31 - 1

_replayed_at: ContextVar[datetime | None] = ContextVar("replayed_at", default=None)


def utcnow() -> datetime:
    """The current time in UTC, naive, as every timestamp column stores it; inside
    ``replaying(moment)``, that moment."""
    return _replayed_at.get() or datetime.now(UTC).replace(tzinfo=None)


@contextlib.contextmanager
def replaying(moment: datetime) -> Iterator[None]:
    """Run the block as if it were ``moment`` (UTC, naive): every service that asks
    ``utcnow()`` or a ``today()`` built on it sees that moment. The demo builds its history
    this way, each step on the day it happened, so references, timestamps, terms and the
    audit trail agree with one another."""
    token = _replayed_at.set(moment)
    try:
        yield
    finally:
        _replayed_at.reset(token)


def one_of(column: str, values: Iterable[str], name: str | None = None) -> CheckConstraint:
    """A CHECK constraint that keeps a text column to a fixed set of values."""
    quoted = ", ".join("'" + v.replace("'", "''") + "'" for v in values)
    return CheckConstraint(f"{column} IN ({quoted})", name=name or f"{column}_valid")


def non_negative(*columns: str) -> list[CheckConstraint]:
    return [CheckConstraint(f"{c} >= 0", name=f"{c}_non_negative") for c in columns]


def marker_range(column: str) -> CheckConstraint:
    return CheckConstraint(f"{column} IS NULL OR ({column} >= 0 AND {column} <= 3)",
                           name=f"{column}_range")
