"""An audit event's before and after as the audit page shows them: one line per field, money
in US dollars and rates in per cent (the stored JSON keeps integer cents and basis points,
machine-readable), yes/no for booleans, nested values (a cycle's policy) as compact JSON."""

from __future__ import annotations

import json
from typing import Any

from mptf.formatting import usd
from mptf.money import rate_percent

# The audited fields that hold integer cents (contributions, cycles, allocations, fund limits).
MONEY_KEYS = frozenset({"amount", "fee", "net", "envelope", "allocated"})


def is_money(key: str) -> bool:
    return key in MONEY_KEYS or key.endswith("_cents")


def label(key: str) -> str:
    """'budget_floor_cents' -> 'budget floor', 'fee_rate_bp' -> 'fee rate'."""
    return key.removesuffix("_cents").removesuffix("_bp").replace("_", " ")


def value_text(key: str, value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if is_money(key) and isinstance(value, int):
        return usd(value)
    if key.endswith("_bp") and isinstance(value, int):
        return rate_percent(value)
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(", ", ": "))
    return str(value)


def fields(payload: dict[str, Any] | None) -> list[tuple[str, str]]:
    """(label, text) per field of ``payload``, in its order."""
    if not isinstance(payload, dict):
        return [] if payload is None else [("", str(payload))]
    return [(label(key), value_text(key, value)) for key, value in payload.items()]
