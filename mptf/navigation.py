"""The navigation bar: each domain adds its entries; a user sees those of their role."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, url_for

from mptf.models import User


@dataclass(frozen=True)
class NavItem:
    label: str
    endpoint: str
    roles: tuple[str, ...]
    order: int = 50


ITEMS: list[NavItem] = [
    NavItem("Dashboard", "main.home", ("country_team", "secretariat", "reviewer", "chair",
                                       "fund_office", "admin"), 0),
    NavItem("Users", "admin.users", ("admin",), 90),
    NavItem("Audit log", "admin.audit_log", ("admin", "secretariat"), 95),
]


def add(*items: NavItem) -> None:
    for item in items:
        if item not in ITEMS:
            ITEMS.append(item)


def navigation(user: User) -> list[dict[str, str]]:
    views = current_app.view_functions
    return [{"label": i.label, "url": url_for(i.endpoint)}
            for i in sorted(ITEMS, key=lambda i: i.order)
            if user.role in i.roles and i.endpoint in views]
