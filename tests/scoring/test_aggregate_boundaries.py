"""A review round at its boundaries, hand-worked (issue 24): the default disagreement threshold
exactly met, a threshold of zero, a reviewer's spread exactly at ZERO_STD, exactly ten rows in
a refusal, a weighted score whose float sum passes 100.

Every expected number is worked out in the comment beside it, never by the code under test.
"""

from __future__ import annotations

import pandas as pd
import pytest

from scoring import Criterion, Rubric, aggregate_round, calibrate_reviews, score_reviews
from scoring.aggregate import ZERO_STD
from tests.scoring.test_aggregate import PLAIN, plain, reviews


def refusal(call) -> str:
    with pytest.raises(ValueError) as raised:
        call()
    return str(raised.value)


def test_the_default_threshold_is_25_points_and_strict():
    # PLAIN: a score is its value. Note 1's spread is 25 exactly (not a disagreement by
    # default); note 2's is 25.5 (one).
    table = plain([(1, "A", 50), (1, "B", 75), (2, "A", 50), (2, "B", 75.5)])
    result = aggregate_round(table, PLAIN, quorum=2)
    assert result["spread"].to_dict() == {2: 25.5, 1: 25.0}
    assert result["disagreement"].to_dict() == {2: True, 1: False}


def test_a_threshold_of_zero_flags_any_spread_at_all():
    table = plain([(1, "A", 50), (1, "B", 50), (2, "A", 50), (2, "B", 50.5)])
    result = aggregate_round(table, PLAIN, quorum=2, disagreement_threshold=0)
    assert result["disagreement"].to_dict() == {2: True, 1: False}


def test_the_default_quorum_is_three_reviews():
    table = plain([(1, "A", 50), (1, "B", 50), (1, "C", 50), (2, "A", 90), (2, "B", 90)])
    result = aggregate_round(table, PLAIN)
    assert result["quorum_met"].to_dict() == {1: True, 2: False}
    assert result["rank"].to_dict() == {1: 1, 2: 2}


def test_a_quorum_of_one_is_accepted():
    result = aggregate_round(plain([(1, "A", 50)]), PLAIN, quorum=1)
    assert result["quorum_met"].tolist() == [True]


def test_a_reviewer_with_exactly_three_reviews_is_calibrated_by_default():
    # A gives 40, 50, 60 (mean 50, std 10), B gives 70, 80 (two reviews: raw by default).
    # Round: mean 60, std √250 = 15.811388. A's z = −1, 0, +1 → 44.188612, 60, 75.811388.
    table = plain([(1, "A", 40), (2, "A", 50), (3, "A", 60), (1, "B", 70), (2, "B", 80)])
    calibrated = calibrate_reviews(table, PLAIN)
    assert list(calibrated.columns) == ["note_id", "reviewer_id", "weighted_score",
                                        "calibrated_score"]
    assert calibrated["note_id"].tolist() == [1, 1, 2, 2, 3]
    assert calibrated["reviewer_id"].tolist() == ["A", "B", "A", "B", "A"]
    assert calibrated["weighted_score"].tolist() == [40.0, 70.0, 50.0, 80.0, 60.0]
    assert calibrated["calibrated_score"].tolist() == pytest.approx(
        [44.188612, 70.0, 60.0, 80.0, 75.811388])
    # The same default holds in the round: note 1 = (44.188612 + 70) / 2.
    result = aggregate_round(table, PLAIN, calibrate=True, quorum=1)
    assert result.loc[1, "calibrated"] == pytest.approx(57.094306)


def test_a_spread_of_exactly_zero_std_keeps_a_reviewers_scores_raw():
    # R's two scores, 0 and √2 × 1e-9, have a sample std of exactly ZERO_STD (1e-9): "at or
    # below" counts as not varying, so they stay raw. S (0 and 100) is calibrated: round mean
    # 25.000000000354, std ≈ 50, S's z = ∓0.707107 → about −10.36 (clipped to 0) and 60.36.
    tiny = 1.4142135623730951e-09
    assert pd.Series([0.0, tiny]).std() == ZERO_STD == 1e-9
    table = plain([(1, "R", 0.0), (2, "R", tiny), (3, "S", 0.0), (4, "S", 100.0)])
    calibrated = calibrate_reviews(table, PLAIN, min_reviews_for_calibration=2)
    assert calibrated["calibrated_score"].tolist()[:2] == [0.0, tiny]
    assert calibrated["calibrated_score"].tolist()[2:] == pytest.approx([0.0, 60.355339])


def test_a_weighted_score_at_every_maximum_is_exactly_100():
    # Weights 0.1, 0.2, 0.3 sum to 0.6000000000000001 in float addition but 0.6 exactly
    # (math.fsum): the score at every maximum, 100 × 0.6000000000000001 / 0.6, is clipped back
    # to exactly 100. At every minimum it is exactly 0.
    rubric = Rubric([Criterion("a", "A", 0.1), Criterion("b", "B", 0.2),
                     Criterion("c", "C", 0.3)])
    table = reviews([(1, "X", "a", 5), (1, "X", "b", 5), (1, "X", "c", 5),
                     (2, "X", "a", 1), (2, "X", "b", 1), (2, "X", "c", 1)])
    assert score_reviews(table, rubric)["weighted_score"].tolist() == [100.0, 0.0]
    assert aggregate_round(table, rubric, quorum=1)["mean"].to_dict() == {1: 100.0, 2: 0.0}


def test_exactly_ten_offending_rows_are_all_listed_with_no_tail():
    message = refusal(lambda: score_reviews(plain([(n, "A", 101) for n in range(10)]), PLAIN))
    lines = message.split("\n")
    assert lines[:2] == ["invalid reviews, 1 problem(s):",
                         "- rows whose value is outside its criterion's scale (10):"]
    assert lines[2] == "  row 0: note_id=0, reviewer_id='A', criterion='q', value=101 (scale 0 to 100)"
    assert lines[-1] == "  row 9: note_id=9, reviewer_id='A', criterion='q', value=101 (scale 0 to 100)"
    assert len(lines) == 12


def test_exactly_ten_incomplete_reviews_are_all_listed_with_no_tail():
    rubric = Rubric([Criterion("q", "Q", 1), Criterion("r", "R", 1)])
    message = refusal(lambda: score_reviews(
        reviews([(n, "A", "q", 3) for n in range(10)]), rubric))
    lines = message.split("\n")
    assert lines[1] == "- reviews missing a criterion (10):"
    assert lines[-1] == "  note_id=9, reviewer_id='A': no 'r'"
    assert len(lines) == 12


def test_eleven_rows_name_ten_and_count_one():
    message = refusal(lambda: score_reviews(plain([(n, "A", -1) for n in range(11)]), PLAIN))
    assert message.split("\n")[-1] == "  ... and 1 more"
    assert len(message.split("\n")) == 13
