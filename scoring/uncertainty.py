"""Uncertainty at the funding line: expected ranks, intervals, chances of funding, the grey zone.

The model (docs/scoring.md, "Uncertainty"): a note's reviews are a sample of the reviews it
could have drawn. One *redraw* of the round replaces each note's n reviews by n reviews picked
at random, with replacement, among its own (the bootstrap); the rubric, its weights and the
reviewers' calibration are kept as they were frozen and computed when the round closed. Each
redraw gives every note a score (the mean of its redrawn reviews, calibrated or not as the
round was) and a median, and so a rank by the round's own rule (``aggregate_round``: notes with
their quorum first, then score, median and note id, compared to ``COMPARE_DECIMALS`` decimals)
and, through the allocator's greedy rule, a set of funded notes.

``redraw_round`` makes the redraws: ``DRAWS`` of them with the fixed ``SEED``, or, for a round
small enough, every possible one with its exact weight (``exact=True``). ``rank_intervals``
gives each note its expected rank and its 50 % and 90 % intervals; ``funding_chances`` the
probability that each candidate of a cycle is funded, the grey zone and the notes that
calibration alone moves across the funding line.

How it runs fast (1,000 notes, 15 reviewers, 10,000 redraws in a few seconds): the notes with
the same number of reviews share one table of random picks, so their redrawn means are a
single matrix product and their medians a lookup; each note then reads that table from its own
starting row (a distinct random offset per note), which makes different notes' redraws
independent. Ranks and priority orders are one sort of packed integer keys per redraw, and the
greedy rule runs on every redraw at once, one priority position at a time.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from numbers import Integral

import numpy as np
import pandas as pd

from scoring.aggregate import COMPARE_DECIMALS, aggregate_round, calibrate_reviews
from scoring.allocate import Allocation, AllocationPolicy, Funds, allocate, share_amount
from scoring.rubric import Rubric

DRAWS = 10_000
SEED = 20_260_519
LEVELS = {50: (Fraction(1, 4), Fraction(3, 4)), 90: (Fraction(1, 20), Fraction(19, 20))}
SURE = Fraction(19, 20)  # funded in at least this share of the redraws: above the grey zone
CHANCE = Fraction(1, 20)  # funded in less than this share: below it
MAX_EXACT = 250_000  # joint redraws enumerated at most by exact=True
MAX_CELLS = 60_000_000  # redraws × notes kept in memory
ZONES = ("above", "grey", "below")
_SCALE = 10**COMPARE_DECIMALS
_SCORE_TOP = 100 * _SCALE  # every score is on 0-100
_INELIGIBLE = ("no_quorum", "below_min_score", "marker")
TRY_STATUSES = ("funded", "country_limit", "thematic_cap", "region_cap", "insufficient_funds")


# --- the redraws ----------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class RoundDraws:
    """Redraws of a closed round: row d of each (redraws × notes) matrix is one redraw.

    ``score`` is what a note is ranked on (its calibrated mean when the round calibrates, else
    its mean) and ``units`` the same in whole units of 10**-COMPARE_DECIMALS (what ranks and
    priorities compare), ``raw`` the uncalibrated mean (the same array when the round does not
    calibrate), both rounded to ``COMPARE_DECIMALS`` decimals; ``median_rank`` orders the
    redrawn medians (0 the lowest), the round's tie-break. ``weight`` is how many times each
    redraw counts: all 1 for random redraws, the exact multiplicity when every redraw is
    enumerated. ``point`` is ``aggregate_round``'s result on the reviews as they are.
    """

    note_ids: pd.Index
    n_reviews: np.ndarray
    quorum_met: np.ndarray
    score: np.ndarray
    units: np.ndarray
    raw: np.ndarray
    median_rank: np.ndarray
    n_medians: int
    weight: np.ndarray
    point: pd.DataFrame
    calibrated: bool
    exact: bool
    seed: int | None

    @property
    def draws(self) -> int:
        """The number of redraws (each counted once, whatever its weight)."""
        return len(self.weight)

    @property
    def total(self) -> int:
        """The sum of the weights: the number of redraws the figures are shares of."""
        return int(self.weight.sum())


def _check_whole(name: str, value: object, lowest: int) -> None:
    if not isinstance(value, Integral) or isinstance(value, bool) or value < lowest:
        raise ValueError(f"{name} must be a whole number of at least {lowest}, got {value!r}")


def redraw_round(reviews: pd.DataFrame, rubric: Rubric, *, quorum: int = 3,
                 calibrate: bool = False, min_reviews_for_calibration: int = 3,
                 draws: int = DRAWS, seed: int = SEED, exact: bool = False) -> RoundDraws:
    """Redraw a closed round's reviews (the bootstrap of the module docstring).

    ``reviews``, ``rubric``, ``quorum``, ``calibrate`` and ``min_reviews_for_calibration`` are
    what ``aggregate_round`` takes, and are checked as it checks them. ``draws`` redraws are
    made with the random generator seeded by ``seed`` (the same inputs and seed give the same
    redraws, bit for bit). With ``exact=True`` every possible redraw is enumerated instead, each
    with its exact weight (for rounds of at most ``MAX_EXACT`` joint redraws; ``draws`` and
    ``seed`` are then unused).
    """
    if not isinstance(exact, bool):
        raise ValueError(f"exact must be True or False, got {exact!r}")
    if not exact:
        _check_whole("draws", draws, 1)
        _check_whole("seed", seed, 0)
    point = aggregate_round(reviews, rubric, quorum=quorum, calibrate=calibrate,
                            min_reviews_for_calibration=min_reviews_for_calibration)
    scored = calibrate_reviews(reviews, rubric,
                               min_reviews_for_calibration=min_reviews_for_calibration)
    # Each note's reviews sorted by weighted score: the redrawn median is an order statistic.
    scored = scored.sort_values(["note_id", "weighted_score", "reviewer_id"], kind="stable")
    note_ids = pd.Index(sorted(point.index), name="note_id")
    code = note_ids.get_indexer(scored["note_id"])
    n_reviews = np.bincount(code, minlength=len(note_ids))
    start = np.concatenate([[0], np.cumsum(n_reviews)[:-1]])
    raw_values = scored["weighted_score"].to_numpy(dtype=np.float64)
    cal_values = (scored["calibrated_score"].to_numpy(dtype=np.float64) if calibrate
                  else raw_values)
    n_notes = len(note_ids)

    # The medians a redraw can give (a pair of order statistics of the note's own scores), and
    # the one the round gave, ranked together once.
    tables = [_median_candidates(raw_values[start[i]:start[i] + n_reviews[i]])
              for i in range(n_notes)]
    point_median = point.loc[note_ids, "median"].to_numpy(dtype=np.float64)
    every = np.concatenate([t[_possible(len(t))] for t in tables] + [point_median])
    distinct, inverse = np.unique(np.round(every, COMPARE_DECIMALS), return_inverse=True)
    inverse = inverse.reshape(-1)
    rank_tables, at = [], 0
    for t in tables:
        possible = _possible(len(t))
        ranks = np.zeros(t.shape, dtype=np.int64)  # a pair no redraw gives keeps rank 0
        ranks[possible] = inverse[at:at + int(possible.sum())]
        at += int(possible.sum())
        rank_tables.append(ranks)

    if exact:
        score_t, raw_t, median_t, weight = _enumerate(
            n_reviews, start, raw_values, cal_values, rank_tables)
        seed_used = None
    else:
        if draws * max(n_notes, 1) > MAX_CELLS:
            raise ValueError(f"{draws:,} redraws of {n_notes:,} notes are more than can be kept "
                             f"in memory ({MAX_CELLS:,} note scores); use fewer redraws")
        if n_notes > draws:
            raise ValueError(f"there must be at least as many redraws as notes ({n_notes:,} "
                             f"notes, {draws:,} redraws): each note starts reading the random "
                             "picks at a row of its own")
        score_t, raw_t, median_t = _bootstrap(n_reviews, start, raw_values, cal_values,
                                              rank_tables, draws, seed)
        weight = np.ones(draws, dtype=np.int64)
        seed_used = int(seed)

    raw = None if not calibrate else np.ascontiguousarray(np.round(raw_t, COMPARE_DECIMALS).T)
    np.multiply(score_t, _SCALE, out=score_t)  # score_t (and raw_t, the same array when the
    np.rint(score_t, out=score_t)              # round does not calibrate) is not read again
    units = np.empty(score_t.T.shape, dtype=np.int64)
    units[...] = score_t.T
    score = units / _SCALE
    return RoundDraws(
        note_ids=note_ids,
        n_reviews=n_reviews.astype(np.int64),
        quorum_met=point.loc[note_ids, "quorum_met"].to_numpy(dtype=bool),
        score=score,
        units=units,
        raw=score if raw is None else raw,
        median_rank=np.ascontiguousarray(median_t.T),
        n_medians=len(distinct),
        weight=weight,
        point=point,
        calibrated=bool(calibrate),
        exact=exact,
        seed=seed_used,
    )


def _median_candidates(values: np.ndarray) -> np.ndarray:
    """(n, n) table: the median of a redraw whose middle order statistics are the j-th and k-th
    smallest of ``values`` (the same one when n is odd)."""
    return (values[:, None] + values[None, :]) / 2


def _possible(n: int) -> np.ndarray:
    """The (j, k) pairs of middle order statistics a redraw of n reviews can have."""
    j, k = np.indices((n, n))
    return (j == k) if n % 2 else (j <= k)


def _middle(n: int) -> tuple[int, int]:
    return (n - 1) // 2, n // 2


def _bootstrap(n_reviews: np.ndarray, start: np.ndarray, raw: np.ndarray, cal: np.ndarray,
               rank_tables: list[np.ndarray], draws: int,
               seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(notes × redraws) means, raw means and median ranks; see the module docstring."""
    rng = np.random.default_rng(seed)
    n_notes = len(n_reviews)
    score_t = np.empty((n_notes, draws))
    raw_t = score_t if cal is raw else np.empty((n_notes, draws))
    median_t = np.empty((n_notes, draws), dtype=np.int64)
    row_offset = rng.permutation(draws)[:n_notes]  # distinct: no two notes share a row
    for n in np.unique(n_reviews):
        n = int(n)
        group = np.flatnonzero(n_reviews == n)
        picks = rng.integers(0, n, size=(draws, n))
        counts = np.bincount((np.arange(draws)[:, None] * n + picks).ravel(),
                             minlength=draws * n).reshape(draws, n).astype(np.float64)
        ordered = np.sort(picks, axis=1)
        lo, hi = (ordered[:, m] for m in _middle(n))
        positions = start[group][:, None] + np.arange(n)[None, :]  # (group, n)
        group_raw = (raw[positions] / n) @ counts.T
        group_cal = group_raw if cal is raw else (cal[positions] / n) @ counts.T
        group_median = np.stack([rank_tables[i] for i in group])[:, lo, hi]
        sources = [(group_cal, score_t), (group_median, median_t)]
        if cal is not raw:
            sources.append((group_raw, raw_t))
        for k, i in enumerate(group):
            shift = int(row_offset[i])
            for source, target in sources:
                target[i, :draws - shift] = source[k, shift:]
                target[i, draws - shift:] = source[k, :shift]
    return score_t, raw_t, median_t


def _enumerate(n_reviews: np.ndarray, start: np.ndarray, raw: np.ndarray, cal: np.ndarray,
               rank_tables: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                       np.ndarray]:
    """Every joint redraw with its multiplicity: each note's redraws are the multisets of its
    reviews (n picks among n, order ignored), weighted by the number of ordered picks giving
    them; a joint redraw is one multiset per note, its weight the product."""
    per_note = []
    total = 1
    for n in n_reviews.tolist():
        total *= math.comb(2 * n - 1, n)
        if total > MAX_EXACT:
            raise ValueError(f"this round has more than {MAX_EXACT:,} joint redraws to "
                             "enumerate; use random redraws (exact=False)")
        per_note.append(list(itertools.combinations_with_replacement(range(n), n)))
    if math.prod(n**n for n in n_reviews.tolist()) > 2**53:
        raise ValueError("the weights of this round's redraws are too large to count exactly; "
                         "use random redraws (exact=False)")
    n_notes = len(n_reviews)
    outcomes = [len(p) for p in per_note]
    choice = np.indices(outcomes).reshape(n_notes, -1) if n_notes else np.zeros((0, 1), int)
    joint = choice.shape[1]
    score_t = np.empty((n_notes, joint))
    raw_t = np.empty((n_notes, joint))
    median_t = np.empty((n_notes, joint), dtype=np.int64)
    weight = np.ones(joint, dtype=np.int64)
    for i, multisets in enumerate(per_note):
        n = int(n_reviews[i])
        picks = np.array(multisets, dtype=np.int64)  # (outcomes, n), each row sorted
        counts = np.stack([np.bincount(row, minlength=n) for row in picks])
        ways = np.array([math.factorial(n) // math.prod(math.factorial(int(c)) for c in row)
                         for row in counts], dtype=np.int64)
        mine = slice(start[i], start[i] + n)
        means_raw = counts @ raw[mine] / n
        means_cal = counts @ cal[mine] / n
        lo, hi = (picks[:, m] for m in _middle(n))
        medians = rank_tables[i][lo, hi]
        raw_t[i] = means_raw[choice[i]]
        score_t[i] = means_cal[choice[i]]
        median_t[i] = medians[choice[i]]
        weight *= ways[choice[i]]
    return score_t, raw_t, median_t, weight


# --- ranks ----------------------------------------------------------------------------------

def _bits(count: int) -> int:
    return max(1, (max(count, 1) - 1).bit_length())


def _rank_order(units: np.ndarray, median_rank: np.ndarray, n_medians: int,
                late: np.ndarray, *, pack: bool = True) -> np.ndarray:
    """(redraws × notes): the note at each rank, by the round's rule (``aggregate_round``).

    The keys (quorum, score, median, note) are packed into one integer per note when they fit
    in 63 bits, so that one sort orders a redraw; otherwise (or without ``pack``) a lexical
    sort of the four keys gives the same order, more slowly."""
    n_draws, n_notes = units.shape
    ids = np.arange(n_notes, dtype=np.int64)  # note ids are sorted: position is the tie-break
    m_bits, id_bits = _bits(n_medians), _bits(n_notes)
    s_bits = _SCORE_TOP.bit_length()
    if pack and 1 + s_bits + m_bits + id_bits <= 63:
        # Each field of the key is its top value less the redraw's, so the key is a constant
        # per note less the shifted units and median ranks (no field borrows from the next).
        base = ((late.astype(np.int64) << (s_bits + m_bits + id_bits))
                | (_SCORE_TOP << (m_bits + id_bits)) | ((n_medians - 1) << id_bits) | ids)
        key = np.left_shift(units, m_bits + id_bits)
        np.subtract(base, key, out=key)
        key -= np.left_shift(median_rank, id_bits)
        key.sort(axis=1)
        key &= (1 << id_bits) - 1
        return key
    s_comp = _SCORE_TOP - units
    m_comp = (n_medians - 1) - median_rank
    return np.lexsort((np.broadcast_to(ids, units.shape), m_comp, s_comp,
                       np.broadcast_to(late, units.shape)), axis=-1)


def _quantile_positions(cumulative: np.ndarray, total: int, q: Fraction) -> np.ndarray:
    """Per row, the first column whose cumulative weight reaches the share ``q`` of ``total``:
    the inverted-CDF quantile (the smallest value at least that share of redraws is at)."""
    reached = cumulative * q.denominator >= q.numerator * total
    return reached.argmax(axis=1)


def rank_intervals(draws: RoundDraws) -> pd.DataFrame:
    """Each note's rank in the redraws, in the round's rank order (index ``note_id``).

    Columns: ``rank`` and ``score`` (the round's, as ``aggregate_round`` gives them),
    ``expected_rank`` (the weighted mean rank over the redraws), ``rank_50_low``,
    ``rank_50_high``, ``rank_90_low``, ``rank_90_high`` (the 25 %-75 % and 5 %-95 % quantiles
    of the rank), ``score_50_low`` … ``score_90_high`` (the same of the score ranked on), and,
    when the round calibrates, ``raw_score`` and ``raw_90_low``, ``raw_90_high`` (the
    uncalibrated mean's 90 % interval, beside the calibrated one).
    """
    if not isinstance(draws, RoundDraws):
        raise TypeError(f"draws must be a RoundDraws, got {type(draws).__name__}")
    n_notes = len(draws.note_ids)
    order = _rank_order(draws.units, draws.median_rank, draws.n_medians, ~draws.quorum_met)
    position = np.broadcast_to(np.arange(n_notes, dtype=np.int64), order.shape)
    cells = (order * n_notes + position).ravel()
    if (draws.weight == 1).all():
        counts = np.bincount(cells, minlength=n_notes * n_notes)
    else:
        counts = np.rint(np.bincount(cells, weights=np.repeat(draws.weight, n_notes)
                                     .astype(np.float64), minlength=n_notes * n_notes))
    counts = counts.astype(np.int64).reshape(n_notes, n_notes)  # note × rank
    total = draws.total
    cumulative = np.cumsum(counts, axis=1)
    ranks = np.arange(1, n_notes + 1, dtype=np.int64)
    columns: dict[str, np.ndarray] = {
        "expected_rank": (counts @ ranks) / total,
    }
    for level, (low, high) in LEVELS.items():
        columns[f"rank_{level}_low"] = ranks[_quantile_positions(cumulative, total, low)]
        columns[f"rank_{level}_high"] = ranks[_quantile_positions(cumulative, total, high)]
    columns.update(_score_quantiles("score", draws.score, draws.weight, LEVELS))
    if draws.calibrated:
        columns.update(_score_quantiles("raw", draws.raw, draws.weight, {90: LEVELS[90]}))
    frame = pd.DataFrame(columns, index=draws.note_ids)
    point = draws.point
    result = pd.DataFrame({"rank": point["rank"], "score": point["score"]}, index=point.index)
    if draws.calibrated:
        result["raw_score"] = point["mean"]
    return result.join(frame.loc[point.index])


def _score_quantiles(prefix: str, values: np.ndarray, weight: np.ndarray,
                     levels: Mapping[int, tuple[Fraction, Fraction]]) -> dict[str, np.ndarray]:
    n_draws, n_notes = values.shape
    total = int(weight.sum())
    out: dict[str, np.ndarray] = {}
    if (weight == 1).all():
        wanted = {q: (q.numerator * n_draws + q.denominator - 1) // q.denominator - 1
                  for pair in levels.values() for q in pair}
        per_note = np.ascontiguousarray(values.T)
        per_note.partition(sorted(set(wanted.values())), axis=1)
        for level, (low, high) in levels.items():
            out[f"{prefix}_{level}_low"] = per_note[:, wanted[low]]
            out[f"{prefix}_{level}_high"] = per_note[:, wanted[high]]
        return out
    order = np.argsort(values, axis=0, kind="stable")
    cumulative = np.cumsum(weight[order], axis=0).T  # note × sorted redraw
    sorted_values = np.take_along_axis(values, order, axis=0).T
    for level, (low, high) in levels.items():
        for name, q in (("low", low), ("high", high)):
            at = _quantile_positions(cumulative, total, q)
            out[f"{prefix}_{level}_{name}"] = sorted_values[np.arange(n_notes), at]
    return out


# --- the greedy rule on many redraws at once --------------------------------------------------

@dataclass(frozen=True, eq=False)
class _Rules:
    """A cycle's candidates and the policy's limits in cents, as arrays the batched greedy rule
    reads. Candidate j is the note the allocator puts j-th when every priority is equal (its
    tie-break: gender marker, submission time, note id), so that a priority order is a sort of
    keys whose last bits are j. ``position`` maps candidate j to its row of the point
    allocation's table (the priority order of the round's scores)."""

    table: pd.DataFrame  # the point allocation's table
    position: np.ndarray
    country: np.ndarray
    region: np.ndarray
    area: np.ndarray
    area_ids: list[int]
    requested: np.ndarray
    champion: np.ndarray
    can_be_eligible: np.ndarray  # quorum and marker (what no redraw changes)
    area_cap: np.ndarray
    region_cap: np.ndarray
    max_per_country: int | None
    earmark: np.ndarray
    unearmarked: int
    floors: list[tuple[int, int]]  # (area code, cents), by area id
    min_score: float
    bonus: int  # champion bonus in units of 10**-COMPARE_DECIMALS points

    @classmethod
    def of(cls, notes: pd.DataFrame, funds: Funds, policy: AllocationPolicy,
           point: Allocation) -> _Rules:
        # The allocator's own tie-break: its order when every note has the same priority.
        neutral = notes.assign(score=0.0, champion=False, quorum_met=True)
        tied = allocate(neutral, Funds(0), AllocationPolicy(require_quorum=False,
                                                            max_per_country=None))
        table = point.table
        position = pd.Index(table["note_id"]).get_indexer(tied.table["note_id"])
        candidates = table.iloc[position]
        by_id = notes.set_index("note_id").loc[candidates["note_id"]]
        country, _ = pd.factorize(candidates["country"])
        region, regions = pd.factorize(candidates["region"])
        area, area_ids = pd.factorize(candidates["thematic_area"])
        area_ids = [int(a) for a in area_ids]
        quorum = by_id["quorum_met"].to_numpy(dtype=bool)
        marker = by_id["gender_marker"].to_numpy(dtype=np.int64)
        can = quorum | (not policy.require_quorum)
        if policy.min_gender_marker is not None:
            can = can & (marker >= policy.min_gender_marker)
        envelope = funds.total
        none = np.iinfo(np.int64).max // 4

        def cap(shares: Mapping, keys: list) -> np.ndarray:
            return np.array([share_amount(shares[k], envelope) if k in shares else none
                             for k in keys], dtype=np.int64)

        floors = sorted((a, share_amount(s, envelope)) for a, s in policy.thematic_floor.items())
        return cls(
            table=table,
            position=position.astype(np.int64),
            country=country.astype(np.int64),
            region=region.astype(np.int64),
            area=area.astype(np.int64),
            area_ids=area_ids,
            requested=candidates["requested"].to_numpy(dtype=np.int64),
            champion=by_id["champion"].to_numpy(dtype=bool),
            can_be_eligible=np.asarray(can, dtype=bool),
            area_cap=cap(policy.thematic_cap, area_ids),
            region_cap=cap(policy.region_cap, list(regions)),
            max_per_country=policy.max_per_country,
            earmark=np.array([funds.earmarked.get(a, 0) for a in area_ids], dtype=np.int64),
            unearmarked=funds.unearmarked,
            floors=[(area_ids.index(a), cents) for a, cents in floors
                    if cents > 0 and a in area_ids],
            min_score=policy.min_score,
            bonus=int(round(policy.champion_bonus * _SCALE)),
        )

    def __len__(self) -> int:
        return len(self.requested)

    def priority_orders(self, units: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per redraw (a row of ``units``, the candidates' scores in whole units), the eligible
        candidates in priority order (score plus the champion bonus, then the tie-break), the
        others after them, with the number of eligible ones: first over every candidate, then
        over each floored area's (``floors``' order)."""
        n = len(self)
        eligible = self.can_be_eligible & (units >= round(self.min_score * _SCALE))
        if not math.isclose(self.min_score * _SCALE, round(self.min_score * _SCALE)):
            eligible = self.can_be_eligible & (units / _SCALE >= self.min_score)
        bonus = self.bonus * self.champion
        top = int(units.max(initial=0)) + int(bonus.max(initial=0))
        id_bits = _bits(n)
        ids = np.arange(n, dtype=np.int64)
        if (top + 2).bit_length() + id_bits > 62:
            raise ValueError("scores and champion bonus too large to order")
        # The key's high bits: how far below the top the priority is; the ineligible get one
        # below every eligible priority. Its low bits: the candidate, so that ties keep the
        # tie-break and the sorted keys name the candidates.
        key = np.left_shift(units, id_bits)
        np.subtract(((top - bonus) << id_bits) | ids, key, out=key)
        np.copyto(key, ((top + 1) << id_bits) | ids, where=~eligible)
        mask = (1 << id_bits) - 1
        order = np.sort(key, axis=1)
        order &= mask
        orders = [(order, eligible.sum(axis=1))]
        for area, _ in self.floors:
            mine = np.flatnonzero(self.area == area)
            orders.append((np.sort(key[:, mine], axis=1) & mask,
                           eligible[:, mine].sum(axis=1)))
        return orders

    def explicit_orders(self, tried: list[int]) -> list[tuple[np.ndarray, np.ndarray]]:
        """``priority_orders`` for one given order of eligible candidates."""
        chosen = set(tried)
        order = np.array(tried + [j for j in range(len(self)) if j not in chosen],
                         dtype=np.int64)
        orders = [(order[None, :], np.array([len(tried)]))]
        for area, _ in self.floors:
            mine = [j for j in tried if self.area[j] == area]
            rest = [j for j in range(len(self)) if self.area[j] == area and j not in chosen]
            orders.append((np.array([mine + rest], dtype=np.int64), np.array([len(mine)])))
        return orders


def _greedy(rules: _Rules, orders: list[tuple[np.ndarray, np.ndarray]], *,
            detail: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The allocator's greedy rule (docs/allocation.md) on every redraw at once.

    ``orders`` is what ``priority_orders`` returns: redraw d tries, for each thematic area with
    a floor (by area id), that area's eligible candidates in priority order until the floor is
    reached; then every eligible candidate not yet funded, in priority order. A try checks the
    country limit, the area's cap, the region's cap and the money (the area's earmark and the
    unearmarked money), in that order, and funds the note whole, from its earmark first.
    Returns who is funded (redraws × candidates, bool) and, with ``detail``, the status of each
    candidate's last try (an index in ``TRY_STATUSES``, -1 when never tried) and the cents
    each funded candidate takes from its earmark (empty arrays without ``detail``).
    """
    order, n_eligible = orders[0]
    n_draws, n_notes = order.shape
    rows = np.arange(n_draws)
    country_count = np.zeros((n_draws, int(rules.country.max(initial=-1)) + 1), dtype=np.int64)
    area_total = np.zeros((n_draws, len(rules.area_ids)), dtype=np.int64)
    region_total = np.zeros((n_draws, len(rules.region_cap)), dtype=np.int64)
    earmark_left = np.tile(rules.earmark, (n_draws, 1))
    unearmarked_left = np.full(n_draws, rules.unearmarked, dtype=np.int64)
    funded = np.zeros((n_draws, n_notes), dtype=bool)
    kept = (n_draws, n_notes) if detail else (0, 0)
    status = np.full(kept, -1, dtype=np.int8)
    from_earmarked = np.zeros(kept, dtype=np.int64)
    limit = rules.max_per_country

    def attempt(r: np.ndarray, i: np.ndarray) -> None:
        c, a, g, cents = rules.country[i], rules.area[i], rules.region[i], rules.requested[i]
        code = np.zeros(len(r), dtype=np.int8)
        if limit is not None:
            code[country_count[r, c] >= limit] = 1
        code[(code == 0) & (area_total[r, a] + cents > rules.area_cap[a])] = 2
        code[(code == 0) & (region_total[r, g] + cents > rules.region_cap[g])] = 3
        own = earmark_left[r, a]
        code[(code == 0) & (own + unearmarked_left[r] < cents)] = 4
        ok = code == 0
        fr, fi, fa, fc, fg, fcents = r[ok], i[ok], a[ok], c[ok], g[ok], cents[ok]
        taken = np.minimum(own[ok], fcents)
        earmark_left[fr, fa] -= taken
        unearmarked_left[fr] -= fcents - taken
        country_count[fr, fc] += 1
        area_total[fr, fa] += fcents
        region_total[fr, fg] += fcents
        funded[fr, fi] = True
        if detail:
            status[r, i] = code
            from_earmarked[fr, fi] = taken

    for (area, floor), (area_order, area_eligible) in zip(rules.floors, orders[1:],
                                                          strict=True):
        for j in range(int(area_eligible.max(initial=0))):
            active = (j < area_eligible) & (area_total[:, area] < floor)
            if not active.any():
                break
            r = rows[active]
            attempt(r, area_order[r, j])

    cheapest = int(rules.requested.min(initial=0))
    for k in range(int(n_eligible.max(initial=0))):
        if not detail and k % 16 == 0:
            money = unearmarked_left + earmark_left.max(axis=1, initial=0)
            if money.max(initial=0) < cheapest:
                break  # nothing left fits anywhere: the remaining tries all fail on money
        note = order[:, k]
        trying = (k < n_eligible) & ~funded[rows, note]
        r = rows[trying]
        attempt(r, note[r])
    return funded, status, from_earmarked


# --- chances of funding ---------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class FundingChances:
    """The result of :func:`funding_chances`.

    ``table`` has one row per candidate, in the allocator's priority order of the round's
    scores: ``note_id``, ``status`` (the allocator's on those scores), ``p_funded`` (the share
    of redraws in which the note is funded), ``zone`` (``above``: funded in at least 95 % of the
    redraws; ``below``: in less than 5 %; ``grey``: in between, the notes the scores cannot
    tell apart at the funding line) and, when the round calibrates, ``funded_uncalibrated``
    (the allocator's verdict on the uncalibrated means) and ``moved_by_calibration`` (that
    verdict differs from ``status``'s). ``mean_funded`` is the mean number of notes funded per
    redraw.
    """

    table: pd.DataFrame
    mean_funded: float
    draws: int
    total: int
    exact: bool
    calibrated: bool
    point: Allocation

    @property
    def grey_zone(self) -> list:
        return self.table.loc[self.table["zone"] == "grey", "note_id"].tolist()

    @property
    def above(self) -> list:
        return self.table.loc[self.table["zone"] == "above", "note_id"].tolist()

    @property
    def moved_by_calibration(self) -> list:
        if not self.calibrated:
            return []
        return self.table.loc[self.table["moved_by_calibration"], "note_id"].tolist()

    def _redraws(self) -> str:
        return (f"every one of the {self.total:,} possible redraws of the reviews" if self.exact
                else f"{self.draws:,} redraws of the reviews")

    def sentence(self, labels: Mapping | None = None) -> str:
        """The grey zone in plain words, naming the notes by ``labels`` (note id → reference)
        when given."""
        grey = [_label(n, labels) for n in self.grey_zone]
        if not grey:
            return ("No note is at the funding line by chance: each is funded in at least 95 % "
                    f"of {self._redraws()}, or in fewer than 5 %.")
        these = "This note cannot" if len(grey) == 1 else f"These {len(grey)} notes cannot"
        return (f"{these} be told apart by their scores at the funding line: "
                f"{', '.join(grey)}. Each is funded in some and not in others of "
                f"{self._redraws()} (between 5 % and 95 % of them).")

    def calibration_sentence(self, labels: Mapping | None = None) -> str:
        """The notes calibration alone moves across the funding line, in plain words."""
        if not self.calibrated:
            return "The round does not calibrate reviewers' scores."
        moved = self.table[self.table["moved_by_calibration"]]
        if moved.empty:
            return "Calibration moves no note across the funding line."
        parts = [f"{_label(row.note_id, labels)} ("
                 f"{'funded only with' if row.status == 'funded' else 'funded only without'}"
                 " calibration)" for row in moved.itertuples(index=False)]
        return "Calibration alone moves these notes across the funding line: " + \
            ", ".join(parts) + "."


def _label(note_id: object, labels: Mapping | None) -> str:
    return str(labels.get(note_id, note_id)) if labels is not None else str(note_id)


def funding_chances(draws: RoundDraws, notes: pd.DataFrame, funds: Funds,
                    policy: AllocationPolicy) -> FundingChances:
    """The probability that each candidate is funded under the cycle's ``funds`` and
    ``policy``, by the allocator's greedy rule on every redraw of ``draws``.

    ``notes`` is ``scoring.allocate.allocate``'s input, checked as it checks it; each note must
    have redraws (reviews in ``draws``) and its ``score`` must be the round's (that of
    ``aggregate_round`` on the same reviews, to six decimals). In each redraw a note's score is
    its redrawn score: it is eligible when it reaches the policy's minimum, and its priority is
    that score plus the champion bonus, compared to ``COMPARE_DECIMALS`` decimals.
    """
    if not isinstance(draws, RoundDraws):
        raise TypeError(f"draws must be a RoundDraws, got {type(draws).__name__}")
    point = allocate(notes, funds, policy)
    rules = _Rules.of(notes, funds, policy, point)
    ids = rules.table["note_id"]
    where = draws.note_ids.get_indexer(ids)
    if (where < 0).any():
        missing = ", ".join(str(n) for n in ids[where < 0][:10])
        raise ValueError(f"notes without reviews in the redrawn round: {missing}; every "
                         "candidate needs the reviews its score comes from")
    given = rules.table["score"].to_numpy(dtype=np.float64)
    point_scores = draws.point.loc[ids, "score"].to_numpy(dtype=np.float64)
    off = ~np.isnan(given) & (np.abs(given - point_scores) > 1e-6)
    if off.any():
        listed = ", ".join(f"{n} ({g:g} in the cycle, {p:g} from its reviews)" for n, g, p
                           in zip(ids[off][:10], given[off][:10], point_scores[off][:10],
                                  strict=True))
        raise ValueError(f"notes whose score is not the one their reviews give: {listed}")

    units = draws.units[:, where[rules.position]]
    funded, _, _ = _greedy(rules, rules.priority_orders(units))
    weight = draws.weight
    funded_weight = np.empty(len(rules), dtype=np.int64)
    funded_weight[rules.position] = weight @ funded.astype(np.int64)
    total = draws.total
    zone = np.where(funded_weight * SURE.denominator >= SURE.numerator * total, "above",
                    np.where(funded_weight * CHANCE.denominator < CHANCE.numerator * total,
                             "below", "grey"))
    table = pd.DataFrame({
        "note_id": ids.to_numpy(),
        "status": rules.table["status"].to_numpy(),
        "p_funded": funded_weight / total,
        "zone": zone,
    })
    if draws.calibrated:
        raw = notes.copy()
        means = draws.point.loc[notes["note_id"], "mean"].to_numpy(dtype=np.float64)
        raw["score"] = np.where(notes["score"].isna().to_numpy(), np.nan, means)
        verdict = allocate(raw, funds, policy).table.set_index("note_id")["status"]
        table["funded_uncalibrated"] = (verdict.loc[ids] == "funded").to_numpy()
        table["moved_by_calibration"] = (table["funded_uncalibrated"]
                                         != (table["status"] == "funded"))
    return FundingChances(
        table=table,
        mean_funded=float(weight @ funded.sum(axis=1)) / total,
        draws=draws.draws,
        total=total,
        exact=draws.exact,
        calibrated=draws.calibrated,
        point=point,
    )
