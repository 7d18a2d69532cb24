"""Demo content beyond accounts and reference data; each domain adds a builder here."""

from __future__ import annotations

from collections.abc import Callable, Iterator

BUILDERS: list[Callable[[], Iterator[str]]] = []


def build() -> Iterator[str]:
    for builder in BUILDERS:
        yield from builder()
