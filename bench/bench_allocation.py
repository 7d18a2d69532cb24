"""Allocation benchmarks: greedy and optimal on a generated pipeline of 1,000 and 10,000 notes.

The pipeline is realistic in shape: five thematic areas with floors and caps, five regions with
caps, 150 countries (at most two funded notes each), requests of USD 0.5-3 million, earmarks on
three areas, an envelope that funds a few per cent of the demand.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bench.common import Result, against, time_median, under
from scoring.allocate import AllocationPolicy, Funds, allocate

REGIONS = ("Africa", "Arab States", "Asia-Pacific", "Europe and Central Asia",
           "Latin America and the Caribbean")
N_COUNTRIES = 150
POLICY = AllocationPolicy(
    min_score=55,
    thematic_floor={1: 0.10, 2: 0.15, 3: 0.10, 4: 0.10, 5: 0.10},
    thematic_cap={1: 0.30, 2: 0.30, 3: 0.25, 4: 0.25, 5: 0.25},
    region_cap={region: 0.25 for region in REGIONS},
    max_per_country=2,
    champion_bonus=5,
    min_gender_marker=1,
)


def pipeline(n: int, seed: int = 2026) -> pd.DataFrame:
    """``n`` concept notes with a seeded random generator."""
    rng = np.random.default_rng(seed)
    country_region = rng.integers(0, len(REGIONS), N_COUNTRIES)
    champion_country = rng.random(N_COUNTRIES) < 0.15
    country = rng.integers(0, N_COUNTRIES, n)
    return pd.DataFrame({
        "note_id": [f"MIG-{2024 + k % 3}-{k:05d}" for k in range(n)],
        "country": [f"C{c:03d}" for c in country],
        "region": np.array(REGIONS, dtype=object)[country_region[country]],
        "thematic_area": rng.integers(1, 6, n),
        "requested": rng.integers(500_000, 3_000_001, n) * 100,
        "score": np.clip(rng.normal(70, 10, n), 0, 100).round(2),
        "quorum_met": rng.random(n) < 0.95,
        "champion": champion_country[country],
        "gender_marker": rng.integers(0, 4, n),
        "submitted_at": pd.Timestamp("2024-01-01")
        + pd.to_timedelta(rng.integers(0, 730 * 24 * 3600, n), unit="s"),
    })


def funds(envelope_usd: int) -> Funds:
    """30 % of the envelope earmarked (to areas 1, 2 and 4), the rest unearmarked."""
    cents = envelope_usd * 100
    earmarked = {1: cents * 10 // 100, 2: cents * 12 // 100, 4: cents * 8 // 100}
    return Funds(cents - sum(earmarked.values()), earmarked)


CASES = ((1_000, 150_000_000), (10_000, 400_000_000))


def benchmarks() -> list[Result]:
    results = []
    for n, envelope in CASES:
        notes, money = pipeline(n), funds(envelope)
        results.append(under("allocation", f"allocate greedy, {n:,} notes",
                             lambda notes=notes, money=money: allocate(notes, money, POLICY),
                             0.5))
    notes, money = pipeline(1_000), funds(150_000_000)
    optimal = allocate(notes, money, POLICY, method="optimal")
    results.append(under(
        "allocation", "allocate optimal, 1,000 notes",
        lambda: allocate(notes, money, POLICY, method="optimal"), 10, runs=3,
        note=f"{optimal.message}; +{optimal.improvement / optimal.greedy_objective:.2%} "
             f"over greedy"))
    notes, money = pipeline(10_000), funds(400_000_000)
    limit = 60.0
    optimal = allocate(notes, money, POLICY, method="optimal", time_limit=limit)
    seconds = time_median(lambda: allocate(notes, money, POLICY, method="optimal",
                                           time_limit=limit), runs=1, warmup=0)
    results.append(against(
        "allocation", "allocate optimal, 10,000 notes", seconds, 1, limit,
        note=f"time limit {limit:g} s; {optimal.message}; "
             f"+{optimal.improvement / optimal.greedy_objective:.2%} over greedy"))
    return results


if __name__ == "__main__":
    for result in benchmarks():
        target = f"{result.target} {'met' if result.met else 'MISSED'}" if result.target else ""
        print(f"{result.name:34} {result.median_s:8.3f} s  {target:14} {result.note}")
