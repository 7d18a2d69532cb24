"""The navigation bar: each domain adds its entries; a user sees those of their role."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app, has_request_context, request, url_for

from mptf.models import ROLES, User
from mptf.services.policy import AUDIT_READERS, Role, role_tuple


@dataclass(frozen=True)
class NavItem:
    label: str
    endpoint: str
    roles: tuple[str, ...]
    order: int = 50
    # How many things wait for the user there (the unread notifications), shown beside it.
    count: Callable[[User], int] | None = None


ITEMS: list[NavItem] = [
    NavItem("Dashboard", "main.home", ROLES, 0),
    NavItem("Users", "admin.users", (Role.ADMIN,), 90),
    NavItem("Audit log", "admin.audit_log", role_tuple(AUDIT_READERS), 95),
]


def add(*items: NavItem) -> None:
    for item in items:
        if item not in ITEMS:
            ITEMS.append(item)


def navigation(user: User) -> list[dict[str, str | bool | int]]:
    """The user's entries, in order; ``current`` marks the one entry whose address is the
    longest prefix of the page's (on /fund/cycles/1 that is "Funding cycles", not "Fund")."""
    views = current_app.view_functions
    items = [{"label": i.label, "url": url_for(i.endpoint), "current": False,
              "count": i.count(user) if i.count else 0}
             for i in sorted(ITEMS, key=lambda i: i.order)
             if user.role in i.roles and i.endpoint in views]
    path = request.path if has_request_context() else ""
    matching = [item for item in items if item["url"] != "/" and path.startswith(item["url"])]
    if matching:
        max(matching, key=lambda item: len(item["url"]))["current"] = True
    return items
