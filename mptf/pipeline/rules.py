"""The concept-note state machine and its money arithmetic (DESIGN.md §3), with no database.
Amounts are read and written by ``mptf.money``."""

from __future__ import annotations

import calendar
from datetime import date

# state -> states it may move to
TRANSITIONS: dict[str, frozenset[str]] = {
    "draft": frozenset({"submitted", "withdrawn"}),
    "submitted": frozenset({"pipeline", "returned", "withdrawn"}),
    "returned": frozenset({"submitted", "withdrawn"}),
    "pipeline": frozenset({"selected", "withdrawn", "expired"}),
    "selected": frozenset({"funded"}),
    "funded": frozenset(),
    "withdrawn": frozenset(),
    "expired": frozenset(),
}

# Who moves a note into each state.
TRANSITION_ROLES: dict[str, frozenset[str]] = {
    "submitted": frozenset({"country_team"}),
    "withdrawn": frozenset({"country_team"}),
    "pipeline": frozenset({"secretariat"}),
    "returned": frozenset({"secretariat"}),
    "expired": frozenset({"secretariat", "system"}),
    "selected": frozenset({"chair"}),
    "funded": frozenset({"fund_office", "chair"}),
}

STATUS_LABELS = {
    "draft": "Draft",
    "submitted": "Submitted, awaiting screening",
    "returned": "Returned for revision",
    "pipeline": "In the pipeline",
    "selected": "Selected for funding",
    "funded": "Funded",
    "withdrawn": "Withdrawn",
    "expired": "Expired",
}


def refusal(current: str, target: str) -> str | None:
    """None when ``current -> target`` is allowed, else the sentence saying why not."""
    if target in TRANSITIONS.get(current, frozenset()):
        return None
    allowed = sorted(TRANSITIONS.get(current, frozenset()))
    then = ("it cannot change any more" if not allowed
            else "it can only become " + " or ".join(STATUS_LABELS[a].lower() for a in allowed))
    return (f"A note that is {STATUS_LABELS[current].lower()} cannot become "
            f"{STATUS_LABELS[target].lower()}; {then}.")


def indirect_cents(direct_cents: int, rate_bp: int) -> int:
    """Indirect support costs on a direct-cost budget, rounded half up to the cent
    (7 % = 700 basis points; USD 100,000.00 direct -> USD 7,000.00)."""
    return (direct_cents * rate_bp + 5_000) // 10_000


def add_months(day: date, months: int) -> date:
    """``day`` plus whole months, clamped to the month's last day (31 Jan + 1 -> 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
