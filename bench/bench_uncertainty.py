"""Uncertainty at the funding line: 1,000 notes, each reviewed by the same 15 reviewers, 10,000
redraws, expected ranks with their intervals and the chance of funding under the allocation
benchmark's policy (floors, caps, a country limit, earmarks), greedy rule on every redraw.

``python -m bench.bench_uncertainty`` prints the results.
"""

from __future__ import annotations

import os
import time

import numpy as np
import pandas as pd

from bench.bench_allocation import POLICY, funds, pipeline
from bench.bench_scoring import N_REVIEWERS, RUBRIC, make_reviews
from bench.common import Result, time_median
from scoring.aggregate import aggregate_round
from scoring.uncertainty import DRAWS, funding_chances, rank_intervals, redraw_round

N_NOTES = 1_000
LIMIT_S = 5.0


def cycle(reviews: pd.DataFrame) -> pd.DataFrame:
    """The allocation benchmark's pipeline of 1,000 notes, with the round's scores."""
    notes = pipeline(N_NOTES)
    results = aggregate_round(reviews, RUBRIC)
    notes["note_id"] = np.arange(1, N_NOTES + 1)
    notes["score"] = results.loc[notes["note_id"], "score"].to_numpy()
    notes["quorum_met"] = results.loc[notes["note_id"], "quorum_met"].to_numpy()
    return notes


def run(reviews: pd.DataFrame, notes: pd.DataFrame, money) -> tuple:
    draws = redraw_round(reviews, RUBRIC)
    return rank_intervals(draws), funding_chances(draws, notes, money, POLICY)


def benchmarks() -> list[Result]:
    reviews = make_reviews(N_NOTES)
    notes, money = cycle(reviews), funds(150_000_000)
    _, chances = run(reviews, notes, money)
    before = os.getloadavg()[0]
    cpu = time.process_time()
    seconds = time_median(lambda: run(reviews, notes, money), runs=3, warmup=0)
    cpu = (time.process_time() - cpu) / 3
    note = (f"{N_NOTES:,} notes × {N_REVIEWERS} reviewers, {DRAWS:,} redraws, greedy rule on "
            f"each; {len(chances.grey_zone)} notes in the grey zone, "
            f"{chances.mean_funded:.1f} funded per redraw on average; {cpu:.2f} s of processor "
            f"time per run, load average {before:.1f} before")
    return [Result("scoring", "expected ranks and chances of funding, 1,000 notes", seconds, 3,
                   f"< {LIMIT_S:g} s", seconds < LIMIT_S, note)]


if __name__ == "__main__":
    for r in benchmarks():
        print(f"{r.name}: median {r.median_s:.2f} s of {r.runs} runs, target {r.target}: "
              f"{'met' if r.met else 'MISSED'} ({r.note})")
