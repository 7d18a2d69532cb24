"""Requests commit: the one place a web request or CLI command makes its changes durable."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError

from mptf.extensions import db
from mptf.services.errors import Conflict


def commit(conflict_message: str = "Someone else changed this at the same moment; nothing "
           "was saved. Reload and try again.") -> None:
    """Commit the session; a constraint or lock failure, or a row another request changed
    since it was read (a version counter), becomes a Conflict with a sentence, and nothing of
    the request is kept."""
    try:
        db.session.commit()
    except (IntegrityError, OperationalError, StaleDataError) as exc:
        db.session.rollback()
        raise Conflict(conflict_message) from exc
