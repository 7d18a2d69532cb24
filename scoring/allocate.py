"""Allocation of a funding cycle's money to the eligible pipeline of concept notes.

Two methods share one set of rules (eligibility, floors, caps, country limit, earmarks,
all-or-nothing funding of a note):

* ``greedy`` (the default, the transparent rule): fund notes one by one in priority order;
* ``optimal``: a mixed-integer programme (``scipy.optimize.milp``, HiGHS) that maximises the
  score-weighted money allocated, never doing worse than greedy.

Money is integer cents from the input to the result. Shares of the envelope become cents as
``floor(share × envelope)``, with the share read as the decimal it prints as (``0.3`` is 3/10), for
floors and caps alike. The plain-words description is ``docs/allocation.md``.

HiGHS writes some lines with ``printf`` whatever its options say; the solve runs with the
process's standard output (file descriptor 1) sent to the null device (see ``_quiet_stdout``),
and how the solver ended is reported in ``Allocation.message``.
"""

from __future__ import annotations

import ctypes
import functools
import math
import os
import sys
import threading
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from fractions import Fraction
from numbers import Integral, Real
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import csr_array

STATUSES = (
    "funded",
    "below_min_score",
    "no_quorum",
    "marker",
    "country_limit",
    "thematic_cap",
    "region_cap",
    "insufficient_funds",
)
METHODS = ("greedy", "optimal")

NOTE_COLUMNS = (
    "note_id",
    "country",
    "region",
    "thematic_area",
    "requested",
    "score",
    "quorum_met",
    "champion",
    "gender_marker",
    "submitted_at",
)
TABLE_COLUMNS = (
    "note_id",
    "order",
    "status",
    "amount",
    "from_earmarked",
    "from_unearmarked",
    "country",
    "region",
    "thematic_area",
    "requested",
    "score",
    "priority_score",
)
DIFFERENCE_COLUMNS = ("note_id", "greedy_status", "optimal_status", "greedy_amount",
                      "optimal_amount")
_MAX_ROWS_NAMED = 10


# --- policy and funds ---------------------------------------------------------------------------

def _is_number(x: object) -> bool:
    """A finite real number; ``bool`` is not a number here."""
    return isinstance(x, Real) and not isinstance(x, bool) and math.isfinite(x)


def _is_int(x: object) -> bool:
    return isinstance(x, Integral) and not isinstance(x, bool)


def _exact(share: float) -> Fraction:
    """The share as the decimal it prints as: ``_exact(0.3) == Fraction(3, 10)``."""
    return Fraction(repr(float(share)))


def share_amount(share: float, envelope: int) -> int:
    """``floor(share × envelope)``: the cents a floor or cap share of the envelope stands for."""
    return math.floor(_exact(share) * envelope)


def _shares(name: str, value: object, key_kind: type) -> dict:
    if not isinstance(value, Mapping):
        raise ValueError(f"{name} must be a mapping, got {type(value).__name__}")
    out = {}
    for key, share in value.items():
        if key_kind is int and not _is_int(key):
            raise ValueError(f"{name}: keys must be thematic area ids (int), got {key!r}")
        if key_kind is str and (not isinstance(key, str) or not key.strip()):
            raise ValueError(f"{name}: keys must be region names, got {key!r}")
        if not _is_number(share) or not 0 <= share <= 1:
            raise ValueError(f"{name}[{key!r}] must be a share between 0 and 1, got {share!r}")
        out[int(key) if key_kind is int else key] = float(share)
    return out


@dataclass(frozen=True)
class AllocationPolicy:
    """A funding cycle's allocation rules. Shares are of the cycle's envelope (0 to 1).

    ``champion_bonus`` is added to a champion country's score for the priority order only (it
    does not make a note eligible, and the optimal method's objective ignores it).
    """

    min_score: float = 0
    require_quorum: bool = True
    thematic_floor: dict[int, float] = field(default_factory=dict)
    thematic_cap: dict[int, float] = field(default_factory=dict)
    region_cap: dict[str, float] = field(default_factory=dict)
    max_per_country: int | None = 1
    champion_bonus: float = 0
    min_gender_marker: int | None = None

    def __post_init__(self) -> None:
        if not _is_number(self.min_score):
            raise ValueError(f"min_score must be a finite number, got {self.min_score!r}")
        if not isinstance(self.require_quorum, bool):
            raise ValueError(f"require_quorum must be true or false, got {self.require_quorum!r}")
        floor = _shares("thematic_floor", self.thematic_floor, int)
        cap = _shares("thematic_cap", self.thematic_cap, int)
        region_cap = _shares("region_cap", self.region_cap, str)
        for area, share in floor.items():
            if area in cap and share > cap[area]:
                raise ValueError(f"thematic_floor[{area}] ({share:g}) is above "
                                 f"thematic_cap[{area}] ({cap[area]:g})")
        if sum(_exact(s) for s in floor.values()) > 1:
            raise ValueError(f"thematic_floor shares add up to more than 1 "
                             f"({float(sum(_exact(s) for s in floor.values())):g})")
        if self.max_per_country is not None and (not _is_int(self.max_per_country)
                                                 or self.max_per_country < 1):
            raise ValueError(f"max_per_country must be None or a whole number ≥ 1, "
                             f"got {self.max_per_country!r}")
        if not _is_number(self.champion_bonus) or self.champion_bonus < 0:
            raise ValueError(f"champion_bonus must be a number ≥ 0, got {self.champion_bonus!r}")
        if self.min_gender_marker is not None and (not _is_int(self.min_gender_marker)
                                                   or not 0 <= self.min_gender_marker <= 3):
            raise ValueError(f"min_gender_marker must be None or a marker 0 to 3, "
                             f"got {self.min_gender_marker!r}")
        object.__setattr__(self, "min_score", float(self.min_score))
        object.__setattr__(self, "thematic_floor", floor)
        object.__setattr__(self, "thematic_cap", cap)
        object.__setattr__(self, "region_cap", region_cap)
        if self.max_per_country is not None:
            object.__setattr__(self, "max_per_country", int(self.max_per_country))
        object.__setattr__(self, "champion_bonus", float(self.champion_bonus))
        if self.min_gender_marker is not None:
            object.__setattr__(self, "min_gender_marker", int(self.min_gender_marker))

    def to_dict(self) -> dict:
        """JSON-ready: area keys are strings, as JSON object keys must be."""
        return {
            "min_score": self.min_score,
            "require_quorum": self.require_quorum,
            "thematic_floor": {str(a): s for a, s in sorted(self.thematic_floor.items())},
            "thematic_cap": {str(a): s for a, s in sorted(self.thematic_cap.items())},
            "region_cap": dict(sorted(self.region_cap.items())),
            "max_per_country": self.max_per_country,
            "champion_bonus": self.champion_bonus,
            "min_gender_marker": self.min_gender_marker,
        }

    @classmethod
    def from_dict(cls, data: Mapping) -> AllocationPolicy:
        """The inverse of :meth:`to_dict`; area keys may be ints or strings of digits."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(str(k) for k in data if k not in known)
        if unknown:
            raise ValueError(f"unknown allocation policy fields: {', '.join(unknown)}")
        kwargs = dict(data)
        for name in ("thematic_floor", "thematic_cap"):
            if isinstance(kwargs.get(name), Mapping):
                kwargs[name] = {_area_key(name, k): v for k, v in kwargs[name].items()}
        return cls(**kwargs)


def _area_key(name: str, key: object) -> object:
    if isinstance(key, str):
        text = key.strip()
        if text.lstrip("-").isdigit():
            return int(text)
        raise ValueError(f"{name}: keys must be thematic area ids, got {key!r}")
    return key


@dataclass(frozen=True)
class Funds:
    """Integer cents available to the cycle: unearmarked, and earmarked by thematic area."""

    unearmarked: int
    earmarked: dict[int, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not _is_int(self.unearmarked) or self.unearmarked < 0:
            raise ValueError(f"unearmarked must be whole cents ≥ 0, got {self.unearmarked!r}")
        if not isinstance(self.earmarked, Mapping):
            raise ValueError(f"earmarked must be a mapping of thematic area to cents, "
                             f"got {type(self.earmarked).__name__}")
        earmarked = {}
        for area, cents in self.earmarked.items():
            if not _is_int(area):
                raise ValueError(f"earmarked: keys must be thematic area ids (int), got {area!r}")
            if not _is_int(cents) or cents < 0:
                raise ValueError(f"earmarked[{area!r}] must be whole cents ≥ 0, got {cents!r}")
            earmarked[int(area)] = int(cents)
        object.__setattr__(self, "unearmarked", int(self.unearmarked))
        object.__setattr__(self, "earmarked", earmarked)

    @property
    def total(self) -> int:
        return self.unearmarked + sum(self.earmarked.values())


# --- results ------------------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class AllocationSummary:
    """Totals of an allocation, in integer cents.

    ``by_area`` (index ``thematic_area``) and ``by_region`` (index ``region``) list every area or
    region that has a note, an earmark, a floor or a cap: ``n_notes``, ``requested`` (all notes,
    eligible or not), ``n_funded``, ``allocated``, and the floor and cap as share and cents
    (``cap_share`` NaN and ``cap_amount`` <NA> where there is no cap). ``by_area`` also has
    ``earmarked`` (available), ``from_earmarked``, ``from_unearmarked`` and ``earmarked_left``.
    """

    envelope: int
    allocated: int
    from_earmarked: int
    from_unearmarked: int
    left_unearmarked: int
    left_earmarked: dict[int, int]
    by_area: pd.DataFrame
    by_region: pd.DataFrame


@dataclass(frozen=True, eq=False)
class Allocation:
    """The result of :func:`allocate`.

    ``table`` has one row per note, sorted by ``order``. ``objective`` is Σ score × amount (score
    without champion bonus, amount in cents) of this allocation, ``greedy_objective`` the same for
    the greedy rule and ``improvement`` their difference (0 for greedy). ``differs_from_greedy``
    lists the notes whose status or amount the optimal method changed. ``fell_back`` is true
    when the optimal method kept greedy's allocation; ``message`` says why, or how the solver
    ended.
    """

    table: pd.DataFrame
    summary: AllocationSummary
    policy: AllocationPolicy
    funds: Funds
    method: str
    objective: float
    greedy_objective: float
    improvement: float
    differs_from_greedy: pd.DataFrame
    fell_back: bool = False
    message: str = ""


# --- the entry point ----------------------------------------------------------------------------

def allocate(notes: pd.DataFrame, funds: Funds, policy: AllocationPolicy, *,
             method: str = "greedy", time_limit: float | None = 60.0) -> Allocation:
    """Allocate ``funds`` to ``notes`` under ``policy``; see the module docstring.

    ``notes`` needs the columns of :data:`NOTE_COLUMNS`; it is never changed. ``time_limit``
    (seconds) bounds the optimal method's solver; greedy ignores it.
    """
    if not isinstance(funds, Funds):
        raise TypeError(f"funds must be a Funds, got {type(funds).__name__}")
    if not isinstance(policy, AllocationPolicy):
        raise TypeError(f"policy must be an AllocationPolicy, got {type(policy).__name__}")
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    if time_limit is not None and (not _is_number(time_limit) or time_limit <= 0):
        raise ValueError(f"time_limit must be None or a number of seconds > 0, "
                         f"got {time_limit!r}")
    pipeline = _prepare(notes, policy)
    limits = _Limits.of(policy, funds)
    greedy = _greedy(pipeline, limits)
    greedy_objective = greedy.objective(pipeline)
    outcome, fell_back, message = greedy, False, ""
    if method == "optimal":
        outcome, fell_back, message = _optimal(pipeline, limits, greedy, time_limit)
    objective = outcome.objective(pipeline)
    table = _table(pipeline, outcome)
    if method == "optimal":
        differs = _differences(table, _table(pipeline, greedy))
    else:
        differs = _differences(table, table)
    return Allocation(
        table=table,
        summary=_summary(table, policy, funds, limits),
        policy=policy,
        funds=funds,
        method=method,
        objective=objective,
        greedy_objective=greedy_objective,
        improvement=objective - greedy_objective,
        differs_from_greedy=differs,
        fell_back=fell_back,
        message=message,
    )


# --- input validation ---------------------------------------------------------------------------

def _rows(labels: pd.Index, mask: np.ndarray) -> str:
    bad = list(labels[mask])
    named = ", ".join(repr(x) if isinstance(x, str) else str(x) for x in bad[:_MAX_ROWS_NAMED])
    more = f" and {len(bad) - _MAX_ROWS_NAMED} more" if len(bad) > _MAX_ROWS_NAMED else ""
    return f"rows {named}{more}"


class _Problems:
    """Collects what is wrong with the input, to raise it all in one ValueError."""

    def __init__(self, index: pd.Index) -> None:
        self.index = index
        self.messages: list[str] = []

    def flag(self, column: str, mask: np.ndarray, what: str) -> bool:
        mask = np.asarray(mask, dtype=bool)
        if mask.any():
            self.messages.append(f"{column}: {what} ({_rows(self.index, mask)})")
            return True
        return False

    def raise_any(self) -> None:
        if self.messages:
            raise ValueError("invalid concept notes: " + "; ".join(self.messages))


def _whole_numbers(col: pd.Series, problems: _Problems) -> tuple[np.ndarray, np.ndarray]:
    """int64 values of a column of whole numbers, and which entries are valid (others are 0)."""
    name = str(col.name)
    missing = col.isna().to_numpy()
    problems.flag(name, missing, "missing")
    if pd.api.types.is_bool_dtype(col.dtype):
        problems.flag(name, ~missing, "must be a whole number, not true/false")
        return np.zeros(len(col), dtype=np.int64), np.zeros(len(col), dtype=bool)
    if pd.api.types.is_integer_dtype(col.dtype):
        return col.to_numpy(dtype=np.int64, na_value=0), ~missing
    if pd.api.types.is_float_dtype(col.dtype):
        values = col.to_numpy(dtype=np.float64, na_value=np.nan)
        with np.errstate(invalid="ignore"):
            bad = ~missing & ~(np.isfinite(values) & (np.floor(values) == values)
                               & (np.abs(values) < 2.0**53))
        problems.flag(name, bad, "must be a whole number")
        return np.where(missing | bad, 0, values).astype(np.int64), ~(missing | bad)
    out = np.zeros(len(col), dtype=np.int64)
    bad = np.zeros(len(col), dtype=bool)
    for k, v in enumerate(col.to_numpy(dtype=object)):
        if missing[k]:
            continue
        whole = (_is_int(v) and -(2**63) <= v < 2**63
                 or _is_number(v) and float(v).is_integer() and abs(v) < 2.0**53)
        if whole:
            out[k] = int(v)
        else:
            bad[k] = True
    problems.flag(name, bad, "must be a whole number")
    return out, ~(missing | bad)


def _real_numbers(col: pd.Series, problems: _Problems) -> np.ndarray:
    """float64 values; missing entries are NaN (the caller decides), other bad ones flagged."""
    name = str(col.name)
    if pd.api.types.is_bool_dtype(col.dtype):
        problems.flag(name, col.notna().to_numpy(), "must be a number, not true/false")
        return np.full(len(col), np.nan)
    if pd.api.types.is_numeric_dtype(col.dtype):
        values = col.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        raw = col.to_numpy(dtype=object)
        missing = col.isna().to_numpy()
        ok = np.array([missing[k] or (isinstance(v, Real) and not isinstance(v, bool))
                       for k, v in enumerate(raw)], dtype=bool)
        problems.flag(name, ~ok, "must be a number")
        values = np.array([float(v) if ok[k] and not missing[k] else np.nan
                           for k, v in enumerate(raw)], dtype=np.float64)
    problems.flag(name, np.isinf(values), "must be finite")
    return np.where(np.isinf(values), np.nan, values)


def _flags(col: pd.Series, problems: _Problems) -> np.ndarray:
    name = str(col.name)
    missing = col.isna().to_numpy()
    problems.flag(name, missing, "missing")
    if pd.api.types.is_bool_dtype(col.dtype):
        return col.to_numpy(dtype=bool, na_value=False)
    raw = col.to_numpy(dtype=object)
    ok = np.array([missing[k] or isinstance(v, bool | np.bool_) for k, v in enumerate(raw)],
                  dtype=bool)
    problems.flag(name, ~ok, "must be true or false")
    return np.array([bool(v) if ok[k] and not missing[k] else False for k, v in enumerate(raw)],
                    dtype=bool)


def _labels(col: pd.Series, problems: _Problems) -> None:
    name = str(col.name)
    missing = col.isna().to_numpy()
    problems.flag(name, missing, "missing")
    raw = col.to_numpy(dtype=object)
    bad = np.array([not missing[k] and not (isinstance(v, str) and v.strip())
                    for k, v in enumerate(raw)], dtype=bool)
    problems.flag(name, bad, "must be a non-empty text")


def _timestamps(col: pd.Series, problems: _Problems) -> np.ndarray:
    """int64 keys that order the submission times (naive times are read as UTC)."""
    missing = col.isna().to_numpy()
    problems.flag("submitted_at", missing, "missing")
    if isinstance(col.dtype, pd.DatetimeTZDtype):
        times = col.dt.tz_convert("UTC").dt.tz_localize(None)
    elif pd.api.types.is_datetime64_dtype(col.dtype):
        times = col
    else:
        times = pd.to_datetime(col, errors="coerce", utc=True, format="ISO8601")
        problems.flag("submitted_at", times.isna().to_numpy() & ~missing,
                      "must be a date and time")
        times = times.dt.tz_localize(None)
    values = times.to_numpy().view(np.int64)  # one time unit per column, so order is kept
    return np.where(times.isna().to_numpy(), 0, values)


def _id_ranks(col: pd.Series, problems: _Problems) -> np.ndarray:
    """Rank of each note_id in ascending order (the last tie-break)."""
    missing = col.isna().to_numpy()
    duplicated = col.duplicated(keep=False).to_numpy() & ~missing
    if problems.flag("note_id", missing, "missing") | problems.flag("note_id", duplicated,
                                                                    "duplicated"):
        return np.zeros(len(col), dtype=np.int64)
    try:
        _, ranks = np.unique(col.to_numpy(), return_inverse=True)
    except TypeError:
        problems.messages.append("note_id: values must be all numbers or all texts")
        return np.zeros(len(col), dtype=np.int64)
    return ranks.reshape(-1).astype(np.int64)


# --- the pipeline in priority order -------------------------------------------------------------

@dataclass
class _Pipeline:
    """The notes sorted by priority, as plain lists for the sequential rules."""

    frame: pd.DataFrame  # descriptive output columns, priority order, RangeIndex
    reason: list[str | None]  # ineligibility reason, None when eligible
    country: list
    region: list
    area: list[int]
    requested: list[int]
    score: list[float]

    def __len__(self) -> int:
        return len(self.requested)


def _prepare(notes: pd.DataFrame, policy: AllocationPolicy) -> _Pipeline:
    if not isinstance(notes, pd.DataFrame):
        raise TypeError(f"notes must be a pandas DataFrame, got {type(notes).__name__}")
    missing = [c for c in NOTE_COLUMNS if c not in notes.columns]
    if missing:
        raise ValueError(f"notes is missing columns: {', '.join(missing)}")
    if notes.columns.duplicated().any():
        twice = sorted({str(c) for c in notes.columns[notes.columns.duplicated()]})
        raise ValueError(f"notes has duplicated columns: {', '.join(twice)}")
    problems = _Problems(notes.index)
    ranks = _id_ranks(notes["note_id"], problems)
    _labels(notes["country"], problems)
    _labels(notes["region"], problems)
    area, _ = _whole_numbers(notes["thematic_area"], problems)
    requested, valid = _whole_numbers(notes["requested"], problems)
    problems.flag("requested", valid & (requested <= 0), "must be a positive number of cents")
    score = _real_numbers(notes["score"], problems)
    quorum = _flags(notes["quorum_met"], problems)
    champion = _flags(notes["champion"], problems)
    marker, valid = _whole_numbers(notes["gender_marker"], problems)
    problems.flag("gender_marker", valid & ((marker < 0) | (marker > 3)),
                  "must be a marker 0 to 3")
    submitted = _timestamps(notes["submitted_at"], problems)
    considered = quorum | (not policy.require_quorum)
    problems.flag("score", notes["score"].isna().to_numpy() & considered,
                  "missing for a note that met quorum" if policy.require_quorum
                  else "missing (quorum is not required, so every note needs a score)")
    problems.raise_any()

    priority = score + policy.champion_bonus * champion
    # When the policy requires quorum, the notes without it come after every note with it.
    late = ~quorum if policy.require_quorum else np.zeros(len(notes), dtype=bool)
    order = np.lexsort((ranks, submitted, -marker, np.where(np.isnan(priority), np.inf,
                                                              -priority), late))
    reason = np.full(len(notes), None, dtype=object)
    if policy.min_gender_marker is not None:
        reason[marker < policy.min_gender_marker] = "marker"
    with np.errstate(invalid="ignore"):
        reason[score < policy.min_score] = "below_min_score"
    if policy.require_quorum:
        reason[~quorum] = "no_quorum"

    frame = notes[["note_id", "country", "region"]].iloc[order].reset_index(drop=True)
    frame["thematic_area"] = area[order]
    frame["requested"] = requested[order]
    frame["score"] = score[order]
    frame["priority_score"] = priority[order]
    return _Pipeline(
        frame=frame,
        reason=reason[order].tolist(),
        country=frame["country"].tolist(),
        region=frame["region"].tolist(),
        area=area[order].tolist(),
        requested=requested[order].tolist(),
        score=score[order].tolist(),
    )


# --- the rules ----------------------------------------------------------------------------------

@dataclass
class _Limits:
    """The policy's shares turned into cents of this cycle's envelope."""

    envelope: int
    unearmarked: int
    earmark: dict[int, int]
    floor: dict[int, int]
    area_cap: dict[int, int]
    region_cap: dict[str, int]
    max_per_country: int | None

    @classmethod
    def of(cls, policy: AllocationPolicy, funds: Funds) -> _Limits:
        envelope = funds.total
        return cls(
            envelope=envelope,
            unearmarked=funds.unearmarked,
            earmark=dict(funds.earmarked),
            floor={a: share_amount(s, envelope) for a, s in policy.thematic_floor.items()},
            area_cap={a: share_amount(s, envelope) for a, s in policy.thematic_cap.items()},
            region_cap={r: share_amount(s, envelope) for r, s in policy.region_cap.items()},
            max_per_country=policy.max_per_country,
        )


class _Ledger:
    """What is funded so far, and the checks a further note must pass, in their order."""

    def __init__(self, pipeline: _Pipeline, limits: _Limits) -> None:
        self.p = pipeline
        self.limits = limits
        self.country_count: Counter = Counter()
        self.area_total: Counter = Counter()
        self.region_total: Counter = Counter()
        self.earmark_left = dict(limits.earmark)
        self.unearmarked_left = limits.unearmarked
        self.from_earmarked = [0] * len(pipeline)
        self.from_unearmarked = [0] * len(pipeline)
        self.funded = [False] * len(pipeline)

    def blocker(self, i: int) -> str | None:
        """The first check note ``i`` fails, or None when it can be funded now."""
        p, limits = self.p, self.limits
        k = limits.max_per_country
        if k is not None and self.country_count[p.country[i]] >= k:
            return "country_limit"
        area, cents = p.area[i], p.requested[i]
        cap = limits.area_cap.get(area)
        if cap is not None and self.area_total[area] + cents > cap:
            return "thematic_cap"
        cap = limits.region_cap.get(p.region[i])
        if cap is not None and self.region_total[p.region[i]] + cents > cap:
            return "region_cap"
        if self.earmark_left.get(area, 0) + self.unearmarked_left < cents:
            return "insufficient_funds"
        return None

    def fund(self, i: int) -> None:
        """Fund note ``i`` whole: its area's earmark first, then unearmarked money."""
        p = self.p
        area, cents = p.area[i], p.requested[i]
        earmarked = min(self.earmark_left.get(area, 0), cents)
        if earmarked:
            self.earmark_left[area] -= earmarked
        self.unearmarked_left -= cents - earmarked
        self.from_earmarked[i] = earmarked
        self.from_unearmarked[i] = cents - earmarked
        self.funded[i] = True
        self.country_count[p.country[i]] += 1
        self.area_total[area] += cents
        self.region_total[p.region[i]] += cents

    def try_fund(self, i: int) -> str:
        reason = self.blocker(i)
        if reason is not None:
            return reason
        self.fund(i)
        return "funded"


@dataclass
class _Outcome:
    status: list[str]
    from_earmarked: list[int]
    from_unearmarked: list[int]
    area_total: dict[int, int]

    @classmethod
    def of(cls, ledger: _Ledger, status: list[str]) -> _Outcome:
        return cls(status, ledger.from_earmarked, ledger.from_unearmarked,
                   dict(ledger.area_total))

    def objective(self, p: _Pipeline) -> float:
        return math.fsum(p.score[i] * p.requested[i]
                         for i, s in enumerate(self.status) if s == "funded")


def _greedy(p: _Pipeline, limits: _Limits) -> _Outcome:
    ledger = _Ledger(p, limits)
    status: list[str] = [reason or "" for reason in p.reason]
    eligible = [i for i in range(len(p)) if p.reason[i] is None]
    by_area: dict[int, list[int]] = defaultdict(list)
    for i in eligible:
        by_area[p.area[i]].append(i)
    for area in sorted(a for a, cents in limits.floor.items() if cents > 0):
        for i in by_area.get(area, ()):
            if ledger.area_total[area] >= limits.floor[area]:
                break
            status[i] = ledger.try_fund(i)
    for i in eligible:
        if not ledger.funded[i]:
            status[i] = ledger.try_fund(i)
    return _Outcome.of(ledger, status)


def _optimal(p: _Pipeline, limits: _Limits, greedy: _Outcome,
             time_limit: float | None) -> tuple[_Outcome, bool, str]:
    """Solve the MILP; keep greedy's outcome (and say why) unless the solution is as good.

    Variables: x_n ∈ {0, 1} per eligible note and, per thematic area a with eligible notes,
    y_a ≥ 0, the unearmarked money area a uses: T_a - y_a ≤ earmark_a and Σ y_a ≤ unearmarked,
    where T_a = Σ requested_n x_n over a's notes. Given x, such y exist exactly when earmark-first
    spending can pay for every selected note, so per-note flows need no variables of their own.
    Money is in units of the largest request, so every coefficient is at most 1.
    """
    eligible = [i for i in range(len(p)) if p.reason[i] is None]
    if not eligible:
        return greedy, False, "no eligible notes; nothing to optimise"
    m = len(eligible)
    scale = float(max(p.requested[i] for i in eligible))
    cents = np.array([p.requested[i] for i in eligible], dtype=np.float64)
    r = cents / scale
    areas = sorted({p.area[i] for i in eligible})
    y_col = {a: m + k for k, a in enumerate(areas)}
    half = 0.5 / scale  # integer sums: ≤ cap + half cent is ≤ cap, and likewise for floors

    rows: list[tuple[list[int], list[float], float, float]] = []
    members: dict[tuple[str, Any], list[int]] = defaultdict(list)
    for k, i in enumerate(eligible):
        members["country", p.country[i]].append(k)
        members["area", p.area[i]].append(k)
        members["region", p.region[i]].append(k)
    if limits.max_per_country is not None:
        for (kind, _), ks in members.items():
            if kind == "country" and len(ks) > limits.max_per_country:
                rows.append((ks, [1.0] * len(ks), -np.inf, float(limits.max_per_country)))
    for (kind, key), ks in members.items():
        cap = (limits.area_cap.get(key) if kind == "area"
               else limits.region_cap.get(key) if kind == "region" else None)
        if cap is not None and cents[ks].sum() > cap:
            rows.append((ks, r[ks].tolist(), -np.inf, cap / scale + half))
    floors = {a: min(floor, greedy.area_total.get(a, 0)) for a, floor in limits.floor.items()}
    for area, floor in floors.items():
        if floor > 0:
            ks = members["area", area]
            rows.append((ks, r[ks].tolist(), floor / scale - half, np.inf))
    for area in areas:
        ks = members["area", area]
        rows.append((ks + [y_col[area]], r[ks].tolist() + [-1.0], -np.inf,
                     limits.earmark.get(area, 0) / scale))
    rows.append(([y_col[a] for a in areas], [1.0] * len(areas), -np.inf,
                 limits.unearmarked / scale))

    data = [v for _, vs, _, _ in rows for v in vs]
    row_ix = [n for n, (cols, _, _, _) in enumerate(rows) for _ in cols]
    col_ix = [c for cols, _, _, _ in rows for c in cols]
    matrix = csr_array((data, (row_ix, col_ix)), shape=(len(rows), m + len(areas)))
    weights = np.array([p.score[i] for i in eligible]) * r
    options: dict = {"disp": False}
    if time_limit is not None:
        options["time_limit"] = float(time_limit)
    with _quiet_stdout():
        result = milp(
            c=np.concatenate([-weights, np.zeros(len(areas))]),
            integrality=np.concatenate([np.ones(m), np.zeros(len(areas))]),
            bounds=Bounds(np.zeros(m + len(areas)),
                          np.concatenate([np.ones(m), np.full(len(areas), np.inf)])),
            constraints=LinearConstraint(matrix, [lo for *_, lo, _ in rows],
                                         [hi for *_, hi in rows]),
            options=options,
        )
    if result.x is None:
        return greedy, True, f"kept greedy's allocation: the solver found no solution ({result.message})"

    ledger = _Ledger(p, limits)
    for k, i in enumerate(eligible):
        if result.x[k] > 0.5:
            reason = ledger.blocker(i)
            if reason is not None:
                return greedy, True, (f"kept greedy's allocation: after rounding, the solver's "
                                      f"choice breaks the {reason} check")
            ledger.fund(i)
    for area, floor in floors.items():
        if ledger.area_total[area] < floor:
            return greedy, True, (f"kept greedy's allocation: after rounding, the solver's "
                                  f"choice misses the floor of thematic area {area}")
    added = 0
    for i in eligible:
        if not ledger.funded[i] and ledger.blocker(i) is None:
            ledger.fund(i)
            added += 1
    status = [reason or "" for reason in p.reason]
    for i in eligible:
        # Every eligible note left unfunded has a blocker (the loop above funded the rest).
        status[i] = "funded" if ledger.funded[i] else ledger.blocker(i) or ""
    outcome = _Outcome.of(ledger, status)
    if outcome.objective(p) < greedy.objective(p):
        return greedy, True, ("kept greedy's allocation: the solver's best "
                              f"({result.message}) scored lower")
    message = "optimal" if result.status == 0 else f"solver stopped early: {result.message}"
    if added:
        message += f"; {added} note(s) the solver left out still fitted and were funded"
    return outcome, False, message


# --- a quiet solver -----------------------------------------------------------------------------

_quiet_lock = threading.Lock()
_quiet_count = 0
_saved_stdout: int | None = None


@functools.cache
def _c_library() -> ctypes.CDLL | None:
    try:
        return ctypes.CDLL(None)
    except (OSError, TypeError):  # no C library to load by that name (Windows)
        return None


def _flush_c_stdout() -> None:
    """Write out what C code left in its stdout buffer (a pipe or file is fully buffered)."""
    library = _c_library()
    if library is not None:
        library.fflush(None)


@contextmanager
def _quiet_stdout() -> Iterator[None]:
    """File descriptor 1 goes to the null device while any thread is inside the block.

    The descriptor belongs to the process, so one redirection is shared: the first thread in
    saves it, the last one out flushes C's buffer (so nothing printed inside leaks out later)
    and puts it back. What other threads write to standard output meanwhile is lost too; the
    app logs to standard error. Python's own ``sys.stdout`` is flushed first, so nothing
    printed before the solve is lost.
    """
    global _quiet_count, _saved_stdout
    with _quiet_lock:
        if _quiet_count == 0:
            if sys.stdout is not None:
                sys.stdout.flush()
            _flush_c_stdout()
            try:
                saved = os.dup(1)
            except OSError:  # no standard output at all: nothing to silence
                saved = None
            if saved is not None:
                null = os.open(os.devnull, os.O_WRONLY)
                os.dup2(null, 1)
                os.close(null)
            _saved_stdout = saved
        _quiet_count += 1
    try:
        yield
    finally:
        with _quiet_lock:
            _quiet_count -= 1
            if _quiet_count == 0:
                _flush_c_stdout()
                if _saved_stdout is not None:
                    os.dup2(_saved_stdout, 1)
                    os.close(_saved_stdout)
                    _saved_stdout = None


# --- output -------------------------------------------------------------------------------------

def _table(p: _Pipeline, outcome: _Outcome) -> pd.DataFrame:
    n = len(p)
    e = np.array(outcome.from_earmarked, dtype=np.int64)
    u = np.array(outcome.from_unearmarked, dtype=np.int64)
    table = pd.DataFrame({
        "note_id": p.frame["note_id"],
        "order": np.arange(1, n + 1, dtype=np.int64),
        "status": pd.Series(outcome.status, dtype=str, index=p.frame.index),
        "amount": e + u,
        "from_earmarked": e,
        "from_unearmarked": u,
    })
    for column in TABLE_COLUMNS[6:]:
        table[column] = p.frame[column]
    return table


def _differences(table: pd.DataFrame, greedy: pd.DataFrame) -> pd.DataFrame:
    changed = ((table["status"] != greedy["status"]) | (table["amount"] != greedy["amount"]))
    changed = changed.to_numpy(dtype=bool)
    return pd.DataFrame({
        "note_id": table["note_id"][changed],
        "greedy_status": greedy["status"][changed],
        "optimal_status": table["status"][changed],
        "greedy_amount": greedy["amount"][changed],
        "optimal_amount": table["amount"][changed],
    }).reset_index(drop=True)


def _totals(table: pd.DataFrame, by: str, keys: list) -> pd.DataFrame:
    funded = table["status"] == "funded"
    frame = pd.DataFrame({
        by: table[by],
        "n_notes": np.ones(len(table), dtype=np.int64),
        "requested": table["requested"],
        "n_funded": funded.to_numpy(dtype=np.int64),
        "allocated": table["amount"],
        "from_earmarked": table["from_earmarked"],
        "from_unearmarked": table["from_unearmarked"],
    })
    totals = frame.groupby(by, sort=True).sum()
    index = pd.Index(keys, name=by, dtype=np.int64 if by == "thematic_area" else str)
    return totals.reindex(index, fill_value=0).astype(np.int64)


def _caps(shares: Mapping, amounts: Mapping, keys: list) -> tuple[np.ndarray, pd.array]:
    share = np.array([shares.get(k, np.nan) for k in keys], dtype=np.float64)
    amount = pd.array([amounts.get(k) for k in keys], dtype="Int64")
    return share, amount


def _summary(table: pd.DataFrame, policy: AllocationPolicy, funds: Funds,
             limits: _Limits) -> AllocationSummary:
    areas = sorted(set(table["thematic_area"].tolist()) | set(funds.earmarked)
                   | set(policy.thematic_floor) | set(policy.thematic_cap))
    by_area = _totals(table, "thematic_area", areas)
    earmarked = np.array([funds.earmarked.get(a, 0) for a in areas], dtype=np.int64)
    by_area["earmarked"] = earmarked
    by_area["earmarked_left"] = earmarked - by_area["from_earmarked"].to_numpy()
    by_area["floor_share"] = np.array([policy.thematic_floor.get(a, 0.0) for a in areas],
                                      dtype=np.float64)
    by_area["floor_amount"] = np.array([limits.floor.get(a, 0) for a in areas], dtype=np.int64)
    by_area["cap_share"], by_area["cap_amount"] = _caps(policy.thematic_cap, limits.area_cap,
                                                        areas)

    regions = sorted(set(table["region"].tolist()) | set(policy.region_cap))
    by_region = _totals(table, "region", regions).drop(columns=["from_earmarked",
                                                                "from_unearmarked"])
    by_region["cap_share"], by_region["cap_amount"] = _caps(policy.region_cap,
                                                            limits.region_cap, regions)

    allocated = int(table["amount"].sum())
    from_earmarked = int(table["from_earmarked"].sum())
    from_unearmarked = int(table["from_unearmarked"].sum())
    return AllocationSummary(
        envelope=funds.total,
        allocated=allocated,
        from_earmarked=from_earmarked,
        from_unearmarked=from_unearmarked,
        left_unearmarked=funds.unearmarked - from_unearmarked,
        left_earmarked={int(a): int(left) for a, left
                        in zip(areas, by_area["earmarked_left"], strict=True)
                        if a in funds.earmarked},
        by_area=by_area,
        by_region=by_region,
    )
