"""Small helpers for WTForms (3.3 wants SelectChoice objects, not tuples)."""

from __future__ import annotations

from collections.abc import Iterable

from wtforms.fields.choices import SelectChoice


def choices(pairs: Iterable[tuple[object, str]], blank: str | None = None) -> list[SelectChoice]:
    """``[(value, label), ...]`` as SelectChoice objects; ``blank`` adds an empty first choice."""
    out = [SelectChoice("", blank)] if blank is not None else []
    out.extend(SelectChoice(str(value), label) for value, label in pairs)
    return out
