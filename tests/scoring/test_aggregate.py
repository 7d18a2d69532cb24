"""Round scoring on hand-computed tables; every expected number is written out by hand."""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring import (
    Criterion,
    Rubric,
    aggregate_round,
    calibrate_reviews,
    criterion_means,
    score_reviews,
)

COLUMNS = ["note_id", "reviewer_id", "criterion", "value"]
ROUND_COLUMNS = ["n_reviews", "mean", "median", "std", "spread", "quorum_met", "disagreement",
                 "calibrated", "score", "rank"]

# weighted score = 100 × (3·(r−1)/4 + 2·(f−1)/4) / 5 = 15·(r−1) + 10·(f−1)
RUBRIC = Rubric([
    Criterion("relevance", "Relevance", 3),
    Criterion("feasibility", "Feasibility", 2),
])
# One criterion on 0–100 with weight 1: the weighted score is the value itself.
PLAIN = Rubric([Criterion("q", "Quality", 1, scale_min=0, scale_max=100)])


def reviews(rows, index=None) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=COLUMNS, index=index)


def plain(rows) -> pd.DataFrame:
    """Reviews on PLAIN from (note_id, reviewer_id, score) triples."""
    return reviews([(n, r, "q", v) for n, r, v in rows])


def round_frame(index, **columns) -> pd.DataFrame:
    frame = pd.DataFrame(columns, index=pd.Index(index, name="note_id"))
    return frame.astype({"n_reviews": "int64", "rank": "int64"})[ROUND_COLUMNS]


# The worked example of docs/scoring.md: 3 notes × 3 reviewers × 2 criteria.
WORKED = reviews([
    (1, "A", "relevance", 3), (1, "A", "feasibility", 3),  # 50
    (1, "B", "relevance", 3), (1, "B", "feasibility", 2),  # 40
    (1, "C", "relevance", 5), (1, "C", "feasibility", 4),  # 90
    (2, "A", "relevance", 3), (2, "A", "feasibility", 4),  # 60
    (2, "B", "relevance", 5), (2, "B", "feasibility", 1),  # 60
    (2, "C", "relevance", 3), (2, "C", "feasibility", 3),  # 50
    (3, "A", "relevance", 5), (3, "A", "feasibility", 2),  # 70
    (3, "B", "relevance", 3), (3, "B", "feasibility", 3),  # 50
    (3, "C", "relevance", 3), (3, "C", "feasibility", 5),  # 70
])


# --- score_reviews ----------------------------------------------------------------------------

def test_score_reviews_worked_example():
    expected = pd.DataFrame({
        "note_id": [1, 1, 1, 2, 2, 2, 3, 3, 3],
        "reviewer_id": ["A", "B", "C"] * 3,
        "weighted_score": [50.0, 40.0, 90.0, 60.0, 60.0, 50.0, 70.0, 50.0, 70.0],
    })
    pd.testing.assert_frame_equal(score_reviews(WORKED, RUBRIC), expected)


def test_score_reviews_mixed_scales():
    # 'a' on 0–10, 'b' on 1–3, equal weights: score = 100 × (a/10 + (b−1)/2) / 2
    rubric = Rubric([Criterion("a", "A", 1, 0, 10), Criterion("b", "B", 1, 1, 3)])
    table = reviews([
        (7, "x", "a", 5), (7, "x", "b", 2),  # 100 × (0.5 + 0.5) / 2 = 50
        (7, "y", "a", 10), (7, "y", "b", 1),  # 100 × (1 + 0) / 2 = 50
        (8, "x", "a", 7), (8, "x", "b", 3),  # 100 × (0.7 + 1) / 2 = 85
        (8, "y", "a", 0), (8, "y", "b", 1),  # 0
        (9, "x", "a", 2.5), (9, "x", "b", 3),  # 100 × (0.25 + 1) / 2 = 62.5
    ])
    result = score_reviews(table, rubric)
    assert result["weighted_score"].tolist() == pytest.approx([50.0, 50.0, 85.0, 0.0, 62.5])


def test_score_reviews_sorts_and_resets_the_index():
    shuffled = WORKED.iloc[[17, 3, 0, 9, 12, 5, 1, 16, 2, 4, 6, 7, 8, 10, 11, 13, 14, 15]]
    shuffled.index = [f"row{i}" for i in range(18)]
    result = score_reviews(shuffled, RUBRIC)
    assert result.index.equals(pd.RangeIndex(9))
    assert list(zip(result["note_id"], result["reviewer_id"], strict=True)) == [
        (1, "A"), (1, "B"), (1, "C"), (2, "A"), (2, "B"), (2, "C"), (3, "A"), (3, "B"), (3, "C")]


def test_score_reviews_keeps_id_dtypes():
    table = reviews([("CN-2", 11, "q", 20), ("CN-1", 12, "q", 40), ("CN-1", 11, "q", 30)])
    expected = pd.DataFrame({
        "note_id": ["CN-1", "CN-1", "CN-2"],
        "reviewer_id": [11, 12, 11],
        "weighted_score": [30.0, 40.0, 20.0],
    })
    pd.testing.assert_frame_equal(score_reviews(table, PLAIN), expected)


def test_score_reviews_accepts_float_and_decimal_like_values():
    table = reviews([(1, "A", "q", 12.5), (2, "A", "q", "87.5")])
    table["value"] = table["value"].astype(object)
    assert score_reviews(table, PLAIN)["weighted_score"].tolist() == [12.5, 87.5]


def empty_reviews() -> pd.DataFrame:
    return pd.DataFrame({
        "note_id": pd.Series([], dtype="int64"),
        "reviewer_id": pd.Series([], dtype="str"),
        "criterion": pd.Series([], dtype="str"),
        "value": pd.Series([], dtype="int64"),
    })


def test_score_reviews_empty():
    expected = pd.DataFrame({
        "note_id": pd.Series([], dtype="int64"),
        "reviewer_id": pd.Series([], dtype="str"),
        "weighted_score": pd.Series([], dtype="float64"),
    })
    pd.testing.assert_frame_equal(score_reviews(empty_reviews(), RUBRIC), expected)


# --- aggregate_round --------------------------------------------------------------------------

def test_worked_example_in_docs():
    """The numbers of the worked example in docs/scoring.md."""
    raw = aggregate_round(WORKED, RUBRIC)
    expected_raw = round_frame(
        [3, 1, 2],
        n_reviews=[3, 3, 3],
        mean=[63.333333, 60.0, 56.666667],
        median=[70.0, 50.0, 60.0],
        std=[11.547005, 26.457513, 5.773503],
        spread=[20.0, 50.0, 10.0],
        quorum_met=[True, True, True],
        disagreement=[False, True, False],
        calibrated=[63.333333, 60.0, 56.666667],
        score=[63.333333, 60.0, 56.666667],
        rank=[1, 2, 3],
    )
    pd.testing.assert_frame_equal(raw, expected_raw)

    calibrated = aggregate_round(WORKED, RUBRIC, calibrate=True)
    expected_calibrated = round_frame(
        [3, 2, 1],
        n_reviews=[3, 3, 3],
        mean=[63.333333, 56.666667, 60.0],
        median=[70.0, 60.0, 50.0],
        std=[11.547005, 5.773503, 26.457513],
        spread=[20.0, 10.0, 50.0],
        quorum_met=[True, True, True],
        disagreement=[False, False, True],
        calibrated=[65.0, 60.0, 55.0],
        score=[65.0, 60.0, 55.0],
        rank=[1, 2, 3],
    )
    pd.testing.assert_frame_equal(calibrated, expected_calibrated)

    # Round mean 60, round std 15; reviewer A: mean 60, std 10; B: 50, 10; C: 70, 20.
    per_review = calibrate_reviews(WORKED, RUBRIC)
    assert per_review["calibrated_score"].tolist() == pytest.approx(
        [45.0, 45.0, 75.0, 60.0, 75.0, 45.0, 75.0, 60.0, 60.0])

    means = criterion_means(WORKED, RUBRIC)
    expected_means = pd.DataFrame(
        {"relevance": [3.666667, 3.666667, 3.666667], "feasibility": [3.0, 2.666667, 3.333333]},
        index=pd.Index([1, 2, 3], name="note_id"),
    )
    expected_means.columns.name = "criterion"
    pd.testing.assert_frame_equal(means, expected_means)


def test_single_review_quorum_and_strict_disagreement():
    rubric = Rubric([Criterion("q", "Quality", 1)])  # 1–5: value 4 → 75, 3 → 50, 5 → 100
    table = reviews([(1, "A", "q", 5), (2, "A", "q", 4), (2, "B", "q", 3)])
    result = aggregate_round(table, rubric, quorum=2, disagreement_threshold=25)
    # Note 1's one review (100) is below quorum: it ranks after note 2 (62.5), which met it.
    expected = round_frame(
        [2, 1],
        n_reviews=[2, 1],
        mean=[62.5, 100.0],
        median=[62.5, 100.0],
        std=[17.677670, math.nan],
        spread=[25.0, 0.0],
        quorum_met=[True, False],
        disagreement=[False, False],
        calibrated=[62.5, 100.0],
        score=[62.5, 100.0],
        rank=[1, 2],
    )
    pd.testing.assert_frame_equal(result, expected)
    flagged = aggregate_round(table, rubric, quorum=1, disagreement_threshold=24.5)
    assert flagged.index.tolist() == [1, 2]  # both met quorum: by score
    assert flagged["disagreement"].tolist() == [False, True]
    assert flagged["quorum_met"].tolist() == [True, True]


def test_notes_without_quorum_rank_after_every_note_with_it():
    # Quorum 2. Note 4 has one review at 100 and note 5 one at 25; notes 1-3 have two each,
    # scoring 50, 87.5 and 62.5. Ranks: 2 (87.5), 3 (62.5), 1 (50), then 4 (100), 5 (25).
    rubric = Rubric([Criterion("q", "Quality", 1)])  # 1–5: 1 → 0, 2 → 25, ..., 5 → 100
    table = reviews([(1, "A", "q", 3), (1, "B", "q", 3), (2, "A", "q", 5), (2, "B", "q", 4),
                     (3, "A", "q", 4), (3, "B", "q", 3), (4, "A", "q", 5), (5, "B", "q", 2)])
    result = aggregate_round(table, rubric, quorum=2)
    assert result["rank"].to_dict() == {2: 1, 3: 2, 1: 3, 4: 4, 5: 5}
    assert result["score"].tolist() == [87.5, 62.5, 50.0, 100.0, 25.0]
    assert result["quorum_met"].tolist() == [True, True, True, False, False]


def test_spread_equal_to_threshold_is_not_disagreement_despite_rounding():
    # 100 × 0.7 and 100 × 0.45 are not exact in binary; their spread must still equal 25.
    rubric = Rubric([Criterion("q", "Quality", 1, scale_min=0, scale_max=1)])
    table = reviews([(1, "A", "q", 0.7), (1, "B", "q", 0.45)])
    assert not aggregate_round(table, rubric, disagreement_threshold=25)["disagreement"].iloc[0]


def test_rank_tie_breaks():
    table = plain([
        (9, "A", 70), (9, "B", 70), (9, "C", 70),  # score 70: rank 1
        (7, "A", 50), (7, "B", 50), (7, "C", 80),  # score 60, median 50: rank 4
        (5, "A", 60), (5, "B", 60), (5, "C", 60),  # score 60, median 60, note 5: rank 3
        (3, "A", 40), (3, "B", 60), (3, "C", 80),  # score 60, median 60, note 3: rank 2
    ])
    result = aggregate_round(table, PLAIN)
    assert result.index.tolist() == [9, 3, 5, 7]
    assert result["rank"].tolist() == [1, 2, 3, 4]


def test_ties_within_rounding_noise_fall_to_note_id():
    # 0.1 + 0.2 + 0.3 and 0.3 + 0.2 + 0.1 differ in the last bit in binary; the notes still tie.
    rubric = Rubric([Criterion("q", "Quality", 1, scale_min=0, scale_max=1)])
    table = reviews([
        (2, "A", "q", 0.1), (2, "B", "q", 0.2), (2, "C", "q", 0.3),
        (1, "A", "q", 0.3), (1, "B", "q", 0.2), (1, "C", "q", 0.1),
    ])
    assert aggregate_round(table, rubric)["rank"].to_dict() == {1: 1, 2: 2}


def test_calibration_leaves_reviewers_with_too_few_reviews_raw():
    table = plain([
        (1, "A", 40), (2, "A", 50), (3, "A", 60),
        (1, "B", 70), (2, "B", 80), (3, "B", 90),
        (1, "C", 10), (2, "C", 30),
    ])
    # round: mean 53.75, std 26.692696; A and B have z = −1, 0, +1; C has 2 reviews: raw.
    per_review = calibrate_reviews(table, PLAIN)
    assert per_review["calibrated_score"].tolist() == pytest.approx([
        27.057304, 27.057304, 10.0, 53.75, 53.75, 30.0, 80.442696, 80.442696])
    result = aggregate_round(table, PLAIN, calibrate=True, quorum=3)
    assert result["calibrated"].to_dict() == pytest.approx(
        {1: 21.371536, 2: 45.833333, 3: 80.442696})
    assert result["quorum_met"].to_dict() == {1: True, 2: True, 3: False}
    assert result["rank"].to_dict() == {2: 1, 1: 2, 3: 3}  # 3 lacks quorum: last

    # With a threshold of 2, C (mean 20, std 14.142136) is calibrated too: z = −0.707107,
    # +0.707107, so 53.75 ∓ 18.874586.
    per_review = calibrate_reviews(table, PLAIN, min_reviews_for_calibration=2)
    assert per_review["calibrated_score"].tolist() == pytest.approx([
        27.057304, 27.057304, 34.875414, 53.75, 53.75, 72.624586, 80.442696, 80.442696])


def test_calibration_leaves_a_reviewer_who_gives_one_score_raw():
    table = plain([
        (1, "A", 40), (2, "A", 50), (3, "A", 60),
        (1, "D", 55), (2, "D", 55), (3, "D", 55),
    ])
    # round: mean 52.5, std 6.892024 (√47.5); A: z = −1, 0, +1; D does not vary: raw.
    per_review = calibrate_reviews(table, PLAIN)
    assert per_review["calibrated_score"].tolist() == pytest.approx([
        45.607976, 55.0, 52.5, 55.0, 59.392024, 55.0])


def test_calibrated_scores_are_clipped_to_0_100():
    table = plain([
        (1, "A", 0), (2, "A", 0), (3, "A", 100),
        (1, "B", 100), (2, "B", 100), (3, "B", 0),
    ])
    # round: mean 50, std 54.772256; A: z = −0.57735, −0.57735, +1.154701 → 113.245553 for
    # note 3, clipped to 100; B's 0 on note 3 maps to −13.245553, clipped to 0.
    per_review = calibrate_reviews(table, PLAIN)
    assert per_review["calibrated_score"].tolist() == pytest.approx([
        18.377223, 81.622777, 18.377223, 81.622777, 100.0, 0.0])
    assert aggregate_round(table, PLAIN, calibrate=True)["calibrated"].to_dict() == (
        pytest.approx({1: 50.0, 2: 50.0, 3: 50.0}))


def test_aggregate_round_empty():
    result = aggregate_round(empty_reviews(), RUBRIC, calibrate=True)
    assert list(result.columns) == ROUND_COLUMNS
    assert result.index.name == "note_id"
    assert result.index.dtype == "int64"
    assert len(result) == 0
    assert result.dtypes.to_dict() == {
        "n_reviews": "int64", "mean": "float64", "median": "float64", "std": "float64",
        "spread": "float64", "quorum_met": "bool", "disagreement": "bool",
        "calibrated": "float64", "score": "float64", "rank": "int64"}
    assert criterion_means(empty_reviews(), RUBRIC).columns.tolist() == ["relevance",
                                                                         "feasibility"]


def test_the_input_is_not_mutated():
    table = WORKED.iloc[::-1].copy()
    table.index = [f"r{i}" for i in range(len(table))]
    before = table.copy(deep=True)
    score_reviews(table, RUBRIC)
    aggregate_round(table, RUBRIC, calibrate=True)
    calibrate_reviews(table, RUBRIC)
    criterion_means(table, RUBRIC)
    pd.testing.assert_frame_equal(table, before, check_exact=True)


# --- parameters -------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"quorum": 0}, "quorum must be an integer >= 1, got 0"),
        ({"quorum": 2.5}, "quorum must be an integer >= 1, got 2.5"),
        ({"quorum": True}, "quorum must be an integer >= 1, got True"),
        ({"disagreement_threshold": -1}, "disagreement_threshold must be a finite number >= 0"),
        ({"disagreement_threshold": math.nan}, "disagreement_threshold must be a finite number"),
        ({"disagreement_threshold": "25"}, "disagreement_threshold must be a finite number"),
        ({"calibrate": "yes"}, "calibrate must be True or False, got 'yes'"),
        ({"min_reviews_for_calibration": 1},
         "min_reviews_for_calibration must be an integer >= 2, got 1"),
        ({"min_reviews_for_calibration": 3.0},
         "min_reviews_for_calibration must be an integer >= 2, got 3.0"),
    ],
)
def test_aggregate_round_rejects_bad_parameters(kwargs, message):
    with pytest.raises(ValueError, match=message):
        aggregate_round(WORKED, RUBRIC, **kwargs)


def test_calibrate_reviews_rejects_bad_minimum():
    with pytest.raises(ValueError, match="min_reviews_for_calibration must be an integer >= 2"):
        calibrate_reviews(WORKED, RUBRIC, min_reviews_for_calibration=0)


def test_quorum_accepts_numpy_integers():
    assert aggregate_round(WORKED, RUBRIC, quorum=np.int64(4))["quorum_met"].sum() == 0


# --- validation at the door -------------------------------------------------------------------

ALL_FUNCTIONS = [score_reviews, aggregate_round, calibrate_reviews, criterion_means]


def error_of(function, table, rubric=RUBRIC) -> str:
    with pytest.raises(ValueError) as caught:
        function(table, rubric)
    return str(caught.value)


@pytest.mark.parametrize("function", ALL_FUNCTIONS)
def test_missing_columns(function):
    message = error_of(function, WORKED.drop(columns=["value", "criterion"]))
    assert message == "reviews lack column(s): criterion, value"


def test_doubled_column():
    table = pd.concat([WORKED, WORKED[["value"]]], axis=1)
    assert error_of(score_reviews, table) == "reviews have more than one column named: value"


@pytest.mark.parametrize("function", ALL_FUNCTIONS)
def test_wrong_argument_types(function):
    with pytest.raises(TypeError, match="reviews must be a pandas DataFrame, got list"):
        function([(1, "A", "relevance", 3)], RUBRIC)
    with pytest.raises(TypeError, match="rubric must be a Rubric, got list"):
        function(WORKED, [Criterion("relevance", "Relevance", 3)])


def test_missing_ids():
    table = reviews([
        (1, "A", "q", 50), (None, "A", "q", 60), (2, None, "q", 70), (3, "A", None, 80)])
    message = error_of(score_reviews, table, PLAIN)
    assert message == (
        "invalid reviews, 2 problem(s):\n"
        "- rows without a note_id, reviewer_id or criterion (3):\n"
        "  row 1: note_id=nan, reviewer_id='A', criterion='q', value=60\n"
        "  row 2: note_id=2.0, reviewer_id=nan, criterion='q', value=70\n"
        "  row 3: note_id=3.0, reviewer_id='A', criterion=nan, value=80\n"
        "- reviews missing a criterion (1):\n"
        "  note_id=3.0, reviewer_id='A': no 'q'")


def test_nan_value():
    table = reviews([(1, "A", "relevance", 3), (1, "A", "feasibility", math.nan)],
                    index=["first", "second"])
    message = error_of(score_reviews, table)
    assert message == (
        "invalid reviews, 1 problem(s):\n"
        "- rows without a value (NaN or empty) (1):\n"
        "  row 'second': note_id=1, reviewer_id='A', criterion='feasibility', value=nan")


def test_non_numeric_value():
    table = WORKED.astype({"value": object})
    table.loc[4, "value"] = "high"
    message = error_of(aggregate_round, table)
    assert message == (
        "invalid reviews, 1 problem(s):\n"
        "- rows whose value is not a number (1):\n"
        "  row 4: note_id=1, reviewer_id='C', criterion='relevance', value='high'")


def test_boolean_values_are_not_numbers():
    table = plain([(1, "A", 1)]).astype({"value": bool})
    message = error_of(score_reviews, table, PLAIN)
    assert "- rows whose value is not a number (1):\n  row 0:" in message


def test_values_outside_the_scale():
    table = WORKED.astype({"value": "float64"})
    table.loc[3, "value"] = 6
    table.loc[10, "value"] = 0.5
    table.loc[11, "value"] = math.inf
    message = error_of(score_reviews, table)
    assert message == (
        "invalid reviews, 1 problem(s):\n"
        "- rows whose value is outside its criterion's scale (3):\n"
        "  row 3: note_id=1, reviewer_id='B', criterion='feasibility', value=6.0 (scale 1 to 5)\n"
        "  row 10: note_id=2, reviewer_id='C', criterion='relevance', value=0.5 (scale 1 to 5)\n"
        "  row 11: note_id=2, reviewer_id='C', criterion='feasibility', value=inf"
        " (scale 1 to 5)")


def test_scale_bounds_are_inclusive():
    rubric = Rubric([Criterion("q", "Quality", 1, scale_min=-2, scale_max=2)])
    table = reviews([(1, "A", "q", -2), (2, "A", "q", 2)])
    assert score_reviews(table, rubric)["weighted_score"].tolist() == [0.0, 100.0]


def test_unknown_criterion_also_reports_the_missing_one():
    table = WORKED.copy()
    table.loc[5, "criterion"] = "feasability"
    message = error_of(criterion_means, table)
    assert message == (
        "invalid reviews, 2 problem(s):\n"
        "- rows with a criterion not in the rubric ('relevance', 'feasibility') (1):\n"
        "  row 5: note_id=1, reviewer_id='C', criterion='feasability', value=4\n"
        "- reviews missing a criterion (1):\n"
        "  note_id=1, reviewer_id='C': no 'feasibility'")


def test_duplicate_rows_are_listed_together():
    table = pd.concat([WORKED, WORKED.iloc[[7, 0]]], ignore_index=True)
    message = error_of(aggregate_round, table)
    assert message == (
        "invalid reviews, 1 problem(s):\n"
        "- rows repeating a (note_id, reviewer_id, criterion) (4):\n"
        "  row 0: note_id=1, reviewer_id='A', criterion='relevance', value=3\n"
        "  row 19: note_id=1, reviewer_id='A', criterion='relevance', value=3\n"
        "  row 7: note_id=2, reviewer_id='A', criterion='feasibility', value=4\n"
        "  row 18: note_id=2, reviewer_id='A', criterion='feasibility', value=4")


def test_review_missing_criteria():
    table = WORKED.drop(index=[3, 8])
    message = error_of(score_reviews, table)
    assert message == (
        "invalid reviews, 1 problem(s):\n"
        "- reviews missing a criterion (2):\n"
        "  note_id=1, reviewer_id='B': no 'feasibility'\n"
        "  note_id=2, reviewer_id='B': no 'relevance'")


def test_review_missing_several_criteria():
    rubric = Rubric([*RUBRIC.criteria, Criterion("impact", "Impact", 1)])
    message = error_of(score_reviews, WORKED.drop(index=[3]), rubric)
    assert message.startswith(
        "invalid reviews, 1 problem(s):\n"
        "- reviews missing a criterion (9):\n"
        "  note_id=1, reviewer_id='A': no 'impact'\n"
        "  note_id=1, reviewer_id='B': no 'feasibility', 'impact'\n")


def test_a_note_without_any_row_is_simply_absent():
    result = score_reviews(WORKED.drop(index=[8, 9]), RUBRIC)
    assert list(zip(result["note_id"], result["reviewer_id"], strict=True)) == [
        (1, "A"), (1, "B"), (1, "C"), (2, "A"), (2, "C"), (3, "A"), (3, "B"), (3, "C")]


def test_every_problem_is_reported_at_once():
    table = WORKED.astype({"value": object})
    table.loc[0, "value"] = None
    table.loc[1, "value"] = "x"
    table.loc[2, "value"] = 9
    table.loc[3, "criterion"] = "impact"
    table.loc[4, "note_id"] = None
    message = error_of(calibrate_reviews, table)
    assert message.startswith("invalid reviews, 6 problem(s):\n")
    for title in ["rows without a note_id, reviewer_id or criterion (1)",
                  "rows without a value (NaN or empty) (1)",
                  "rows whose value is not a number (1)",
                  "rows with a criterion not in the rubric",
                  "rows whose value is outside its criterion's scale (1)",
                  "reviews missing a criterion (2)"]:
        assert f"- {title}" in message


def test_long_lists_are_cut():
    table = plain([(n, "A", 101) for n in range(25)])
    message = error_of(score_reviews, table, PLAIN)
    assert "rows whose value is outside its criterion's scale (25):" in message
    assert "  row 9: note_id=9," in message
    assert "row 10:" not in message
    assert message.endswith("  ... and 15 more")
    incomplete = error_of(score_reviews, reviews([(n, "A", "relevance", 3) for n in range(12)]))
    assert "reviews missing a criterion (12):" in incomplete
    assert incomplete.endswith("note_id=9, reviewer_id='A': no 'feasibility'\n  ... and 2 more")


# --- properties -------------------------------------------------------------------------------

FAST = settings(max_examples=60, deadline=None, database=None)


@st.composite
def rounds(draw):
    """A small valid round: a random rubric and complete reviews on a subset of note × reviewer."""
    criteria = []
    for i in range(draw(st.integers(1, 3))):
        low = draw(st.integers(-3, 3))
        high = low + draw(st.integers(1, 6))
        weight = draw(st.one_of(st.integers(1, 5), st.floats(0.1, 10)))
        criteria.append(Criterion(f"c{i}", f"C{i}", weight, low, high))
    n_notes, n_reviewers = draw(st.integers(1, 6)), draw(st.integers(1, 5))
    pairs = draw(st.lists(
        st.tuples(st.integers(0, n_notes - 1), st.integers(0, n_reviewers - 1)),
        min_size=1, max_size=18, unique=True))
    rows = [
        (100 + note, f"r{reviewer}", c.code,
         draw(st.one_of(st.integers(c.scale_min, c.scale_max),
                        st.floats(c.scale_min, c.scale_max))))
        for note, reviewer in pairs for c in criteria
    ]
    return Rubric(criteria), reviews(rows)


@FAST
@given(rounds(), st.booleans(), st.integers(2, 4))
def test_scores_stay_within_0_100(generated, calibrate, minimum):
    rubric, table = generated
    assert score_reviews(table, rubric)["weighted_score"].between(0, 100).all()
    result = aggregate_round(table, rubric, calibrate=calibrate,
                             min_reviews_for_calibration=minimum)
    for column in ["mean", "median", "spread", "calibrated", "score"]:
        assert result[column].between(0, 100).all(), column
    per_review = calibrate_reviews(table, rubric, min_reviews_for_calibration=minimum)
    assert per_review["calibrated_score"].between(0, 100).all()


@FAST
@given(rounds(), st.booleans())
def test_ranks_are_a_permutation_in_score_order(generated, calibrate):
    rubric, table = generated
    result = aggregate_round(table, rubric, calibrate=calibrate)
    assert sorted(result["rank"]) == list(range(1, len(result) + 1))
    assert result["rank"].tolist() == list(range(1, len(result) + 1))  # rows come in rank order
    assert sorted(result.index) == sorted(table["note_id"].unique())
    met = result["quorum_met"]
    assert (met.astype(int).diff().dropna() <= 0).all()  # quorum first
    for _, group in result.groupby(met):
        assert (group["score"].diff().dropna() <= 1e-9).all()
    assert result["n_reviews"].sum() == len(table) // len(rubric)


@FAST
@given(rounds())
def test_without_calibration_score_is_the_mean(generated):
    rubric, table = generated
    result = aggregate_round(table, rubric)
    pd.testing.assert_series_equal(result["calibrated"], result["mean"], check_names=False)
    pd.testing.assert_series_equal(result["score"], result["mean"], check_names=False)


@FAST
@given(rounds(), st.data())
def test_permuting_rows_changes_nothing(generated, data):
    rubric, table = generated
    order = data.draw(st.permutations(range(len(table))))
    shuffled = table.iloc[order]
    for calibrate in (False, True):
        pd.testing.assert_frame_equal(
            aggregate_round(shuffled, rubric, calibrate=calibrate, min_reviews_for_calibration=2),
            aggregate_round(table, rubric, calibrate=calibrate, min_reviews_for_calibration=2),
            check_exact=True)
    pd.testing.assert_frame_equal(score_reviews(shuffled, rubric), score_reviews(table, rubric),
                                  check_exact=True)
    pd.testing.assert_frame_equal(criterion_means(shuffled, rubric),
                                  criterion_means(table, rubric), check_exact=True)


@FAST
@given(rounds())
def test_input_not_mutated(generated):
    rubric, table = generated
    before = table.copy(deep=True)
    score_reviews(table, rubric)
    aggregate_round(table, rubric, calibrate=True, min_reviews_for_calibration=2)
    calibrate_reviews(table, rubric)
    criterion_means(table, rubric)
    pd.testing.assert_frame_equal(table, before, check_exact=True)


@FAST
@given(
    base=st.lists(st.integers(0, 50), min_size=3, max_size=7).filter(lambda xs: len(set(xs)) > 1),
    offset=st.integers(1, 50),
    others=st.lists(st.lists(st.one_of(st.none(), st.integers(0, 100)), min_size=7, max_size=7),
                    max_size=3),
)
def test_calibration_cancels_a_constant_offset(base, offset, others):
    """B scores every note exactly `offset` points above A: after calibration they agree."""
    rows = [(n, "A", v) for n, v in enumerate(base)]
    rows += [(n, "B", v + offset) for n, v in enumerate(base)]
    rows += [(n, f"other{i}", v) for i, scores in enumerate(others)
             for n, v in enumerate(scores) if v is not None]
    per_review = calibrate_reviews(plain(rows), PLAIN)
    a = per_review.loc[per_review["reviewer_id"] == "A", "calibrated_score"].to_numpy()
    b = per_review.loc[per_review["reviewer_id"] == "B", "calibrated_score"].to_numpy()
    np.testing.assert_allclose(a, b, rtol=0, atol=1e-9)
