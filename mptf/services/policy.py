"""Who may reach which view, by role. Per-object checks live in each domain's services and
are asked once per view (``note_for(user, id)`` returns the note or raises NotFound).

Roles are ``Role`` members, never strings typed again; the sets below are named for what
their roles may do, and every decorator, API operation and per-object check uses them:
``@roles_required(MONEY_ROLES)``, ``@roles_required(Role.SECRETARIAT)``,
``user.role in PIPELINE_READERS``. What the fund's own processes do is done by ``SYSTEM``,
never by ``None``."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from flask import abort
from flask_login import current_user, login_required

from mptf.models.accounts import ROLES, SYSTEM, Actor, Role, SystemActor

__all__ = [
    "AUDIT_READERS", "COMMITTEE_VIEWERS", "CONFLICT_DECLARERS", "DECISION_DRAFTERS",
    "LETTER_READERS", "MONEY_ROLES", "NOTE_VIEWERS", "PIPELINE_READERS", "REPRESENTATIVES",
    "ROLES", "SYSTEM", "Actor", "Role", "SystemActor", "is_system", "role_tuple",
    "roles_required",
]

# See every submitted note and every review round, not only one country's.
PIPELINE_READERS = frozenset({Role.SECRETARIAT, Role.REVIEWER, Role.CHAIR, Role.FUND_OFFICE})
# Open the pipeline: the readers above, and a country team for its own country's notes.
NOTE_VIEWERS = PIPELINE_READERS | {Role.COUNTRY_TEAM}
# See the fund's money: contributions, funding cycles, allocation runs and decisions.
MONEY_ROLES = frozenset({Role.SECRETARIAT, Role.CHAIR, Role.FUND_OFFICE})
# Download a decision's letters: the money roles, and a country team for its own notes.
LETTER_READERS = MONEY_ROLES | {Role.COUNTRY_TEAM}
# Draft a cycle's decision and prepare it for issue.
DECISION_DRAFTERS = frozenset({Role.SECRETARIAT, Role.CHAIR})
# See the Steering Committee's seats, members and rotation.
COMMITTEE_VIEWERS = PIPELINE_READERS | {Role.ADMIN}
# Declare a conflict of interest on a note.
CONFLICT_DECLARERS = frozenset({Role.SECRETARIAT, Role.REVIEWER, Role.CHAIR})
# Represent a member organisation on the Steering Committee.
REPRESENTATIVES = frozenset({Role.REVIEWER, Role.CHAIR, Role.FUND_OFFICE})
# Read the audit log.
AUDIT_READERS = frozenset({Role.ADMIN, Role.SECRETARIAT})


def is_system(actor: Actor | None) -> bool:
    """True for the fund's own processes (``SYSTEM``)."""
    return isinstance(actor, SystemActor)


def role_tuple(*roles: str | Iterable[str]) -> tuple[Role, ...]:
    """The roles given one by one or as sets, each checked, in ``ROLES`` order."""
    given: set[str] = set()
    for item in roles:
        given.update([item] if isinstance(item, str) else item)
    unknown = given - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles {sorted(unknown)}")
    return tuple(role for role in ROLES if role in given)


def roles_required(*roles: str | Iterable[str]) -> Callable:
    """Sign-in required, and one of ``roles`` (``Role`` members or the named sets above);
    anyone else gets 403."""
    allowed = role_tuple(*roles)

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if current_user.role not in allowed:
                abort(403)
            return view(*args, **kwargs)

        wrapped.allowed_roles = allowed  # type: ignore[attr-defined]  # the authorisation matrix test reads this
        return wrapped

    return decorator
