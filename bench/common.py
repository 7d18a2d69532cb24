"""What every benchmark module returns, and how it is timed.

A benchmark module under ``bench/`` defines ``benchmarks() -> list[Result]``; ``bench/run.py``
imports every such module and writes one table, ``docs/benchmarks.md``.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Result:
    area: str  # "scoring", "allocation", "pipeline page", "pdf", "load"
    name: str  # what was measured, with its size: "aggregate_round, 1.2 M review rows"
    median_s: float  # median wall time of `runs` runs, seconds
    runs: int
    target: str = ""  # "< 1 s": what a user may wait for this
    met: bool | None = None  # None when there is no target
    note: str = ""


def time_median(fn: Callable[[], object], runs: int = 5, warmup: int = 1) -> float:
    """Median wall time of ``fn()`` over ``runs`` runs after ``warmup`` unmeasured ones."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def against(area: str, name: str, median: float, runs: int, limit_s: float,
            note: str = "") -> Result:
    """A measured median beside its target of ``limit_s`` seconds."""
    return Result(area, name, median, runs, f"< {limit_s:g} s", median < limit_s, note)


def under(area: str, name: str, fn: Callable[[], object], limit_s: float, runs: int = 5,
          note: str = "") -> Result:
    """Time ``fn`` and compare the median with a target of ``limit_s`` seconds."""
    return against(area, name, time_median(fn, runs=runs), runs, limit_s, note)
