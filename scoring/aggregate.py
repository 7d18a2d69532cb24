"""Scoring a review round: each review's weighted score, then per-note statistics and the rank.

Input is one row per (note, reviewer, criterion) with columns ``note_id, reviewer_id, criterion,
value``. Everything is checked at the door (see ``score_reviews``) and the input is never changed.

All results are computed from an internal table ordered by note, reviewer and criterion, so
shuffling the input rows does not change a single bit of the output. Comparisons that decide a
flag or a rank (spread against the disagreement threshold, score and median ties) are made on
values rounded to ``COMPARE_DECIMALS`` decimals, so floating-point noise never decides them.
See docs/scoring.md for the formulas in plain words.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
import pandas as pd

from scoring.rubric import Rubric

REVIEW_COLUMNS = ("note_id", "reviewer_id", "criterion", "value")
COMPARE_DECIMALS = 9
ZERO_STD = 1e-9  # a reviewer's standard deviation at or below this counts as zero
MAX_LISTED = 10  # offending rows listed per problem in a validation error


@dataclass(frozen=True)
class _Table:
    """Validated reviews, one row per review (note, reviewer) in note, reviewer order."""

    note_ids: pd.Index  # sorted unique note ids
    reviewer_ids: pd.Index  # sorted unique reviewer ids
    review_note: np.ndarray  # (R,) position in note_ids
    review_reviewer: np.ndarray  # (R,) position in reviewer_ids
    values: np.ndarray  # (R, C) raw values, columns in rubric order


def _fmt(x: object) -> str:
    return repr(x.item() if isinstance(x, np.generic) else x)


def _list_rows(reviews: pd.DataFrame, positions: np.ndarray,
               extra: Callable[[int], str] | None = None) -> list[str]:
    lines = []
    for p in positions[:MAX_LISTED]:
        row = reviews.iloc[p]
        cells = ", ".join(f"{c}={_fmt(row[c])}" for c in REVIEW_COLUMNS)
        lines.append(f"  row {_fmt(reviews.index[p])}: {cells}{extra(p) if extra else ''}")
    if len(positions) > MAX_LISTED:
        lines.append(f"  ... and {len(positions) - MAX_LISTED} more")
    return lines


def _all_or(mask: np.ndarray) -> np.ndarray | slice:
    """``mask``, or a slice taking everything when it is all True (indexing without a copy)."""
    return slice(None) if mask.all() else mask


def _validate(reviews: pd.DataFrame, rubric: Rubric) -> _Table:
    """Check ``reviews`` against ``rubric``; raise one ValueError listing every problem."""
    if not isinstance(reviews, pd.DataFrame):
        raise TypeError(f"reviews must be a pandas DataFrame, got {type(reviews).__name__}")
    if not isinstance(rubric, Rubric):
        raise TypeError(f"rubric must be a Rubric, got {type(rubric).__name__}")
    missing = [c for c in REVIEW_COLUMNS if c not in reviews.columns]
    if missing:
        raise ValueError(f"reviews lack column(s): {', '.join(missing)}")
    doubled = [c for c in REVIEW_COLUMNS if (reviews.columns == c).sum() > 1]
    if doubled:
        raise ValueError(f"reviews have more than one column named: {', '.join(doubled)}")

    note, reviewer, crit, raw = (reviews[c] for c in REVIEW_COLUMNS)
    codes = rubric.codes
    lo = np.array([c.scale_min for c in rubric], dtype="float64")
    hi = np.array([c.scale_max for c in rubric], dtype="float64")
    problems: list[list[str]] = []

    def problem(title: str, positions: np.ndarray, lines: list[str]) -> None:
        problems.append([f"- {title} ({len(positions)}):", *lines])

    # A review is a (note, reviewer) pair; reviews are numbered in note, reviewer order.
    note_code, note_ids = pd.factorize(note, sort=True)  # code -1: missing
    reviewer_code, reviewer_ids = pd.factorize(reviewer, sort=True)
    crit_code = pd.Index(codes).get_indexer(crit)  # -1: missing or not in the rubric
    id_ok = (note_code >= 0) & (reviewer_code >= 0)
    known = crit_code >= 0
    crit_na = np.zeros(len(reviews), dtype=bool) if known.all() else crit.isna().to_numpy()
    no_key = ~id_ok | crit_na
    if no_key.any():
        pos = np.flatnonzero(no_key)
        problem("rows without a note_id, reviewer_id or criterion", pos, _list_rows(reviews, pos))

    value_na = raw.isna().to_numpy()
    if pd.api.types.is_bool_dtype(raw.dtype):
        values = np.full(len(raw), np.nan)
        not_number = ~value_na
    else:
        values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype="float64")
        not_number = np.isnan(values) & ~value_na
    if value_na.any():
        pos = np.flatnonzero(value_na)
        problem("rows without a value (NaN or empty)", pos, _list_rows(reviews, pos))
    if not_number.any():
        pos = np.flatnonzero(not_number)
        problem("rows whose value is not a number", pos, _list_rows(reviews, pos))

    unknown = ~known & ~crit_na
    if unknown.any():
        pos = np.flatnonzero(unknown)
        problem(f"rows with a criterion not in the rubric ({', '.join(map(repr, codes))})",
                pos, _list_rows(reviews, pos))

    row_lo, row_hi = lo[crit_code], hi[crit_code]  # meaningful only where known
    outside = known & ((values < row_lo) | (values > row_hi))
    if outside.any():
        pos = np.flatnonzero(outside)
        problem("rows whose value is outside its criterion's scale", pos,
                _list_rows(reviews, pos,
                           lambda p: f" (scale {_fmt(rubric.criteria[crit_code[p]].scale_min)}"
                                     f" to {_fmt(rubric.criteria[crit_code[p]].scale_max)})"))

    n_crit, n_rev = len(codes), len(reviewer_ids)
    with_ids = _all_or(id_ok)
    pair = note_code[with_ids].astype(np.int64, copy=False) * n_rev + reviewer_code[with_ids]
    review_sub, review_keys = pd.factorize(pair, sort=True)
    n_reviews = len(review_keys)
    review = np.full(len(reviews), -1, dtype=np.int64)
    review[with_ids] = review_sub

    counted = _all_or(id_ok & known)
    cell = review[counted] * n_crit + crit_code[counted]  # (review, criterion), flattened
    per_cell = np.bincount(cell, minlength=n_reviews * n_crit)
    if per_cell.max(initial=0) > 1:
        repeated = np.zeros(len(reviews), dtype=bool)
        repeated[counted] = per_cell[cell] > 1
        pos = np.flatnonzero(repeated)
        pos = pos[np.argsort(review[pos] * n_crit + crit_code[pos], kind="stable")]
        problem("rows repeating a (note_id, reviewer_id, criterion)", pos,
                _list_rows(reviews, pos))

    empty_review, empty_crit = np.nonzero(per_cell.reshape(n_reviews, n_crit) == 0)
    if len(empty_review):
        incomplete = np.unique(empty_review)
        lines = []
        for r in incomplete[:MAX_LISTED]:
            lacking = ", ".join(repr(codes[c]) for c in empty_crit[empty_review == r])
            lines.append(f"  note_id={_fmt(note_ids[review_keys[r] // n_rev])}, "
                         f"reviewer_id={_fmt(reviewer_ids[review_keys[r] % n_rev])}"
                         f": no {lacking}")
        if len(incomplete) > MAX_LISTED:
            lines.append(f"  ... and {len(incomplete) - MAX_LISTED} more")
        problem("reviews missing a criterion", incomplete, lines)

    if problems:
        body = "\n".join(line for p in problems for line in p)
        raise ValueError(f"invalid reviews, {len(problems)} problem(s):\n{body}")

    # Valid now: every row counted, and each (review, criterion) cell filled exactly once.
    table = np.empty(n_reviews * n_crit)
    table[cell] = values
    return _Table(note_ids, reviewer_ids, review_keys // n_rev, review_keys % n_rev,
                  table.reshape(n_reviews, n_crit))


def _weighted_scores(table: _Table, rubric: Rubric) -> np.ndarray:
    lo = np.array([c.scale_min for c in rubric], dtype="float64")
    hi = np.array([c.scale_max for c in rubric], dtype="float64")
    weight = np.array([c.weight for c in rubric], dtype="float64")
    share = (table.values - lo) / (hi - lo)
    # The clip only guards against a last-bit rounding excursion past 0 or 100.
    return np.clip(100.0 * (share * weight).sum(axis=1) / rubric.total_weight, 0.0, 100.0)


def score_reviews(reviews: pd.DataFrame, rubric: Rubric) -> pd.DataFrame:
    """Each review's weighted score on 0–100.

    weighted_score = 100 × Σ wᵢ·(vᵢ − minᵢ)/(maxᵢ − minᵢ) / Σ wᵢ over the rubric's criteria.

    Returns columns ``note_id, reviewer_id, weighted_score``, one row per (note, reviewer),
    sorted by note_id then reviewer_id, with a fresh RangeIndex.

    Raises ``ValueError`` listing the offending rows when a column is missing, a note_id,
    reviewer_id or criterion is empty, a value is NaN, not a number or outside its criterion's
    scale, a criterion is not in the rubric, a (note, reviewer, criterion) repeats, or a review
    lacks one of the rubric's criteria.
    """
    table = _validate(reviews, rubric)
    return pd.DataFrame({
        "note_id": table.note_ids.take(table.review_note),
        "reviewer_id": table.reviewer_ids.take(table.review_reviewer),
        "weighted_score": _weighted_scores(table, rubric),
    })


def _check_min_reviews(min_reviews_for_calibration: object) -> None:
    if (not isinstance(min_reviews_for_calibration, Integral)
            or isinstance(min_reviews_for_calibration, bool)
            or min_reviews_for_calibration < 2):
        raise ValueError("min_reviews_for_calibration must be an integer >= 2, "
                         f"got {min_reviews_for_calibration!r}")


def _calibrate(scores: pd.Series, reviewer: np.ndarray, min_reviews: int) -> np.ndarray:
    """Calibrated score per review; see ``calibrate_reviews``."""
    by_reviewer = scores.groupby(reviewer)
    count = by_reviewer.transform("count").to_numpy()
    mean = by_reviewer.transform("mean").to_numpy()
    std = by_reviewer.transform("std").to_numpy()  # ddof=1; NaN for a single review
    eligible = (count >= min_reviews) & (std > ZERO_STD)
    z = (scores.to_numpy() - mean) / np.where(eligible, std, 1.0)
    mapped = np.clip(scores.mean() + scores.std() * z, 0.0, 100.0)
    return np.where(eligible, mapped, scores.to_numpy())


def calibrate_reviews(reviews: pd.DataFrame, rubric: Rubric, *,
                      min_reviews_for_calibration: int = 3) -> pd.DataFrame:
    """Each review's weighted score and its reviewer-calibrated score.

    A reviewer's scores in the round are standardised, z = (s − reviewer mean) / reviewer std,
    then put back on the round's scale: calibrated = round mean + round std × z, clipped to
    [0, 100]. All standard deviations are sample ones (ddof=1); the round mean and std are over
    all review scores in the round. A reviewer with fewer than ``min_reviews_for_calibration``
    reviews, or whose scores do not vary (std <= ZERO_STD), keeps the raw scores.

    Returns ``score_reviews``'s frame with a ``calibrated_score`` column added.
    """
    _check_min_reviews(min_reviews_for_calibration)
    table = _validate(reviews, rubric)
    raw = pd.Series(_weighted_scores(table, rubric))
    return pd.DataFrame({
        "note_id": table.note_ids.take(table.review_note),
        "reviewer_id": table.reviewer_ids.take(table.review_reviewer),
        "weighted_score": raw.to_numpy(),
        "calibrated_score": _calibrate(raw, table.review_reviewer, min_reviews_for_calibration),
    })


def aggregate_round(reviews: pd.DataFrame, rubric: Rubric, *, quorum: int = 3,
                    disagreement_threshold: float = 25.0, calibrate: bool = False,
                    min_reviews_for_calibration: int = 3) -> pd.DataFrame:
    """Per-note results of a closed review round, best first.

    Indexed by ``note_id``, sorted by rank, with columns:

    - ``n_reviews``; ``mean``, ``median``, ``std`` (sample, ddof=1: NaN with one review) and
      ``spread`` (max − min) of the note's weighted scores;
    - ``quorum_met``: n_reviews >= quorum;
    - ``disagreement``: spread > disagreement_threshold (strictly);
    - ``calibrated``: the mean of the note's calibrated review scores (see
      ``calibrate_reviews``) when ``calibrate``, else equal to ``mean``;
    - ``score``: ``calibrated`` if ``calibrate`` else ``mean``;
    - ``rank``: 1..n, unique; the notes that met quorum first, then those that did not (a
      score from too few reviews never outranks one the round's rule accepts); within each,
      by score descending, then median descending, then note_id ascending. Scores and medians
      equal to COMPARE_DECIMALS decimals count as equal.
    """
    if not isinstance(quorum, Integral) or isinstance(quorum, bool) or quorum < 1:
        raise ValueError(f"quorum must be an integer >= 1, got {quorum!r}")
    if (not isinstance(disagreement_threshold, Real) or isinstance(disagreement_threshold, bool)
            or not np.isfinite(disagreement_threshold) or disagreement_threshold < 0):
        raise ValueError("disagreement_threshold must be a finite number >= 0, "
                         f"got {disagreement_threshold!r}")
    if not isinstance(calibrate, (bool, np.bool_)):
        raise ValueError(f"calibrate must be True or False, got {calibrate!r}")
    _check_min_reviews(min_reviews_for_calibration)

    table = _validate(reviews, rubric)
    scores = pd.Series(_weighted_scores(table, rubric))
    stats = scores.groupby(table.review_note).agg(["count", "mean", "median", "std", "min", "max"])
    if calibrate:
        calibrated_review = _calibrate(scores, table.review_reviewer, min_reviews_for_calibration)
        calibrated = pd.Series(calibrated_review).groupby(table.review_note).mean().to_numpy()
    else:
        calibrated = stats["mean"].to_numpy()

    n = stats["count"].to_numpy(dtype="int64")
    median = stats["median"].to_numpy(dtype="float64")
    spread = (stats["max"] - stats["min"]).to_numpy(dtype="float64")
    score = np.asarray(calibrated, dtype="float64")
    quorum_met = n >= quorum
    # groupby sorts its keys, so row i of stats is note code i, and note codes follow note_id.
    order = np.lexsort((np.arange(len(stats)),
                        -np.round(median, COMPARE_DECIMALS),
                        -np.round(score, COMPARE_DECIMALS),
                        ~quorum_met))
    rank = np.empty(len(stats), dtype="int64")
    rank[order] = np.arange(1, len(stats) + 1)

    result = pd.DataFrame(
        {
            "n_reviews": n,
            "mean": stats["mean"].to_numpy(dtype="float64"),
            "median": median,
            "std": stats["std"].to_numpy(dtype="float64"),
            "spread": spread,
            "quorum_met": quorum_met,
            "disagreement": np.round(spread, COMPARE_DECIMALS) > disagreement_threshold,
            "calibrated": score,
            "score": score,
            "rank": rank,
        },
        index=table.note_ids.rename("note_id"),
    )
    return result.take(order)


def criterion_means(reviews: pd.DataFrame, rubric: Rubric) -> pd.DataFrame:
    """Mean raw value per note and criterion: index ``note_id``, one column per criterion code
    in rubric order. Validates ``reviews`` as ``score_reviews`` does."""
    table = _validate(reviews, rubric)
    means = pd.DataFrame(table.values, columns=pd.Index(rubric.codes, name="criterion"))
    means = means.groupby(table.review_note).mean()
    means.index = table.note_ids.rename("note_id")
    return means
