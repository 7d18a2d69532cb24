"""The audit log. Every state change calls ``record`` in the same transaction as the change."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from mptf.extensions import db
from mptf.models import AuditEvent, User


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def record(actor: User | None, action: str, entity: Any, before: dict | None = None,
           after: dict | None = None, *, entity_type: str | None = None) -> AuditEvent:
    """Add an audit event for ``action`` on ``entity`` (a model instance, flushed so it has an
    id). ``before`` and ``after`` are the fields that changed. ``entity`` may be Flask-Login's
    ``current_user`` (a proxy, whose type is not the model's)."""
    unwrap = getattr(entity, "_get_current_object", None)
    if unwrap is not None:
        entity = unwrap()
    if entity is not None and getattr(entity, "id", None) is None:
        db.session.flush()
    event = AuditEvent(
        actor_id=getattr(actor, "id", None),
        action=action,
        entity_type=entity_type or (type(entity).__tablename__ if entity is not None else "fund"),
        entity_id=getattr(entity, "id", None),
        before=_jsonable(before) if before is not None else None,
        after=_jsonable(after) if after is not None else None,
    )
    db.session.add(event)
    db.session.flush()
    return event


def events_for(entity_type: str, entity_id: int) -> list[AuditEvent]:
    return list(db.session.scalars(
        db.select(AuditEvent)
        .where(AuditEvent.entity_type == entity_type, AuditEvent.entity_id == entity_id)
        .order_by(AuditEvent.at, AuditEvent.id)))
