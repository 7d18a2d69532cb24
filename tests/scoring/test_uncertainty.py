"""Uncertainty at the funding line: hand-worked tiny rounds whose every redraw is enumerated,
the enumeration checked against aggregate_round and allocate run on each redraw, properties,
and determinism with the seed."""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring import Criterion, Rubric, aggregate_round
from scoring.allocate import NOTE_COLUMNS, AllocationPolicy, Funds, allocate
from scoring.uncertainty import _rank_order, funding_chances, rank_intervals, redraw_round

COLUMNS = ["note_id", "reviewer_id", "criterion", "value"]
# One criterion on 0 to 10: a review's weighted score is ten times its value.
TENTHS = Rubric([Criterion("q", "Quality", 1, 0, 10)])


def reviews(rows: list[tuple]) -> pd.DataFrame:
    """(note, reviewer, value) rows on the one-criterion rubric."""
    return pd.DataFrame([(n, r, "q", v) for n, r, v in rows], columns=COLUMNS)


# Note 1: 70 and 30; note 2: 50 and 60; note 3: 40, 40 and 90. With quorum 2, the round ranks
# note 3 (mean 56.67) first, note 2 (55) second, note 1 (50) third.
TINY = reviews([(1, "A", 7), (1, "B", 3), (2, "A", 5), (2, "B", 6),
                (3, "A", 4), (3, "B", 4), (3, "C", 9)])


def cycle(ids: list, scores: list[float], requested: int = 100) -> pd.DataFrame:
    """Candidates in different countries, asking the same, submitted in note id order."""
    rows = [(n, f"C{n}", "Africa", 1, requested, s, True, False, 2, f"2026-01-{k + 1:02d}")
            for k, (n, s) in enumerate(zip(ids, scores, strict=True))]
    frame = pd.DataFrame(rows, columns=list(NOTE_COLUMNS))
    frame["submitted_at"] = pd.to_datetime(frame["submitted_at"])
    return frame


def round_cycle(draws, requested: int = 100) -> pd.DataFrame:
    point = draws.point
    ids = sorted(point.index)
    return cycle(ids, [float(point.loc[n, "score"]) for n in ids], requested)


# --- the hand-worked round ------------------------------------------------------------------

def test_tiny_round_every_redraw_enumerated():
    """Note 1's two reviews redraw as {70, 70}, {70, 30} (twice as likely) or {30, 30}: means
    70, 50, 30 with chances 1/4, 1/2, 1/4; note 2's as 50, 55, 60 likewise. Note 3's three
    reviews draw 90 k times out of 3 (k binomial with 1/3): means 40, 56.67, 73.33, 90 with
    chances 8, 12, 6 and 1 in 27.

    Note 3's expected rank is 1 + P(note 1 beats it) + P(note 2 beats it) = 1 + 9/27 + 11/27
    = 47/27; note 1's 1 + 5/8 + 2/3 = 55/24 (at 50 each, notes 1 and 2 tie on score and
    median and the lower id, note 1, goes first); note 2's 1 + 3/8 + 16/27 = 425/216. Note 3
    is first with chance 13.75/27, second with 6.5/27 and third with 6.75/27, so its 50 %
    interval is 1 to 2 (the chance of rank 2 or better is exactly 3/4) and its 90 % one 1 to 3.
    """
    draws = redraw_round(TINY, TENTHS, quorum=2, exact=True)
    assert draws.exact and draws.seed is None
    assert draws.draws == 3 * 3 * 10 and draws.total == 4 * 4 * 27
    result = rank_intervals(draws)
    assert result.index.tolist() == [3, 2, 1]
    assert result["rank"].tolist() == [1, 2, 3]
    for note, expected in [(3, Fraction(47, 27)), (2, Fraction(425, 216)),
                           (1, Fraction(55, 24))]:
        assert result.loc[note, "expected_rank"] == pytest.approx(float(expected), abs=1e-12)
    assert result["expected_rank"].sum() == pytest.approx(6.0, abs=1e-12)
    assert result.loc[3, ["rank_50_low", "rank_50_high", "rank_90_low", "rank_90_high"]] \
        .tolist() == [1, 2, 1, 3]
    # Note 3's score: 40 already has 8/27 of the redraws (past 5 % and 25 %); 56.67 brings
    # them to 20/27, just short of 3/4; 73.33 to 26/27, past 95 %.
    assert result.loc[3, ["score_50_low", "score_50_high", "score_90_low", "score_90_high"]] \
        .tolist() == pytest.approx([40, 220 / 3, 40, 220 / 3])
    # Note 1 is at 30 in exactly a quarter of the redraws: a quantile is the smallest score
    # at least that share of redraws reach, so its 50 % interval starts at 30 and ends at 50
    # (exactly three quarters).
    assert result.loc[1, ["score_90_low", "score_50_low", "score_50_high", "score_90_high"]] \
        .tolist() == [30, 30, 50, 70]


def test_tiny_round_chances_of_funding():
    """Money for one note of three: a note is funded when it beats both others (the allocator's
    tie-break at 50 is the earlier submission, note 1's). Note 1: 1/4 × 20/27 (at 70) + 1/2 ×
    1/4 × 8/27 (at 50, note 2 at 50 and note 3 at 40) = 6/27; note 3: 13.75/27; note 2 the
    rest. Every note is funded in some redraws and not in others: all three are grey."""
    draws = redraw_round(TINY, TENTHS, quorum=2, exact=True)
    chances = funding_chances(draws, round_cycle(draws), Funds(100),
                              AllocationPolicy(max_per_country=None))
    table = chances.table.set_index("note_id")
    assert table.index.tolist() == [3, 2, 1]  # the allocator's priority order
    assert table.loc[3, "status"] == "funded" and table.loc[1, "status"] == "insufficient_funds"
    assert table.loc[1, "p_funded"] == pytest.approx(6 / 27, abs=1e-12)
    assert table.loc[3, "p_funded"] == pytest.approx(13.75 / 27, abs=1e-12)
    assert table.loc[2, "p_funded"] == pytest.approx(1 - 6 / 27 - 13.75 / 27, abs=1e-12)
    assert chances.mean_funded == pytest.approx(1.0, abs=1e-12)
    assert chances.grey_zone == [3, 2, 1] and chances.above == []
    assert chances.sentence({1: "MIG-2026-0001", 2: "MIG-2026-0002", 3: "MIG-2026-0003"}) == (
        "These 3 notes cannot be told apart by their scores at the funding line: "
        "MIG-2026-0003, MIG-2026-0002, MIG-2026-0001. Each is funded in some and not in "
        "others of every one of the 432 possible redraws of the reviews (between 5 % and "
        "95 % of them).")


def test_money_for_two_leaves_only_a_surer_note_out_of_the_grey_zone():
    # With money for all three, every note is funded in every redraw: nothing is grey.
    draws = redraw_round(TINY, TENTHS, quorum=2, exact=True)
    chances = funding_chances(draws, round_cycle(draws), Funds(300),
                              AllocationPolicy(max_per_country=None))
    assert chances.table["p_funded"].tolist() == [1.0, 1.0, 1.0]
    assert chances.above == [3, 2, 1] and chances.grey_zone == []
    assert chances.sentence().startswith("No note is at the funding line by chance")


def test_each_redraw_applies_the_champion_bonus_and_the_minimum_score():
    # One review each: note 1 (a champion country) at 50, note 2 at 60; a bonus of 15 puts
    # note 1 first in every redraw.
    draws = redraw_round(reviews([(1, "A", 5), (2, "A", 6)]), TENTHS, quorum=1, exact=True)
    notes = round_cycle(draws)
    notes["champion"] = [True, False]
    chances = funding_chances(draws, notes, Funds(100),
                              AllocationPolicy(champion_bonus=15, max_per_country=None))
    assert chances.table["p_funded"].tolist() == [1.0, 0.0]
    assert chances.above == [1] and chances.grey_zone == []
    # Reviews 30 and 70 (mean 50) redraw as 30 in a quarter of the redraws: below a minimum
    # of 45 there, so the note is funded in three quarters of them with money for all.
    draws = redraw_round(reviews([(1, "A", 3), (1, "B", 7)]), TENTHS, quorum=2, exact=True)
    chances = funding_chances(draws, round_cycle(draws), Funds(1000),
                              AllocationPolicy(min_score=45))
    assert chances.table["status"].tolist() == ["funded"]
    assert chances.table["p_funded"].tolist() == [0.75]
    assert chances.grey_zone == [1]


def brute_force(rows: list[tuple], quorum: int, funds: Funds, policy: AllocationPolicy):
    """Every ordered redraw of every note's reviews, each through aggregate_round and
    allocate: the exact rank counts and funding counts."""
    notes = sorted({n for n, _, _ in rows})
    own = {n: [v for m, _, v in rows if m == n] for n in notes}
    per_note = [list(itertools.product(own[n], repeat=len(own[n]))) for n in notes]
    ranks = {n: [] for n in notes}
    funded = dict.fromkeys(notes, 0)
    total = 0
    for redraw in itertools.product(*per_note):
        frame = reviews([(n, f"r{j}", v) for n, values in zip(notes, redraw, strict=True)
                         for j, v in enumerate(values)])
        result = aggregate_round(frame, TENTHS, quorum=quorum)
        for n in notes:
            ranks[n].append(int(result.loc[n, "rank"]))
        scores = [float(np.round(result.loc[n, "score"], 9)) for n in notes]
        candidates = cycle(notes, scores)
        candidates["quorum_met"] = result.loc[notes, "quorum_met"].to_numpy()
        table = allocate(candidates, funds, policy).table
        for n in table.loc[table["status"] == "funded", "note_id"]:
            funded[n] += 1
        total += 1
    return ranks, funded, total


@pytest.mark.parametrize("rows", [
    [(1, "A", 7), (1, "B", 3), (2, "A", 5), (2, "B", 6), (3, "A", 4), (3, "B", 9)],
    [(1, "A", 6), (1, "B", 6), (2, "A", 2), (2, "B", 9), (3, "A", 6), (4, "A", 5),
     (4, "B", 7)],
])
def test_enumeration_matches_aggregate_round_and_allocate_on_every_redraw(rows):
    """The enumerated redraws weigh each multiset by the ordered redraws giving it; the
    figures must be those of running aggregate_round and allocate on every ordered redraw."""
    funds, policy = Funds(200), AllocationPolicy(max_per_country=None)
    ranks, funded, total = brute_force(rows, 2, funds, policy)
    draws = redraw_round(reviews(rows), TENTHS, quorum=2, exact=True)
    result = rank_intervals(draws)
    assert draws.total == total
    for note, seen in ranks.items():
        assert result.loc[note, "expected_rank"] == pytest.approx(np.mean(seen), abs=1e-12)
        seen = np.sort(seen)
        for level, (low, high) in [(50, (1, 3)), (90, (1, 19))]:
            denominator = 4 if level == 50 else 20
            assert result.loc[note, f"rank_{level}_low"] == \
                seen[-(-low * total // denominator) - 1]
            assert result.loc[note, f"rank_{level}_high"] == \
                seen[-(-high * total // denominator) - 1]
    notes = round_cycle(draws)
    notes["quorum_met"] = draws.point.loc[notes["note_id"], "quorum_met"].to_numpy()
    chances = funding_chances(draws, notes, funds, policy).table.set_index("note_id")
    for note, count in funded.items():
        if bool(draws.point.loc[note, "quorum_met"]):
            assert chances.loc[note, "p_funded"] == pytest.approx(count / total, abs=1e-12)
        else:
            assert chances.loc[note, "p_funded"] == 0


def test_random_redraws_approach_the_exact_figures():
    exact = rank_intervals(redraw_round(TINY, TENTHS, quorum=2, exact=True))
    random = rank_intervals(redraw_round(TINY, TENTHS, quorum=2))
    # 10,000 redraws: a rank's standard error is below 0.01 here.
    assert (random["expected_rank"] - exact["expected_rank"]).abs().max() < 0.04
    intervals = ["rank_50_low", "rank_50_high", "rank_90_low", "rank_90_high"]
    assert (random.loc[[2, 1], intervals] == exact.loc[[2, 1], intervals]).all().all()


# --- determinism and checks ----------------------------------------------------------------

def test_the_same_seed_gives_the_same_redraws_and_another_seed_others():
    first = redraw_round(TINY, TENTHS, quorum=2, draws=500, seed=7)
    again = redraw_round(TINY.sample(frac=1, random_state=3), TENTHS, quorum=2, draws=500,
                         seed=7)
    other = redraw_round(TINY, TENTHS, quorum=2, draws=500, seed=8)
    assert first.seed == 7 and not first.exact and first.total == 500
    np.testing.assert_array_equal(first.score, again.score)
    np.testing.assert_array_equal(first.median_rank, again.median_rank)
    assert not np.array_equal(first.score, other.score)
    pd.testing.assert_frame_equal(rank_intervals(first), rank_intervals(again))


def test_a_note_with_one_review_has_no_spread_of_its_own():
    draws = redraw_round(reviews([(1, "A", 5), (2, "A", 2), (2, "B", 8)]), TENTHS, quorum=1,
                         exact=True)
    result = rank_intervals(draws)
    assert result.loc[1, ["score_90_low", "score_90_high"]].tolist() == [50, 50]
    assert result.loc[2, ["score_90_low", "score_90_high"]].tolist() == [20, 80]


def refusal(call, *args, **kwargs) -> str:
    """The whole sentence a call is refused with."""
    with pytest.raises(ValueError) as raised:
        call(*args, **kwargs)
    return str(raised.value)


def test_bad_arguments_are_refused_with_a_sentence():
    assert refusal(redraw_round, TINY, TENTHS, draws=0) == \
        "draws must be a whole number of at least 1, got 0"
    assert refusal(redraw_round, TINY, TENTHS, seed=-1) == \
        "seed must be a whole number of at least 0, got -1"
    assert refusal(redraw_round, TINY, TENTHS, exact="yes") == \
        "exact must be True or False, got 'yes'"
    assert refusal(redraw_round, TINY, TENTHS, draws=2) == (
        "there must be at least as many redraws as notes (3 notes, 2 redraws): each note "
        "starts reading the random picks at a row of its own")
    assert refusal(redraw_round, TINY, TENTHS, draws=30_000_000) == (
        "30,000,000 redraws of 3 notes are more than can be kept in memory (60,000,000 note "
        "scores); use fewer redraws")
    assert "rows whose value is outside its criterion's scale" in \
        refusal(redraw_round, reviews([(1, "A", 11)]), TENTHS)
    many = reviews([(n, r, 5) for n in range(6) for r in "ABCD"])
    assert refusal(redraw_round, many, TENTHS, exact=True) == (
        "this round has more than 250,000 joint redraws to enumerate; use random redraws "
        "(exact=False)")
    with pytest.raises(TypeError, match="draws must be a RoundDraws"):
        rank_intervals(TINY)


def test_the_cycle_must_match_the_round():
    draws = redraw_round(TINY, TENTHS, quorum=2, exact=True)
    notes = round_cycle(draws)
    stranger = pd.concat([notes, cycle([9], [50.0])], ignore_index=True)
    assert refusal(funding_chances, draws, stranger, Funds(100), AllocationPolicy()) == (
        "notes without reviews in the redrawn round: 9; every candidate needs the reviews its "
        "score comes from")
    notes.loc[notes["note_id"] == 2, "score"] = 61.0
    assert refusal(funding_chances, draws, notes, Funds(100), AllocationPolicy()) == (
        "notes whose score is not the one their reviews give: 2 (61 in the cycle, 55 from its "
        "reviews)")
    assert "requested: must be a positive number of cents" in refusal(
        funding_chances, draws, round_cycle(draws, requested=0), Funds(100),
        AllocationPolicy())


# --- calibration -----------------------------------------------------------------------------

# docs/scoring.md's worked example: calibration swaps notes 1 and 2.
WORKED = Rubric([Criterion("relevance", "Relevance", 3), Criterion("feasibility",
                                                                   "Feasibility", 2)])
WORKED_REVIEWS = pd.DataFrame(
    [(n, r, c, v) for n, r, rel, fea in [
        (1, "A", 3, 3), (1, "B", 3, 2), (1, "C", 5, 4), (2, "A", 3, 4), (2, "B", 5, 1),
        (2, "C", 3, 3), (3, "A", 5, 2), (3, "B", 3, 3), (3, "C", 3, 5)]
     for c, v in (("relevance", rel), ("feasibility", fea))], columns=COLUMNS)


def test_calibration_alone_moves_notes_1_and_2_across_the_line():
    draws = redraw_round(WORKED_REVIEWS, WORKED, calibrate=True, exact=True)
    result = rank_intervals(draws)
    assert result.index.tolist() == [3, 2, 1]
    assert result["score"].tolist() == pytest.approx([65, 60, 55])
    assert result["raw_score"].tolist() == pytest.approx([190 / 3, 170 / 3, 60])
    # Note 1's raw reviews 50, 40, 90: three 40s (1 in 27) are under 5 % of the redraws, two
    # 40s and a 50 (43.33) bring them to 4 in 27; from the top, three 90s are 1 in 27 and two
    # 90s and a 50 (76.67) make 4 in 27. Its calibrated reviews 45, 45, 75 give 45 in 8 redraws
    # out of 27 and 75 in 1 only, past 95 % at 65.
    assert result.loc[1, ["raw_90_low", "raw_90_high"]].tolist() == \
        pytest.approx([130 / 3, 230 / 3])
    assert result.loc[1, ["score_90_low", "score_90_high"]].tolist() == pytest.approx([45, 65])
    chances = funding_chances(draws, round_cycle(draws), Funds(200),
                              AllocationPolicy(max_per_country=None))
    table = chances.table.set_index("note_id")
    assert table["status"].tolist() == ["funded", "funded", "insufficient_funds"]
    assert table["funded_uncalibrated"].tolist() == [True, False, True]
    assert chances.moved_by_calibration == [2, 1]
    assert chances.calibration_sentence() == (
        "Calibration alone moves these notes across the funding line: 2 (funded only with "
        "calibration), 1 (funded only without calibration).")


def test_without_calibration_nothing_is_moved_by_it():
    draws = redraw_round(WORKED_REVIEWS, WORKED, exact=True)
    chances = funding_chances(draws, round_cycle(draws), Funds(200),
                              AllocationPolicy(max_per_country=None))
    assert "moved_by_calibration" not in chances.table and chances.moved_by_calibration == []
    assert "raw_90_low" not in rank_intervals(draws)
    assert chances.calibration_sentence() == "The round does not calibrate reviewers' scores."


# --- properties -------------------------------------------------------------------------------

@st.composite
def dominated_rounds(draw):
    """Every reviewer scores every note; note 'better' is scored strictly higher than note
    'worse' by every reviewer."""
    n_reviewers = draw(st.integers(2, 3))
    others = draw(st.integers(0, 2 if n_reviewers == 2 else 1))
    worse = [draw(st.integers(0, 9)) for _ in range(n_reviewers)]
    better = [w + draw(st.integers(1, 10 - w)) for w in worse]
    rows = []
    ids = draw(st.permutations(list(range(1, others + 3))))
    for r, (b, w) in enumerate(zip(better, worse, strict=True)):
        rows += [(ids[0], f"R{r}", b), (ids[1], f"R{r}", w)]
    for k in range(others):
        rows += [(ids[2 + k], f"R{r}", draw(st.integers(0, 10))) for r in range(n_reviewers)]
    return rows, ids[0], ids[1]


@settings(max_examples=60, deadline=None)
@given(dominated_rounds(), st.booleans())
def test_a_note_scored_higher_by_every_reviewer_never_has_a_worse_expected_rank(case, calibrate):
    rows, better, worse = case
    draws = redraw_round(reviews(rows), TENTHS, quorum=1, calibrate=calibrate,
                         min_reviews_for_calibration=2, exact=True)
    result = rank_intervals(draws)
    assert result.loc[better, "expected_rank"] <= result.loc[worse, "expected_rank"] + 1e-12


@st.composite
def random_cycles(draw):
    n = draw(st.integers(1, 8))
    rows = [(k + 1, f"R{r}", draw(st.integers(0, 10)))
            for k in range(n) for r in range(draw(st.integers(1, 4)))]
    requested = [draw(st.integers(1, 4)) * 50 for _ in range(n)]
    countries = [f"C{draw(st.integers(0, 2))}" for _ in range(n)]
    funds = Funds(draw(st.integers(0, 12)) * 50, {1: draw(st.integers(0, 4)) * 50})
    policy = AllocationPolicy(min_score=draw(st.sampled_from([0, 40, 55])),
                              thematic_floor={2: draw(st.sampled_from([0.0, 0.2]))},
                              thematic_cap={1: draw(st.sampled_from([0.5, 1.0]))},
                              max_per_country=draw(st.sampled_from([None, 1, 2])))
    return rows, requested, countries, funds, policy, draw(st.integers(0, 2**32))


@settings(max_examples=25, deadline=None)
@given(random_cycles())
def test_chances_are_probabilities_summing_to_the_mean_number_funded(case):
    """And each redraw's funded notes are exactly those allocate funds on that redraw's
    scores: the share of redraws that allocate funds a note in is its chance."""
    rows, requested, countries, funds, policy, seed = case
    draws = redraw_round(reviews(rows), TENTHS, quorum=2, draws=12, seed=seed)
    ids = sorted(draws.point.index)
    notes = cycle(ids, [float(draws.point.loc[n, "score"]) for n in ids])
    notes["requested"] = requested
    notes["country"] = countries
    notes["thematic_area"] = [1 + k % 2 for k in range(len(ids))]
    notes["quorum_met"] = draws.point.loc[ids, "quorum_met"].to_numpy()
    chances = funding_chances(draws, notes, funds, policy)
    p = chances.table["p_funded"]
    assert ((p >= 0) & (p <= 1)).all()
    assert p.sum() == pytest.approx(chances.mean_funded, abs=1e-9)
    counts = dict.fromkeys(ids, 0)
    for d in range(draws.draws):
        redrawn = notes.copy()
        redrawn["score"] = np.where(notes["score"].isna(), np.nan, draws.score[d])
        table = allocate(redrawn, funds, policy).table
        for n in table.loc[table["status"] == "funded", "note_id"]:
            counts[n] += 1
    mine = chances.table.set_index("note_id")["p_funded"]
    assert {n: round(mine[n] * draws.draws) for n in ids} == counts


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 30), st.integers(1, 6), st.integers(0, 2**32))
def test_packed_keys_order_redraws_as_the_lexical_sort_does(n_notes, n_medians, seed):
    rng = np.random.default_rng(seed)
    units = rng.integers(0, 4, (20, n_notes)) * 25 * 10**9  # many ties on score
    median_rank = rng.integers(0, n_medians, (20, n_notes))
    late = rng.random(n_notes) < 0.3
    packed = _rank_order(units, median_rank, n_medians, late)
    lexical = _rank_order(units, median_rank, n_medians, late, pack=False)
    np.testing.assert_array_equal(packed, lexical)
