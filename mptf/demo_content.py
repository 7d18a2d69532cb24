"""Demo content beyond accounts and reference data, built domain by domain in the order the
fund works: notes, then the committee, then rounds, then money and cycles."""

from __future__ import annotations

import importlib
from collections.abc import Iterator

# Each module defines build() -> Iterator[str] (lines to print), flushing what it adds.
DOMAINS = ("pipeline", "committee", "review", "allocation", "reports", "notifications")


def build() -> Iterator[str]:
    for domain in DOMAINS:
        try:
            module = importlib.import_module(f"mptf.{domain}.demo")
        except ModuleNotFoundError as exc:
            if exc.name != f"mptf.{domain}.demo":
                raise
            continue
        yield from module.build()
