"""Allocation: hand-worked cycles written out as tables, validation, and properties."""

from __future__ import annotations

import importlib
import itertools
import json
import math
import os
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring.allocate import (
    NOTE_COLUMNS,
    STATUSES,
    TABLE_COLUMNS,
    AllocationPolicy,
    Funds,
    allocate,
)

# The package re-exports the function ``allocate`` under the module's name, so the module itself
# (whose ``milp`` some tests replace) is fetched by its full name.
allocate_module = importlib.import_module("scoring.allocate")
NAN = float("nan")
RESULT = ["note_id", "order", "status", "amount", "from_earmarked", "from_unearmarked"]


def notes(rows: list[tuple], index: list | None = None) -> pd.DataFrame:
    """Concept notes from rows in the order of NOTE_COLUMNS."""
    frame = pd.DataFrame(rows, columns=list(NOTE_COLUMNS), index=index)
    frame["submitted_at"] = pd.to_datetime(frame["submitted_at"])
    return frame


def assert_result(allocation, rows: list[tuple]) -> None:
    expected = pd.DataFrame(rows, columns=RESULT)
    pd.testing.assert_frame_equal(allocation.table[RESULT], expected)


# --- hand-worked cycles -------------------------------------------------------------------------

ELIGIBILITY = notes([
    # id   country region  area req  score quorum champion marker submitted
    ("A", "KEN", "Africa", 1, 400, 90.0, True, False, 2, "2026-01-01"),
    ("B", "BGD", "Asia", 1, 300, NAN, False, False, 2, "2026-01-01"),
    ("C", "MEX", "LAC", 2, 500, 80.0, True, False, 0, "2026-01-01"),
    ("D", "PER", "LAC", 2, 500, 75.0, True, False, 2, "2026-01-01"),
    ("E", "ECU", "LAC", 2, 200, 70.0, True, False, 2, "2026-01-01"),
    ("F", "CHL", "LAC", 3, 100, 65.0, True, False, 2, "2026-01-01"),
    ("G", "ARG", "LAC", 3, 50, 55.0, True, False, 2, "2026-01-01"),
    ("H", "NPL", "Asia", 3, 50, 40.0, False, False, 2, "2026-01-01"),
    ("I", "IND", "Asia", 3, 50, 50.0, True, False, 0, "2026-01-01"),
])


def test_eligibility_then_money_in_priority_order():
    # Envelope 1000. H lacks quorum and is below 60: no_quorum is checked first; I is below 60
    # with marker 0: below_min_score before marker. A 400, D 500, F 100 use the 1000 exactly;
    # E (200) comes when 100 is left. B has no score and is ordered last.
    policy = AllocationPolicy(min_score=60, min_gender_marker=1, max_per_country=None)
    result = allocate(ELIGIBILITY, Funds(1000), policy)
    assert_result(result, [
        ("A", 1, "funded", 400, 0, 400),
        ("C", 2, "marker", 0, 0, 0),
        ("D", 3, "funded", 500, 0, 500),
        ("E", 4, "insufficient_funds", 0, 0, 0),
        ("F", 5, "funded", 100, 0, 100),
        ("G", 6, "below_min_score", 0, 0, 0),
        ("I", 7, "below_min_score", 0, 0, 0),
        ("H", 8, "no_quorum", 0, 0, 0),
        ("B", 9, "no_quorum", 0, 0, 0),
    ])
    assert result.summary.allocated == 1000
    assert result.summary.left_unearmarked == 0


def test_table_carries_the_descriptive_columns():
    result = allocate(ELIGIBILITY, Funds(1000), AllocationPolicy(max_per_country=None))
    assert list(result.table.columns) == list(TABLE_COLUMNS)
    expected = pd.DataFrame(
        [("A", "KEN", "Africa", 1, 400, 90.0, 90.0),
         ("C", "MEX", "LAC", 2, 500, 80.0, 80.0),
         ("D", "PER", "LAC", 2, 500, 75.0, 75.0),
         ("E", "ECU", "LAC", 2, 200, 70.0, 70.0),
         ("F", "CHL", "LAC", 3, 100, 65.0, 65.0),
         ("G", "ARG", "LAC", 3, 50, 55.0, 55.0),
         ("I", "IND", "Asia", 3, 50, 50.0, 50.0),
         ("H", "NPL", "Asia", 3, 50, 40.0, 40.0),
         ("B", "BGD", "Asia", 1, 300, NAN, NAN)],
        columns=["note_id", "country", "region", "thematic_area", "requested", "score",
                 "priority_score"])
    pd.testing.assert_frame_equal(result.table[list(expected.columns)], expected)
    assert result.method == "greedy"
    # No minimum score or marker here: A, C and F are funded.
    assert result.objective == result.greedy_objective == 90 * 400 + 80 * 500 + 65 * 100
    assert result.improvement == 0
    assert result.differs_from_greedy.empty


FLOORS = notes([
    ("A", "KEN", "Africa", 1, 400, 90.0, True, False, 2, "2026-01-01"),
    ("B", "UGA", "Africa", 1, 200, 85.0, True, False, 2, "2026-01-01"),
    ("C", "BGD", "Asia", 2, 250, 80.0, True, False, 2, "2026-01-01"),
    ("G", "NPL", "Asia", 2, 200, 70.0, True, False, 2, "2026-01-01"),
    ("H", "MEX", "LAC", 4, 300, 60.0, True, False, 2, "2026-01-01"),
    ("D", "PER", "LAC", 3, 150, 50.0, True, False, 2, "2026-01-01"),
    ("E", "ECU", "LAC", 3, 100, 45.0, True, False, 2, "2026-01-01"),
    ("F", "CHL", "LAC", 3, 250, 40.0, True, False, 2, "2026-01-01"),
])
FLOORS_FUNDS = Funds(900, {2: 400})


def test_floor_pulls_lower_scored_notes_in():
    # Envelope 1300. Floor of area 3: floor(0.15 × 1300) = 195; cap of area 1: 0.4 × 1300 = 520.
    # Pass 1 funds D (150 < 195) then E (250 ≥ 195, stop), leaving 650 unearmarked. Pass 2: A takes
    # 400 (250 left); B would bring area 1 to 600 > 520; C takes 250 of the 400 earmarked for area
    # 2; G takes the other 150 and 50 unearmarked (200 left); H (300) and F (250) do not fit.
    policy = AllocationPolicy(thematic_floor={3: 0.15}, thematic_cap={1: 0.4},
                              max_per_country=None)
    result = allocate(FLOORS, FLOORS_FUNDS, policy)
    assert_result(result, [
        ("A", 1, "funded", 400, 0, 400),
        ("B", 2, "thematic_cap", 0, 0, 0),
        ("C", 3, "funded", 250, 250, 0),
        ("G", 4, "funded", 200, 150, 50),
        ("H", 5, "insufficient_funds", 0, 0, 0),
        ("D", 6, "funded", 150, 0, 150),
        ("E", 7, "funded", 100, 0, 100),
        ("F", 8, "insufficient_funds", 0, 0, 0),
    ])
    summary = result.summary
    assert (summary.envelope, summary.allocated, summary.from_earmarked) == (1300, 1100, 400)
    assert (summary.left_unearmarked, summary.left_earmarked) == (200, {2: 0})
    by_area = pd.DataFrame(
        {"n_notes": [2, 2, 3, 1], "requested": [600, 450, 500, 300], "n_funded": [1, 2, 2, 0],
         "allocated": [400, 450, 250, 0], "from_earmarked": [0, 400, 0, 0],
         "from_unearmarked": [400, 50, 250, 0], "earmarked": [0, 400, 0, 0],
         "earmarked_left": [0, 0, 0, 0], "floor_share": [0.0, 0.0, 0.15, 0.0],
         "floor_amount": [0, 0, 195, 0], "cap_share": [0.4, NAN, NAN, NAN],
         "cap_amount": pd.array([520, None, None, None], dtype="Int64")},
        index=pd.Index([1, 2, 3, 4], name="thematic_area"))
    pd.testing.assert_frame_equal(summary.by_area, by_area)
    by_region = pd.DataFrame(
        {"n_notes": [2, 2, 4], "requested": [600, 450, 800], "n_funded": [1, 2, 2],
         "allocated": [400, 450, 250], "cap_share": [NAN, NAN, NAN],
         "cap_amount": pd.array([None, None, None], dtype="Int64")},
        index=pd.Index(["Africa", "Asia", "LAC"], name="region", dtype=str))
    pd.testing.assert_frame_equal(summary.by_region, by_region)


def test_without_the_floor_the_higher_scored_note_gets_the_money():
    # Same notes, no floor: H (60) is funded from the 450 left after A and G; then D takes the
    # last 150 and E, F find nothing.
    policy = AllocationPolicy(thematic_cap={1: 0.4}, max_per_country=None)
    assert_result(allocate(FLOORS, FLOORS_FUNDS, policy), [
        ("A", 1, "funded", 400, 0, 400),
        ("B", 2, "thematic_cap", 0, 0, 0),
        ("C", 3, "funded", 250, 250, 0),
        ("G", 4, "funded", 200, 150, 50),
        ("H", 5, "funded", 300, 0, 300),
        ("D", 6, "funded", 150, 0, 150),
        ("E", 7, "insufficient_funds", 0, 0, 0),
        ("F", 8, "insufficient_funds", 0, 0, 0),
    ])


LIMITS = notes([
    ("S", "NPL", "Asia", 3, 300, 80.0, True, False, 2, "2026-01-01"),
    ("Q", "KEN", "Africa", 2, 150, 70.0, True, False, 2, "2026-01-01"),
    ("Y", "UGA", "Africa", 5, 100, 65.0, True, False, 2, "2026-01-01"),
    ("X", "UGA", "Africa", 2, 250, 60.0, True, False, 2, "2026-01-01"),
    ("Z", "ETH", "Africa", 4, 150, 55.0, True, False, 2, "2026-01-01"),
    ("P", "KEN", "Africa", 1, 300, 50.0, True, False, 2, "2026-01-01"),
    ("R", "BGD", "Asia", 2, 200, 40.0, True, False, 2, "2026-01-01"),
])


def test_country_and_region_limits_and_reevaluation_after_the_floors():
    # Envelope 1000; floors: area 1 300, area 2 200; Africa capped at 500; one note per country.
    # Pass 1, area 1: P (KEN, 300). Area 2: Q is KEN (country_limit), X would bring Africa to 550
    # (region_cap), R reaches the floor. Pass 2: S; Q again country_limit; Y (UGA, Africa 400);
    # X now fails first on its country (UGA has Y): its last evaluation counts; Z would bring
    # Africa to 550 (region_cap, checked before money, of which 100 is left).
    policy = AllocationPolicy(thematic_floor={1: 0.3, 2: 0.2}, region_cap={"Africa": 0.5})
    result = allocate(LIMITS, Funds(1000), policy)
    assert_result(result, [
        ("S", 1, "funded", 300, 0, 300),
        ("Q", 2, "country_limit", 0, 0, 0),
        ("Y", 3, "funded", 100, 0, 100),
        ("X", 4, "country_limit", 0, 0, 0),
        ("Z", 5, "region_cap", 0, 0, 0),
        ("P", 6, "funded", 300, 0, 300),
        ("R", 7, "funded", 200, 0, 200),
    ])
    assert result.summary.by_region.loc["Africa", "cap_amount"] == 500
    assert result.summary.by_region.loc["Africa", "allocated"] == 400


def test_two_per_country():
    # With max_per_country=2 and no floors, UGA gets Y and X, which fills Africa's 500 exactly
    # (150 + 100 + 250); Z and P (KEN's second) then hit the Africa cap; R takes the last 200.
    policy = AllocationPolicy(region_cap={"Africa": 0.5}, max_per_country=2)
    assert_result(allocate(LIMITS, Funds(1000), policy), [
        ("S", 1, "funded", 300, 0, 300),
        ("Q", 2, "funded", 150, 0, 150),
        ("Y", 3, "funded", 100, 0, 100),
        ("X", 4, "funded", 250, 0, 250),
        ("Z", 5, "region_cap", 0, 0, 0),
        ("P", 6, "region_cap", 0, 0, 0),
        ("R", 7, "funded", 200, 0, 200),
    ])


EARMARKS = notes([
    ("A", "KEN", "Africa", 1, 500, 90.0, True, False, 2, "2026-01-01"),
    ("B", "UGA", "Africa", 2, 600, 80.0, True, False, 2, "2026-01-01"),
    ("C", "ETH", "Africa", 2, 300, 70.0, True, False, 2, "2026-01-01"),
    ("D", "BGD", "Asia", 1, 100, 60.0, True, False, 2, "2026-01-01"),
    ("E", "NPL", "Asia", 2, 200, 50.0, True, False, 2, "2026-01-01"),
])


def test_earmarked_money_only_funds_its_own_area():
    # 1100 in all, but 1000 of it is earmarked for area 2: A (area 1, 500) cannot use it.
    # B and C spend 900 of the earmark; D takes the 100 unearmarked; E (200) finds only the
    # 100 left of area 2's earmark.
    result = allocate(EARMARKS, Funds(100, {2: 1000}), AllocationPolicy())
    assert_result(result, [
        ("A", 1, "insufficient_funds", 0, 0, 0),
        ("B", 2, "funded", 600, 600, 0),
        ("C", 3, "funded", 300, 300, 0),
        ("D", 4, "funded", 100, 0, 100),
        ("E", 5, "insufficient_funds", 0, 0, 0),
    ])
    assert result.summary.left_earmarked == {2: 100}
    assert result.summary.left_unearmarked == 0


TIES = notes([
    ("N1", "KEN", "Africa", 1, 100, 70.0, True, False, 2, "2026-01-02"),
    ("N2", "UGA", "Africa", 1, 100, 70.0, True, False, 3, "2026-01-05"),
    ("N3", "ETH", "Africa", 1, 100, 70.0, True, False, 2, "2026-01-01"),
    ("N0", "RWA", "Africa", 1, 100, 70.0, True, False, 2, "2026-01-01"),
    ("N4", "MEX", "LAC", 1, 100, 68.0, True, True, 2, "2026-01-09"),
    ("N5", "PER", "LAC", 1, 100, 65.0, True, True, 1, "2026-01-01"),
])


def test_ties_are_broken_by_marker_then_date_then_id_and_champions_get_their_bonus():
    # Bonus 5: N4 (68 + 5 = 73) leads; the 70s are ordered by gender marker (N2 has 3), then
    # date (N0 and N3 on 1 January before N1), then note_id (N0 before N3); N5 (65 + 5 = 70) ties
    # on score but has marker 1. Money for three notes decides which tie wins.
    result = allocate(TIES, Funds(300), AllocationPolicy(champion_bonus=5))
    assert_result(result, [
        ("N4", 1, "funded", 100, 0, 100),
        ("N2", 2, "funded", 100, 0, 100),
        ("N0", 3, "funded", 100, 0, 100),
        ("N3", 4, "insufficient_funds", 0, 0, 0),
        ("N1", 5, "insufficient_funds", 0, 0, 0),
        ("N5", 6, "insufficient_funds", 0, 0, 0),
    ])
    assert result.table["priority_score"].tolist() == [73.0, 70.0, 70.0, 70.0, 70.0, 70.0]
    assert result.table["score"].tolist() == [68.0, 70.0, 70.0, 70.0, 70.0, 65.0]


def test_without_the_bonus_champions_take_their_place_by_score():
    result = allocate(TIES, Funds(300), AllocationPolicy(champion_bonus=0))
    assert result.table["note_id"].tolist() == ["N2", "N0", "N3", "N1", "N4", "N5"]
    assert result.table.loc[result.table["status"] == "funded", "note_id"].tolist() == [
        "N2", "N0", "N3"]


def test_numeric_note_ids_break_ties_in_numeric_order():
    frame = notes([
        (10, "KEN", "Africa", 1, 100, 70.0, True, False, 2, "2026-01-01"),
        (9, "UGA", "Africa", 1, 100, 70.0, True, False, 2, "2026-01-01"),
    ])
    assert_result(allocate(frame, Funds(100), AllocationPolicy()), [
        (9, 1, "funded", 100, 0, 100),
        (10, 2, "insufficient_funds", 0, 0, 0),
    ])


def test_submission_times_as_text_or_with_time_zones():
    # 10:00 in Nairobi (07:00 UTC) is before 08:00 UTC.
    frame = pd.DataFrame(
        [("A", "KEN", "Africa", 1, 100, 70.0, True, False, 2, "2026-01-01T08:00:00Z"),
         ("B", "UGA", "Africa", 1, 100, 70.0, True, False, 2, "2026-01-01T10:00:00+03:00")],
        columns=list(NOTE_COLUMNS))
    expected = [("B", 1, "funded", 100, 0, 100), ("A", 2, "insufficient_funds", 0, 0, 0)]
    assert_result(allocate(frame, Funds(100), AllocationPolicy()), expected)
    frame["submitted_at"] = pd.to_datetime(frame["submitted_at"], utc=True)
    assert_result(allocate(frame, Funds(100), AllocationPolicy()), expected)


def test_an_envelope_that_funds_nothing():
    result = allocate(EARMARKS, Funds(50, {3: 40}), AllocationPolicy())
    assert (result.table["status"] == "insufficient_funds").all()
    assert (result.summary.allocated, result.summary.left_unearmarked) == (0, 50)
    assert result.summary.left_earmarked == {3: 40}
    assert result.summary.by_area["n_funded"].tolist() == [0, 0, 0]


@pytest.mark.parametrize("method", ["greedy", "optimal"])
def test_an_empty_pipeline(method):
    empty = notes([])
    result = allocate(empty, Funds(100, {1: 50}), AllocationPolicy(thematic_floor={1: 0.5}),
                      method=method)
    assert list(result.table.columns) == list(TABLE_COLUMNS)
    assert result.table.empty
    assert (result.summary.envelope, result.summary.allocated) == (150, 0)
    assert result.summary.by_area.index.tolist() == [1]
    assert result.summary.by_area.loc[1, "floor_amount"] == 75
    assert result.objective == 0


def test_shares_are_read_as_decimals_and_rounded_down_to_the_cent():
    # 0.3 as a float is a shade under 3/10; the cap is still 300 cents of 1000, so a note of 300
    # fits. 0.15 of 999 is 149.85, floored to 149.
    frame = notes([("A", "KEN", "Africa", 1, 300, 70.0, True, False, 2, "2026-01-01")])
    result = allocate(frame, Funds(1000), AllocationPolicy(thematic_cap={1: 0.3}))
    assert result.table["status"].tolist() == ["funded"]
    assert result.summary.by_area.loc[1, "cap_amount"] == 300
    policy = AllocationPolicy(thematic_floor={1: 0.15}, region_cap={"Africa": 0.15})
    result = allocate(frame, Funds(999), policy)
    assert result.summary.by_area.loc[1, "floor_amount"] == 149
    assert result.summary.by_region.loc["Africa", "cap_amount"] == 149


def test_quorum_not_required():
    frame = notes([
        ("A", "KEN", "Africa", 1, 100, 60.0, False, False, 2, "2026-01-01"),
        ("B", "UGA", "Africa", 1, 100, 50.0, True, False, 2, "2026-01-01"),
    ])
    assert_result(allocate(frame, Funds(100), AllocationPolicy(require_quorum=False)), [
        ("A", 1, "funded", 100, 0, 100),
        ("B", 2, "insufficient_funds", 0, 0, 0),
    ])
    # With quorum required, A (60, no quorum) comes after B (50), which met it.
    assert_result(allocate(frame, Funds(100), AllocationPolicy()), [
        ("B", 1, "funded", 100, 0, 100),
        ("A", 2, "no_quorum", 0, 0, 0),
    ])


def test_notes_without_quorum_come_after_every_note_with_it():
    # A had one review (95): it is ordered after B, C and D whatever its score, and after the
    # notes that fail another rule (D is below the minimum score); E has no score at all.
    frame = notes([
        ("A", "KEN", "Africa", 1, 100, 95.0, False, False, 2, "2026-01-01"),
        ("B", "UGA", "Africa", 1, 100, 80.0, True, False, 2, "2026-01-01"),
        ("C", "BGD", "Asia", 1, 100, 70.0, True, False, 2, "2026-01-01"),
        ("D", "NPL", "Asia", 1, 100, 30.0, True, False, 2, "2026-01-01"),
        ("E", "MEX", "LAC", 1, 100, NAN, False, False, 2, "2026-01-01"),
    ])
    assert_result(allocate(frame, Funds(150), AllocationPolicy(min_score=40)), [
        ("B", 1, "funded", 100, 0, 100),
        ("C", 2, "insufficient_funds", 0, 0, 0),
        ("D", 3, "below_min_score", 0, 0, 0),
        ("A", 4, "no_quorum", 0, 0, 0),
        ("E", 5, "no_quorum", 0, 0, 0),
    ])


def test_input_is_not_changed():
    frame = FLOORS.copy()
    allocate(frame, FLOORS_FUNDS, AllocationPolicy(thematic_floor={3: 0.15}),
             method="optimal")
    pd.testing.assert_frame_equal(frame, FLOORS)


# --- optimal ------------------------------------------------------------------------------------

KNAPSACK = notes([
    ("A", "KEN", "Africa", 1, 600, 90.0, True, False, 2, "2026-01-01"),
    ("B", "UGA", "Africa", 1, 500, 80.0, True, False, 2, "2026-01-01"),
    ("C", "ETH", "Africa", 2, 500, 80.0, True, False, 2, "2026-01-01"),
])


def test_optimal_funds_two_notes_where_greedy_funds_one():
    # Greedy: A (600) leaves 400, too little for B or C: objective 90 × 600 = 54,000.
    # Optimal: B and C use the 1000 whole: 80 × 500 × 2 = 80,000.
    result = allocate(KNAPSACK, Funds(1000), AllocationPolicy(), method="optimal")
    assert_result(result, [
        ("A", 1, "insufficient_funds", 0, 0, 0),
        ("B", 2, "funded", 500, 0, 500),
        ("C", 3, "funded", 500, 0, 500),
    ])
    assert (result.method, result.fell_back, result.message) == ("optimal", False, "optimal")
    assert (result.objective, result.greedy_objective) == (80_000, 54_000)
    assert result.improvement == 26_000
    expected = pd.DataFrame(
        [("A", "funded", "insufficient_funds", 600, 0),
         ("B", "insufficient_funds", "funded", 0, 500),
         ("C", "insufficient_funds", "funded", 0, 500)],
        columns=["note_id", "greedy_status", "optimal_status", "greedy_amount",
                 "optimal_amount"])
    pd.testing.assert_frame_equal(result.differs_from_greedy, expected)


def test_optimal_lowers_a_floor_greedy_could_not_reach():
    # Area 2's floor is 500 of 1000 but its only note asks 1200: greedy reaches 0 there, and so
    # may the optimal allocation.
    frame = notes([
        ("A", "KEN", "Africa", 1, 600, 90.0, True, False, 2, "2026-01-01"),
        ("B", "UGA", "Africa", 1, 500, 80.0, True, False, 2, "2026-01-01"),
        ("C", "ETH", "Africa", 1, 500, 80.0, True, False, 2, "2026-01-01"),
        ("D", "RWA", "Africa", 2, 1200, 95.0, True, False, 2, "2026-01-01"),
    ])
    result = allocate(frame, Funds(1000), AllocationPolicy(thematic_floor={2: 0.5}),
                      method="optimal")
    assert not result.fell_back
    assert result.table.set_index("note_id")["status"].to_dict() == {
        "D": "insufficient_funds", "A": "insufficient_funds", "B": "funded", "C": "funded"}


def test_optimal_keeps_a_floor_greedy_reached():
    # Area 2's floor (400) makes greedy fund D first; optimal must keep ≥ 400 in area 2, so it
    # cannot take B and C: it keeps D and adds A (objective 90 × 600 + 50 × 400).
    frame = notes([
        ("A", "KEN", "Africa", 1, 600, 90.0, True, False, 2, "2026-01-01"),
        ("B", "UGA", "Africa", 1, 500, 80.0, True, False, 2, "2026-01-01"),
        ("C", "ETH", "Africa", 1, 500, 80.0, True, False, 2, "2026-01-01"),
        ("D", "RWA", "Africa", 2, 400, 50.0, True, False, 2, "2026-01-01"),
    ])
    result = allocate(frame, Funds(1000), AllocationPolicy(thematic_floor={2: 0.4}),
                      method="optimal")
    assert_result(result, [
        ("A", 1, "funded", 600, 0, 600),
        ("B", 2, "insufficient_funds", 0, 0, 0),
        ("C", 3, "insufficient_funds", 0, 0, 0),
        ("D", 4, "funded", 400, 0, 400),
    ])
    assert result.objective == result.greedy_objective == 74_000
    assert result.differs_from_greedy.empty


def test_optimal_falls_back_to_greedy_when_the_solver_finds_nothing(monkeypatch):
    monkeypatch.setattr(allocate_module, "milp",
                        lambda **_: SimpleNamespace(x=None, status=1, message="time limit"))
    result = allocate(KNAPSACK, Funds(1000), AllocationPolicy(), method="optimal")
    assert result.fell_back
    assert "time limit" in result.message
    assert result.table["status"].tolist() == ["funded", "insufficient_funds",
                                               "insufficient_funds"]
    assert result.objective == result.greedy_objective
    assert result.differs_from_greedy.empty


def test_optimal_falls_back_when_the_rounded_solution_breaks_a_rule(monkeypatch):
    monkeypatch.setattr(allocate_module, "milp",
                        lambda **_: SimpleNamespace(x=np.ones(5), status=0, message="ok"))
    result = allocate(KNAPSACK, Funds(1000), AllocationPolicy(), method="optimal")
    assert result.fell_back
    assert "insufficient_funds" in result.message
    assert result.table["amount"].tolist() == [600, 0, 0]


def test_optimal_funds_a_left_out_note_that_still_fits(monkeypatch):
    # A solver stopped early with only B chosen: C still fits and is funded.
    monkeypatch.setattr(allocate_module, "milp", lambda **_: SimpleNamespace(
        x=np.array([0.0, 1.0, 0.0, 0.0, 0.0]), status=1, message="time limit reached"))
    result = allocate(KNAPSACK, Funds(1000), AllocationPolicy(), method="optimal")
    assert not result.fell_back
    assert result.message == ("solver stopped early: time limit reached; 1 note(s) the solver "
                              "left out still fitted and were funded")
    assert result.table["status"].tolist() == ["insufficient_funds", "funded", "funded"]


# A cycle on which HiGHS (in scipy 1.17) finds a solution its presolve cannot map back exactly
# and says so with printf on file descriptor 1, whatever its options: two lines of
# "HighsMipSolverData::transformNewIntegerFeasibleSolution tmpSolver.run();".
TALKATIVE = notes([
    (f"N{k:02d}", country, region, area, requested, score, True, champion, 2, "2026-01-01")
    for k, (country, region, area, requested, score, champion) in enumerate([
        ("MEX", "LAC", 1, 160_520_055, 92.414367, False),
        ("JOR", "Arab", 1, 274_007_151, 84.263811, True),
        ("UGA", "Africa", 5, 175_377_835, 65.493859, False),
        ("NPL", "Asia", 1, 74_546_081, 92.410514, True),
        ("NPL", "Asia", 3, 75_694_462, 60.574011, True),
        ("JOR", "Arab", 4, 84_836_786, 87.013870, True),
        ("NPL", "Asia", 5, 154_776_627, 56.626316, True),
        ("BGD", "Asia", 4, 250_911_452, 90.133085, False),
        ("FJI", "Asia", 5, 84_258_930, 54.049541, False),
        ("JOR", "Arab", 3, 126_766_625, 98.130538, True),
        ("NPL", "Asia", 3, 79_554_801, 89.344818, True),
        ("UGA", "Africa", 2, 142_097_320, 71.719158, False),
        ("UGA", "Africa", 2, 54_892_597, 80.900657, True),
        ("MEX", "LAC", 3, 93_688_477, 77.083895, False),
        ("KEN", "Africa", 3, 205_631_041, 59.075092, True),
        ("UGA", "Africa", 2, 262_743_016, 58.360734, False),
        ("UGA", "Africa", 3, 257_456_951, 57.131556, True),
        ("JOR", "Arab", 1, 212_407_968, 98.222522, True),
        ("PER", "LAC", 2, 67_859_348, 92.785761, True),
        ("JOR", "Arab", 2, 155_974_185, 64.769326, False),
        ("FJI", "Asia", 5, 239_805_622, 88.036118, False),
        ("RWA", "Africa", 2, 96_904_305, 67.041190, True),
        ("UGA", "Africa", 1, 114_892_079, 47.443628, True),
        ("UGA", "Africa", 2, 82_634_026, 42.382930, False),
    ])])
TALKATIVE_FUNDS = Funds(1_043_127_184, {5: 98_139_209, 3: 236_471_060})
TALKATIVE_POLICY = AllocationPolicy(thematic_floor={1: 0.2}, thematic_cap={4: 0.3},
                                    region_cap={"Asia": 0.3}, max_per_country=3,
                                    champion_bonus=2.0)


def test_the_solver_prints_nothing(capfd):
    result = allocate(TALKATIVE, TALKATIVE_FUNDS, TALKATIVE_POLICY, method="optimal")
    assert capfd.readouterr() == ("", "")
    assert (result.fell_back, result.message) == (False, "optimal")
    check_rules(TALKATIVE, TALKATIVE_FUNDS, TALKATIVE_POLICY, result)


def test_native_writes_are_silenced_only_while_solving(capfd):
    os.write(1, b"before\n")
    with allocate_module._quiet_stdout(), allocate_module._quiet_stdout():
        os.write(1, b"inside\n")
    os.write(1, b"after\n")
    assert capfd.readouterr().out == "before\nafter\n"


def test_solves_in_threads_share_one_silence(capfd):
    """Many solves at once: nothing printed while any runs, standard output back after."""
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: allocate(TALKATIVE, TALKATIVE_FUNDS,
                                                   TALKATIVE_POLICY, method="optimal"),
                                range(8)))
    os.write(1, b"after\n")
    assert capfd.readouterr() == ("after\n", "")
    assert {r.objective for r in results} == {results[0].objective}


# --- validation ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("kwargs", "message"), [
    ({"min_score": NAN}, "min_score"),
    ({"require_quorum": "yes"}, "require_quorum"),
    ({"thematic_floor": {1: 1.5}}, r"thematic_floor\[1\]"),
    ({"thematic_floor": {"1": 0.5}}, "thematic_floor: keys"),
    ({"thematic_cap": {2: -0.1}}, r"thematic_cap\[2\]"),
    ({"region_cap": {"Africa": 2}}, r"region_cap\['Africa'\]"),
    ({"region_cap": {"": 0.5}}, "region_cap: keys"),
    ({"thematic_floor": {1: 0.3}, "thematic_cap": {1: 0.2}},
     r"thematic_floor\[1\] \(0.3\) is above thematic_cap\[1\] \(0.2\)"),
    ({"thematic_floor": {1: 0.5, 2: 0.6}}, "thematic_floor shares add up to more than 1"),
    ({"max_per_country": 0}, "max_per_country"),
    ({"max_per_country": 1.5}, "max_per_country"),
    ({"max_per_country": True}, "max_per_country"),
    ({"champion_bonus": -1}, "champion_bonus"),
    ({"min_gender_marker": 4}, "min_gender_marker"),
])
def test_policy_validation_names_the_field(kwargs, message):
    with pytest.raises(ValueError, match=message):
        AllocationPolicy(**kwargs)


def test_floors_adding_up_to_exactly_one_are_accepted():
    floors = {1: 0.28, 2: 0.29, 3: 0.33, 4: 0.1}  # 1.0000000000000002 in float arithmetic
    assert AllocationPolicy(thematic_floor=floors).thematic_floor == floors


def test_policy_survives_a_json_round_trip():
    policy = AllocationPolicy(min_score=55, require_quorum=False,
                              thematic_floor={1: 0.1, 3: 0.2}, thematic_cap={1: 0.4},
                              region_cap={"Africa": 0.35}, max_per_country=None,
                              champion_bonus=2.5, min_gender_marker=1)
    stored = json.dumps(policy.to_dict())
    assert json.loads(stored) == policy.to_dict()
    assert AllocationPolicy.from_dict(json.loads(stored)) == policy
    assert AllocationPolicy.from_dict({}) == AllocationPolicy()


def test_policy_from_dict_refuses_unknown_fields_and_bad_keys():
    with pytest.raises(ValueError, match="unknown allocation policy fields: cap"):
        AllocationPolicy.from_dict({"cap": 1})
    with pytest.raises(ValueError, match="thematic_cap: keys"):
        AllocationPolicy.from_dict({"thematic_cap": {"one": 0.5}})


@pytest.mark.parametrize(("args", "message"), [
    ((-1,), "unearmarked"),
    ((10.0,), "unearmarked"),
    ((10, {1: -5}), r"earmarked\[1\]"),
    ((10, {1: 2.5}), r"earmarked\[1\]"),
    ((10, {"1": 5}), "earmarked: keys"),
])
def test_funds_validation(args, message):
    with pytest.raises(ValueError, match=message):
        Funds(*args)


def test_funds_total():
    assert Funds(100, {1: 20, 3: 5}).total == 125
    assert Funds(0).total == 0


def test_missing_columns_are_named():
    with pytest.raises(ValueError, match="missing columns: score, champion"):
        allocate(FLOORS.drop(columns=["champion", "score"]), Funds(10), AllocationPolicy())


def bad(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(NOTE_COLUMNS), index=[10, 11, 12])


OK = ("A", "KEN", "Africa", 1, 100, 70.0, True, False, 2, "2026-01-01")


@pytest.mark.parametrize(("change", "message"), [
    ({"note_id": ["A", "B", "A"]}, r"note_id: duplicated \(rows 10, 12\)"),
    ({"note_id": ["A", None, "C"]}, r"note_id: missing \(rows 11\)"),
    ({"note_id": ["A", 2, "C"]}, "note_id: values must be all numbers or all texts"),
    ({"requested": [100, 0, -5]}, r"requested: must be a positive number of cents \(rows 11, 12\)"),
    ({"requested": [100.0, 10.5, 7.0]}, r"requested: must be a whole number \(rows 11\)"),
    ({"requested": [100, None, 7]}, r"requested: missing \(rows 11\)"),
    ({"requested": [100, "100", 7]}, r"requested: must be a whole number \(rows 11\)"),
    ({"score": [70.0, NAN, 80.0]}, r"score: missing for a note that met quorum \(rows 11\)"),
    ({"score": [70.0, float("inf"), 80.0]}, r"score: must be finite \(rows 11\)"),
    ({"score": [70.0, "high", 80.0]}, r"score: must be a number \(rows 11\)"),
    ({"quorum_met": [True, "yes", None]},
     r"quorum_met: missing \(rows 12\); quorum_met: must be true or false \(rows 11\)"),
    ({"gender_marker": [2, 4, -1]}, r"gender_marker: must be a marker 0 to 3 \(rows 11, 12\)"),
    ({"thematic_area": [1, 1.5, 2]}, r"thematic_area: must be a whole number \(rows 11\)"),
    ({"country": ["KEN", "", None]},
     r"country: missing \(rows 12\); country: must be a non-empty text \(rows 11\)"),
    ({"region": ["Africa", 3, "Asia"]}, r"region: must be a non-empty text \(rows 11\)"),
    ({"submitted_at": ["2026-01-01", "soon", None]},
     r"submitted_at: missing \(rows 12\); submitted_at: must be a date and time \(rows 11\)"),
])
def test_input_validation_names_columns_and_rows(change, message):
    frame = bad([OK, OK[:1] + ("B",) + OK[2:], OK[:1] + ("C",) + OK[2:]])
    frame["note_id"] = ["A", "B", "C"]
    for column, values in change.items():
        frame[column] = pd.Series(values, index=frame.index, dtype=object)
    with pytest.raises(ValueError, match=message):
        allocate(frame, Funds(1000), AllocationPolicy())


def test_all_problems_are_reported_together():
    frame = bad([OK, OK, OK])
    frame["requested"] = [100, 0, 100]
    with pytest.raises(ValueError) as raised:
        allocate(frame, Funds(1000), AllocationPolicy())
    assert str(raised.value) == (
        "invalid concept notes: note_id: duplicated (rows 10, 11, 12); "
        "requested: must be a positive number of cents (rows 11)")


def test_missing_score_is_fine_without_quorum_but_not_when_quorum_is_not_required():
    frame = notes([("A", "KEN", "Africa", 1, 100, NAN, False, False, 2, "2026-01-01")])
    assert allocate(frame, Funds(100), AllocationPolicy()).table["status"].tolist() == [
        "no_quorum"]
    with pytest.raises(ValueError, match=r"score: missing \(quorum is not required"):
        allocate(frame, Funds(100), AllocationPolicy(require_quorum=False))


def test_bad_arguments():
    with pytest.raises(ValueError, match="method must be one of greedy, optimal"):
        allocate(KNAPSACK, Funds(10), AllocationPolicy(), method="best")
    with pytest.raises(ValueError, match="time_limit"):
        allocate(KNAPSACK, Funds(10), AllocationPolicy(), time_limit=0)
    with pytest.raises(TypeError, match="funds must be a Funds"):
        allocate(KNAPSACK, 10, AllocationPolicy())
    with pytest.raises(TypeError, match="notes must be a pandas DataFrame"):
        allocate(KNAPSACK.to_dict("records"), Funds(10), AllocationPolicy())


# --- properties ---------------------------------------------------------------------------------

SHARES = st.sampled_from([0.0, 0.1, 0.25, 0.4, 0.6])


@st.composite
def cycles(draw):
    """A small random cycle: notes, funds and a policy."""
    n = draw(st.integers(0, 7))
    rows = []
    for k in range(n):
        quorum = draw(st.booleans()) or draw(st.booleans())
        rows.append((
            f"N{k}",
            draw(st.sampled_from(["KEN", "UGA", "BGD", "NPL"])),
            "",  # the region follows the country
            draw(st.integers(1, 3)),
            draw(st.integers(1, 120)),
            draw(st.sampled_from([50.0, 60.0, 60.0, 70.0, 85.5])) if quorum else NAN,
            quorum,
            draw(st.booleans()),
            draw(st.integers(0, 3)),
            draw(st.sampled_from(["2026-01-01", "2026-01-02", "2026-02-01"])),
        ))
    frame = notes(rows)
    frame["region"] = frame["country"].map({"KEN": "Africa", "UGA": "Africa", "BGD": "Asia",
                                             "NPL": "Asia"})
    funds = Funds(draw(st.integers(0, 300)),
                  draw(st.dictionaries(st.integers(1, 4), st.integers(0, 150), max_size=3)))
    floors = draw(st.dictionaries(st.integers(1, 3), st.sampled_from([0.1, 0.25, 0.4]),
                                  max_size=2))
    caps = {a: max(floors.get(a, 0), draw(SHARES))
            for a in draw(st.sets(st.integers(1, 3), max_size=2))}
    policy = AllocationPolicy(
        min_score=draw(st.sampled_from([0, 55])),
        require_quorum=True,
        thematic_floor=floors,
        thematic_cap=caps,
        region_cap=draw(st.dictionaries(st.sampled_from(["Africa", "Asia"]), SHARES,
                                        max_size=2)),
        max_per_country=draw(st.sampled_from([None, 1, 2])),
        champion_bonus=draw(st.sampled_from([0, 5, 10])),
        min_gender_marker=draw(st.sampled_from([None, 1])),
    )
    return frame, funds, policy


def check_rules(frame: pd.DataFrame, funds: Funds, policy: AllocationPolicy, result) -> None:
    """Every rule an allocation must keep, checked from the table alone."""
    table = result.table
    assert sorted(table["note_id"]) == sorted(frame["note_id"])
    assert table["order"].tolist() == list(range(1, len(frame) + 1))
    assert set(table["status"]) <= set(STATUSES)
    funded = table["status"] == "funded"
    assert (table["amount"] == table["requested"].where(funded, 0)).all()
    assert (table["from_earmarked"] + table["from_unearmarked"] == table["amount"]).all()
    assert (table[["amount", "from_earmarked", "from_unearmarked"]] >= 0).all().all()
    envelope = funds.total
    assert table["amount"].sum() <= envelope
    assert table["from_unearmarked"].sum() <= funds.unearmarked
    by_area = table.groupby("thematic_area")[["amount", "from_earmarked"]].sum()
    for area, row in by_area.iterrows():
        assert row["from_earmarked"] <= funds.earmarked.get(area, 0)
        if area in policy.thematic_cap:
            assert row["amount"] <= math.floor(policy.thematic_cap[area] * envelope + 1e-9)
    for region, amount in table.groupby("region")["amount"].sum().items():
        if region in policy.region_cap:
            assert amount <= math.floor(policy.region_cap[region] * envelope + 1e-9)
    if policy.max_per_country is not None:
        assert (funded.groupby(table["country"]).sum() <= policy.max_per_country).all()
    source = frame.set_index("note_id").loc[table["note_id"]]
    no_quorum = ~source["quorum_met"].to_numpy()
    low = source["score"].to_numpy() < policy.min_score
    marker = (policy.min_gender_marker is not None
              and source["gender_marker"].to_numpy() < policy.min_gender_marker)
    expected = np.where(no_quorum, "no_quorum", np.where(low, "below_min_score",
                                                         np.where(marker, "marker", "")))
    status = table["status"].to_numpy(dtype=object)
    ineligible = expected != ""
    assert (status[ineligible] == expected[ineligible]).all()
    assert not np.isin(status[~ineligible], ["no_quorum", "below_min_score", "marker"]).any()
    summary = result.summary
    assert summary.allocated == table["amount"].sum()
    assert summary.left_unearmarked == funds.unearmarked - table["from_unearmarked"].sum()
    for area, left in summary.left_earmarked.items():
        spent = table.loc[table["thematic_area"] == area, "from_earmarked"].sum()
        assert left == funds.earmarked[area] - spent


@settings(max_examples=150, deadline=None)
@given(cycles())
def test_greedy_keeps_every_rule(cycle):
    frame, funds, policy = cycle
    check_rules(frame, funds, policy, allocate(frame, funds, policy))


@settings(max_examples=60, deadline=None)
@given(cycles(), st.randoms(use_true_random=False))
def test_result_does_not_depend_on_row_order(cycle, rnd):
    frame, funds, policy = cycle
    rows = list(range(len(frame)))
    rnd.shuffle(rows)
    shuffled = frame.iloc[rows]
    for method in ("greedy", "optimal"):
        one = allocate(frame, funds, policy, method=method)
        two = allocate(shuffled, funds, policy, method=method)
        pd.testing.assert_frame_equal(one.table, two.table)
        pd.testing.assert_frame_equal(one.summary.by_area, two.summary.by_area)
        pd.testing.assert_frame_equal(one.summary.by_region, two.summary.by_region)


def best_objective(table: pd.DataFrame, funds: Funds, policy: AllocationPolicy,
                   greedy_area_total: dict[int, int]) -> float:
    """The best Σ score × requested over every feasible set of eligible notes, by brute force."""
    envelope = funds.total
    eligible = table[~table["status"].isin(["no_quorum", "below_min_score", "marker"])]
    notes_ = list(eligible.itertuples())
    best = 0.0
    for chosen in itertools.product([False, True], repeat=len(notes_)):
        picked = [note for note, take in zip(notes_, chosen, strict=True) if take]
        area: dict = {}
        region: dict = {}
        country: dict = {}
        for note in picked:
            area[note.thematic_area] = area.get(note.thematic_area, 0) + note.requested
            region[note.region] = region.get(note.region, 0) + note.requested
            country[note.country] = country.get(note.country, 0) + 1
        if policy.max_per_country is not None and max(country.values(), default=0) > \
                policy.max_per_country:
            continue
        if any(total > math.floor(policy.thematic_cap[a] * envelope + 1e-9)
               for a, total in area.items() if a in policy.thematic_cap):
            continue
        if any(total > math.floor(policy.region_cap[r] * envelope + 1e-9)
               for r, total in region.items() if r in policy.region_cap):
            continue
        unearmarked = sum(max(0, total - funds.earmarked.get(a, 0)) for a, total in area.items())
        if unearmarked > funds.unearmarked:
            continue
        if any(area.get(a, 0) < min(math.floor(share * envelope + 1e-9),
                                    greedy_area_total.get(a, 0))
               for a, share in policy.thematic_floor.items()):
            continue
        best = max(best, math.fsum(note.score * note.requested for note in picked))
    return best


@settings(max_examples=80, deadline=None)
@given(cycles())
def test_optimal_keeps_every_rule_and_beats_greedy(cycle):
    frame, funds, policy = cycle
    greedy = allocate(frame, funds, policy)
    optimal = allocate(frame, funds, policy, method="optimal")
    check_rules(frame, funds, policy, optimal)
    assert not optimal.fell_back
    assert optimal.greedy_objective == greedy.objective
    assert optimal.objective >= greedy.objective
    assert optimal.improvement == optimal.objective - greedy.objective
    greedy_area = greedy.table.groupby("thematic_area")["amount"].sum()
    optimal_area = optimal.table.groupby("thematic_area")["amount"].sum()
    for area, share in policy.thematic_floor.items():
        floor = min(math.floor(share * funds.total + 1e-9), greedy_area.get(area, 0))
        assert optimal_area.get(area, 0) >= floor
    best = best_objective(greedy.table, funds, policy, greedy_area.to_dict())
    assert optimal.objective == pytest.approx(best, rel=1e-4)
