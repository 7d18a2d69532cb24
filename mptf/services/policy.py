"""Who may reach which view, by role. Per-object checks live in each domain's services and
are asked once per view (``note_for(user, id)`` returns the note or raises NotFound)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort
from flask_login import current_user, login_required

from mptf.models import ROLES


def roles_required(*roles: str) -> Callable:
    """Sign-in required, and one of ``roles``; anyone else gets 403."""
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles {sorted(unknown)}")

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        wrapped.allowed_roles = roles  # type: ignore[attr-defined]  # the authorisation matrix test reads this
        return wrapped

    return decorator
