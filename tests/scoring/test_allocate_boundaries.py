"""Allocation at its boundaries, hand-worked (issue 24): a share exactly at its cap, a country
exactly at its limit, an earmark exactly used up, a floor exactly reached, a score exactly at
the minimum; and every refusal read as the whole sentence the fund's staff will see.

Every expected number is worked out in the comment beside it, never by the code under test.
"""

from __future__ import annotations

from types import MappingProxyType

import pandas as pd
import pytest

from scoring.allocate import AllocationPolicy, Funds, allocate, share_amount
from tests.scoring.test_allocate import assert_result, notes

NAN = float("nan")


def refusal(error: type[Exception], call) -> str:
    with pytest.raises(error) as raised:
        call()
    return str(raised.value)


def statuses(result) -> dict[str, str]:
    return result.table.set_index("note_id")["status"].to_dict()


# --- caps, limits, earmarks and floors exactly reached -------------------------------------------

AT_CAP = notes([
    ("A", "KEN", "Africa", 1, 300, 90.0, True, False, 2, "2026-01-01"),
    ("B", "UGA", "Africa", 1, 200, 80.0, True, False, 2, "2026-01-01"),
    ("C", "ETH", "Africa", 1, 1, 70.0, True, False, 2, "2026-01-01"),
    ("D", "BGD", "Asia", 2, 100, 60.0, True, False, 2, "2026-01-01"),
])


@pytest.mark.parametrize("method", ["greedy", "optimal"])
def test_a_thematic_share_exactly_at_its_cap_is_funded(method):
    # Envelope 1000, area 1 capped at 0.5: 500 cents. A (300) and B (200) bring area 1 to 500,
    # exactly the cap, so both are funded; C's one cent would make 501. D (area 2) is funded.
    # Optimal cannot do better: A and B are the best two of area 1 and use its cap exactly.
    result = allocate(AT_CAP, Funds(1000), AllocationPolicy(thematic_cap={1: 0.5}),
                      method=method)
    assert_result(result, [
        ("A", 1, "funded", 300, 0, 300),
        ("B", 2, "funded", 200, 0, 200),
        ("C", 3, "thematic_cap", 0, 0, 0),
        ("D", 4, "funded", 100, 0, 100),
    ])
    assert (result.fell_back, result.message) == (
        (False, "optimal") if method == "optimal" else (False, ""))
    assert result.summary.by_area.loc[1, "cap_amount"] == 500
    assert result.summary.by_area.loc[1, "allocated"] == 500


@pytest.mark.parametrize("method", ["greedy", "optimal"])
def test_a_region_exactly_at_its_cap_is_funded(method):
    # The same notes with Africa capped at 0.5 of 1000: A and B bring Africa to 500 exactly;
    # C's cent is refused on the region; D (Asia) is funded.
    result = allocate(AT_CAP, Funds(1000), AllocationPolicy(region_cap={"Africa": 0.5}),
                      method=method)
    assert statuses(result) == {"A": "funded", "B": "funded", "C": "region_cap",
                                "D": "funded"}
    assert result.fell_back is False
    assert result.summary.by_region.loc["Africa", "allocated"] == 500
    assert result.summary.by_region.loc["Africa", "cap_amount"] == 500


SAME_COUNTRY = notes([
    ("A", "KEN", "Africa", 1, 100, 90.0, True, False, 2, "2026-01-01"),
    ("B", "KEN", "Africa", 1, 100, 80.0, True, False, 2, "2026-01-01"),
    ("C", "KEN", "Africa", 1, 100, 70.0, True, False, 2, "2026-01-01"),
    ("D", "UGA", "Africa", 1, 100, 60.0, True, False, 2, "2026-01-01"),
])


@pytest.mark.parametrize("method", ["greedy", "optimal"])
def test_a_country_exactly_at_its_limit_gets_no_further_note(method):
    # Two per country: KEN's A and B are funded (two, exactly the limit), its third note C is
    # refused on the country; UGA's D is funded. 400 cents would fund all four.
    result = allocate(SAME_COUNTRY, Funds(400), AllocationPolicy(max_per_country=2),
                      method=method)
    assert statuses(result) == {"A": "funded", "B": "funded", "C": "country_limit",
                                "D": "funded"}
    assert result.fell_back is False


@pytest.mark.parametrize("method", ["greedy", "optimal"])
def test_without_a_country_limit_one_country_may_take_every_note(method):
    result = allocate(SAME_COUNTRY, Funds(400), AllocationPolicy(max_per_country=None),
                      method=method)
    assert set(statuses(result).values()) == {"funded"}
    assert result.summary.allocated == 400
    assert result.fell_back is False


def test_optimal_keeps_the_country_limit_in_its_own_programme():
    # One note per country, 1000 cents. Greedy funds A (KEN, 600); B is KEN's second; C (500)
    # does not fit in the 400 left: 90 × 600 = 54,000. Without the country rule the best would
    # be A and B (86,000), which the rule forbids; with it the best is B and C:
    # 80 × 400 + 50 × 500 = 57,000, which the optimal method must find without falling back.
    # A's first failed check is then its country (KEN has B), before money.
    frame = notes([
        ("A", "KEN", "Africa", 1, 600, 90.0, True, False, 2, "2026-01-01"),
        ("B", "KEN", "Africa", 1, 400, 80.0, True, False, 2, "2026-01-01"),
        ("C", "UGA", "Africa", 1, 500, 50.0, True, False, 2, "2026-01-01"),
    ])
    result = allocate(frame, Funds(1000), AllocationPolicy(), method="optimal")
    assert statuses(result) == {"A": "country_limit", "B": "funded", "C": "funded"}
    assert (result.fell_back, result.message) == (False, "optimal")
    assert (result.objective, result.greedy_objective) == (57_000, 54_000)


EARMARKED = notes([
    ("A", "KEN", "Africa", 1, 300, 90.0, True, False, 2, "2026-01-01"),
    ("B", "UGA", "Africa", 1, 100, 80.0, True, False, 2, "2026-01-01"),
    ("C", "ETH", "Africa", 1, 1, 70.0, True, False, 2, "2026-01-01"),
])


@pytest.mark.parametrize("method", ["greedy", "optimal"])
def test_an_earmark_exactly_used_up_then_unearmarked_money_exactly_used_up(method):
    # 300 earmarked for area 1 and 100 unearmarked. A (300) uses the earmark exactly, B (100)
    # the unearmarked money exactly; C's cent finds nothing.
    result = allocate(EARMARKED, Funds(100, {1: 300}), AllocationPolicy(max_per_country=None),
                      method=method)
    assert_result(result, [
        ("A", 1, "funded", 300, 300, 0),
        ("B", 2, "funded", 100, 0, 100),
        ("C", 3, "insufficient_funds", 0, 0, 0),
    ])
    summary = result.summary
    assert (summary.envelope, summary.allocated) == (400, 400)
    assert (summary.from_earmarked, summary.from_unearmarked) == (300, 100)
    assert (summary.left_unearmarked, summary.left_earmarked) == (0, {1: 0})
    assert result.fell_back is False


def test_a_note_asking_exactly_what_is_left_of_earmark_and_unearmarked_is_funded():
    # 250 earmarked and 50 unearmarked: a note of 300 takes the 250 first, then the 50.
    frame = EARMARKED.iloc[:1].assign(requested=[300])
    result = allocate(frame, Funds(50, {1: 250}), AllocationPolicy())
    assert_result(result, [("A", 1, "funded", 300, 250, 50)])
    assert (result.summary.left_unearmarked, result.summary.left_earmarked) == (0, {1: 0})


def test_an_earmark_larger_than_the_note_keeps_the_rest():
    # 500 earmarked, a note of 300: 300 from the earmark, 200 of it left, no unearmarked used.
    result = allocate(EARMARKED.iloc[:1], Funds(70, {1: 500}), AllocationPolicy())
    assert_result(result, [("A", 1, "funded", 300, 300, 0)])
    assert (result.summary.left_unearmarked, result.summary.left_earmarked) == (70, {1: 200})
    assert result.summary.by_area.loc[1, "earmarked_left"] == 200


FLOOR = notes([
    ("H", "KEN", "Africa", 1, 700, 90.0, True, False, 2, "2026-01-01"),
    ("X", "UGA", "Africa", 2, 300, 50.0, True, False, 2, "2026-01-01"),
    ("Y", "ETH", "Africa", 2, 100, 40.0, True, False, 2, "2026-01-01"),
])


def test_a_floor_exactly_reached_stops_pulling_notes_in():
    # Area 2's floor is 0.3 of 1000 = 300. The floor pass funds X (300): exactly the floor, so
    # it stops before Y. Then H (700) takes the rest; Y finds nothing.
    result = allocate(FLOOR, Funds(1000), AllocationPolicy(thematic_floor={2: 0.3}))
    assert_result(result, [
        ("H", 1, "funded", 700, 0, 700),
        ("X", 2, "funded", 300, 0, 300),
        ("Y", 3, "insufficient_funds", 0, 0, 0),
    ])
    assert result.summary.by_area.loc[2, "floor_amount"] == 300


def test_optimal_meets_a_floor_exactly_without_falling_back():
    # Greedy's allocation (H and X, area 2 at exactly its 300 floor) is also the best: the
    # optimal method must accept a selection that meets the floor to the cent.
    result = allocate(FLOOR, Funds(1000), AllocationPolicy(thematic_floor={2: 0.3}),
                      method="optimal")
    assert statuses(result) == {"H": "funded", "X": "funded", "Y": "insufficient_funds"}
    assert (result.fell_back, result.message) == (False, "optimal")
    assert result.objective == 90 * 700 + 50 * 300


def test_a_floor_of_zero_pulls_nothing_in():
    # A floor share of 0 is no floor: by score H (700), then X (300) use the 1000; Y finds
    # nothing left.
    result = allocate(FLOOR, Funds(1000), AllocationPolicy(thematic_floor={2: 0.0}))
    assert statuses(result) == {"H": "funded", "X": "funded", "Y": "insufficient_funds"}
    frame = FLOOR.assign(requested=[700, 400, 300])
    # Without a floor, H (700) then X (400 > 300 left) fails, Y (300) fits.
    result = allocate(frame, Funds(1000), AllocationPolicy(thematic_floor={2: 0.0}))
    assert statuses(result) == {"H": "funded", "X": "insufficient_funds", "Y": "funded"}


def test_a_floor_pass_takes_the_areas_notes_in_priority_order_until_reached():
    # Floor 0.45 of 1000 = 450 for area 2: X (300) does not reach it, Y (100) brings 400, still
    # short; both are funded in the floor pass; then H (700) does not fit the 600 left.
    result = allocate(FLOOR, Funds(1000), AllocationPolicy(thematic_floor={2: 0.45}))
    assert statuses(result) == {"H": "insufficient_funds", "X": "funded", "Y": "funded"}


# --- eligibility at its thresholds ----------------------------------------------------------------

THRESHOLDS = notes([
    ("A", "KEN", "Africa", 1, 100, 60.0, True, False, 1, "2026-01-01"),
    ("B", "UGA", "Africa", 1, 100, 59.99, True, False, 2, "2026-01-01"),
    ("C", "ETH", "Africa", 1, 100, 70.0, True, False, 0, "2026-01-01"),
])


def test_a_score_exactly_at_the_minimum_and_a_marker_exactly_at_the_minimum_are_eligible():
    # Minimum score 60 and marker 1: A (60, marker 1) is eligible; B (59.99) is not; C has
    # marker 0.
    result = allocate(THRESHOLDS, Funds(1000), AllocationPolicy(min_score=60,
                                                                min_gender_marker=1))
    assert statuses(result) == {"C": "marker", "A": "funded", "B": "below_min_score"}


def test_a_marker_of_zero_passes_a_minimum_of_zero():
    result = allocate(THRESHOLDS, Funds(1000), AllocationPolicy(min_gender_marker=0))
    assert set(statuses(result).values()) == {"funded"}


def test_champion_bonus_orders_but_the_score_alone_decides_eligibility():
    # Bonus 15: B (59.99 + 15 = 74.99) is first in priority but below the minimum of 60.
    frame = THRESHOLDS.assign(champion=[False, True, False])
    result = allocate(frame, Funds(1000), AllocationPolicy(min_score=60, champion_bonus=15))
    assert result.table["note_id"].tolist() == ["B", "C", "A"]
    assert result.table["priority_score"].tolist() == [59.99 + 15, 70.0, 60.0]
    assert statuses(result) == {"B": "below_min_score", "C": "funded", "A": "funded"}


# --- shares turned into cents --------------------------------------------------------------------

@pytest.mark.parametrize(("share", "envelope", "cents"), [
    (0.3, 1001, 300),  # 300.3, rounded down
    (0.3, 1000, 300),  # exact
    (0.29, 100, 29),  # 0.29 × 100 is 28.999999999999996 in float: read as 29/100
    (1.0, 12345, 12345),
    (0.0, 12345, 0),
])
def test_a_share_becomes_the_cents_it_prints_as_rounded_down(share, envelope, cents):
    assert share_amount(share, envelope) == cents


# --- the policy and funds as stored --------------------------------------------------------------

def test_shares_are_stored_as_floats_in_plain_dicts():
    policy = AllocationPolicy(thematic_floor=MappingProxyType({1: 0}),
                              thematic_cap=MappingProxyType({2: 1}),
                              region_cap=MappingProxyType({"Africa": 1}),
                              min_score=55, champion_bonus=2, max_per_country=3,
                              min_gender_marker=2)
    assert policy.thematic_floor == {1: 0.0} and type(policy.thematic_floor) is dict
    assert policy.thematic_cap == {2: 1.0} and type(policy.thematic_cap) is dict
    assert policy.region_cap == {"Africa": 1.0} and type(policy.region_cap) is dict
    assert type(policy.thematic_floor[1]) is float
    assert type(policy.thematic_cap[2]) is float
    assert type(policy.region_cap["Africa"]) is float
    assert type(policy.min_score) is float and type(policy.champion_bonus) is float
    assert policy.to_dict() == {
        "min_score": 55.0, "require_quorum": True, "thematic_floor": {"1": 0.0},
        "thematic_cap": {"2": 1.0}, "region_cap": {"Africa": 1.0}, "max_per_country": 3,
        "champion_bonus": 2.0, "min_gender_marker": 2}


def test_numpy_whole_numbers_become_python_ints():
    import numpy as np

    policy = AllocationPolicy(max_per_country=np.int64(2), min_gender_marker=np.int64(1),
                              thematic_cap={np.int64(3): 0.5})
    assert type(policy.max_per_country) is int and policy.max_per_country == 2
    assert type(policy.min_gender_marker) is int and policy.min_gender_marker == 1
    assert list(policy.thematic_cap) == [3] and type(next(iter(policy.thematic_cap))) is int
    funds = Funds(np.int64(5), MappingProxyType({np.int64(1): np.int64(7)}))
    assert type(funds.unearmarked) is int and type(funds.earmarked) is dict
    assert funds.earmarked == {1: 7} and type(next(iter(funds.earmarked))) is int
    assert type(funds.earmarked[1]) is int


def test_from_dict_reads_area_keys_written_as_text():
    policy = AllocationPolicy.from_dict({"thematic_floor": {" 2 ": 0.1},
                                         "thematic_cap": {"3": 0.5}})
    assert (policy.thematic_floor, policy.thematic_cap) == ({2: 0.1}, {3: 0.5})


@pytest.mark.parametrize("bound", [0, 1])
def test_shares_of_exactly_zero_and_one_are_accepted(bound):
    policy = AllocationPolicy(thematic_cap={1: bound}, region_cap={"Asia": bound})
    assert policy.thematic_cap == {1: float(bound)}
    assert policy.region_cap == {"Asia": float(bound)}


def test_a_floor_exactly_at_its_cap_is_accepted():
    policy = AllocationPolicy(thematic_floor={1: 0.4}, thematic_cap={1: 0.4})
    assert policy.thematic_floor == policy.thematic_cap == {1: 0.4}


def test_markers_at_both_ends_and_one_note_per_country_are_accepted():
    assert AllocationPolicy(min_gender_marker=0).min_gender_marker == 0
    assert AllocationPolicy(min_gender_marker=3).min_gender_marker == 3
    assert AllocationPolicy(max_per_country=1).max_per_country == 1
    assert AllocationPolicy(champion_bonus=0).champion_bonus == 0.0
    assert AllocationPolicy().max_per_country == 1
    assert AllocationPolicy().require_quorum is True
    assert AllocationPolicy().min_score == 0.0
    assert AllocationPolicy().min_gender_marker is None


# --- refusals, each as the whole sentence ----------------------------------------------------------

@pytest.mark.parametrize(("kwargs", "sentence"), [
    ({"min_score": NAN}, "min_score must be a finite number, got nan"),
    ({"require_quorum": "yes"}, "require_quorum must be true or false, got 'yes'"),
    ({"thematic_floor": [0.1]}, "thematic_floor must be a mapping, got list"),
    ({"thematic_floor": {"1": 0.5}},
     "thematic_floor: keys must be thematic area ids (int), got '1'"),
    ({"thematic_floor": {True: 0.5}},
     "thematic_floor: keys must be thematic area ids (int), got True"),
    ({"thematic_cap": {2: -0.1}}, "thematic_cap[2] must be a share between 0 and 1, got -0.1"),
    ({"thematic_cap": {2: 1.01}}, "thematic_cap[2] must be a share between 0 and 1, got 1.01"),
    ({"thematic_cap": {2: True}}, "thematic_cap[2] must be a share between 0 and 1, got True"),
    ({"region_cap": {"Africa": 2}},
     "region_cap['Africa'] must be a share between 0 and 1, got 2"),
    ({"region_cap": {" ": 0.5}}, "region_cap: keys must be region names, got ' '"),
    ({"region_cap": {3: 0.5}}, "region_cap: keys must be region names, got 3"),
    ({"thematic_floor": {1: 0.3}, "thematic_cap": {1: 0.2}},
     "thematic_floor[1] (0.3) is above thematic_cap[1] (0.2)"),
    ({"thematic_floor": {1: 0.5, 2: 0.6}}, "thematic_floor shares add up to more than 1 (1.1)"),
    ({"max_per_country": 0}, "max_per_country must be None or a whole number ≥ 1, got 0"),
    ({"max_per_country": 1.5}, "max_per_country must be None or a whole number ≥ 1, got 1.5"),
    ({"champion_bonus": -1}, "champion_bonus must be a number ≥ 0, got -1"),
    ({"champion_bonus": "2"}, "champion_bonus must be a number ≥ 0, got '2'"),
    ({"min_gender_marker": 4}, "min_gender_marker must be None or a marker 0 to 3, got 4"),
    ({"min_gender_marker": -1}, "min_gender_marker must be None or a marker 0 to 3, got -1"),
    ({"min_gender_marker": 1.0}, "min_gender_marker must be None or a marker 0 to 3, got 1.0"),
])
def test_each_policy_refusal_is_a_whole_sentence(kwargs, sentence):
    assert refusal(ValueError, lambda: AllocationPolicy(**kwargs)) == sentence


def test_from_dict_refusals_are_whole_sentences():
    assert refusal(ValueError, lambda: AllocationPolicy.from_dict({"cap": 1, "area": 2})) == (
        "unknown allocation policy fields: area, cap")
    assert refusal(ValueError, lambda: AllocationPolicy.from_dict(
        {"thematic_floor": {"one": 0.5}})) == (
        "thematic_floor: keys must be thematic area ids, got 'one'")


@pytest.mark.parametrize(("args", "sentence"), [
    ((-1,), "unearmarked must be whole cents ≥ 0, got -1"),
    ((10.0,), "unearmarked must be whole cents ≥ 0, got 10.0"),
    ((10, [5]), "earmarked must be a mapping of thematic area to cents, got list"),
    ((10, {"1": 5}), "earmarked: keys must be thematic area ids (int), got '1'"),
    ((10, {1: -5}), "earmarked[1] must be whole cents ≥ 0, got -5"),
    ((10, {1: 2.5}), "earmarked[1] must be whole cents ≥ 0, got 2.5"),
])
def test_each_funds_refusal_is_a_whole_sentence(args, sentence):
    assert refusal(ValueError, lambda: Funds(*args)) == sentence


def test_nothing_at_all_is_an_acceptable_fund():
    funds = Funds(0, {1: 0})
    assert (funds.unearmarked, funds.earmarked, funds.total) == (0, {1: 0}, 0)


def test_each_argument_refusal_is_a_whole_sentence():
    frame = EARMARKED
    assert refusal(TypeError, lambda: allocate(frame, 10, AllocationPolicy())) == (
        "funds must be a Funds, got int")
    assert refusal(TypeError, lambda: allocate(frame, Funds(10), {})) == (
        "policy must be an AllocationPolicy, got dict")
    assert refusal(ValueError, lambda: allocate(frame, Funds(10), AllocationPolicy(),
                                                method="best")) == (
        "method must be one of greedy, optimal, got 'best'")
    assert refusal(ValueError, lambda: allocate(frame, Funds(10), AllocationPolicy(),
                                                time_limit=-1)) == (
        "time_limit must be None or a number of seconds > 0, got -1")
    assert refusal(TypeError, lambda: allocate([], Funds(10), AllocationPolicy())) == (
        "notes must be a pandas DataFrame, got list")
    assert refusal(ValueError, lambda: allocate(frame.drop(columns=["score", "region"]),
                                                Funds(10), AllocationPolicy())) == (
        "notes is missing columns: region, score")


def test_a_tiny_time_limit_is_accepted():
    result = allocate(EARMARKED, Funds(400), AllocationPolicy(max_per_country=None),
                      method="optimal", time_limit=0.5)
    assert statuses(result) == {"A": "funded", "B": "funded", "C": "insufficient_funds"}
    assert allocate(EARMARKED, Funds(400), AllocationPolicy(), method="optimal",
                    time_limit=None).fell_back is False


def test_duplicated_columns_are_named():
    frame = pd.concat([EARMARKED, EARMARKED[["score", "country"]]], axis=1)
    assert refusal(ValueError, lambda: allocate(frame, Funds(10), AllocationPolicy())) == (
        "notes has duplicated columns: country, score")


def test_rows_past_the_tenth_are_counted_not_named():
    rows = [(f"N{k:02}", "KEN", "Africa", 1, 0, 70.0, True, False, 2, "2026-01-01")
            for k in range(12)]
    frame = notes(rows)
    assert refusal(ValueError, lambda: allocate(frame, Funds(10), AllocationPolicy())) == (
        "invalid concept notes: requested: must be a positive number of cents "
        "(rows 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 and 2 more)")


def test_text_row_labels_are_quoted():
    frame = notes([("A", "KEN", "Africa", 1, 0, 70.0, True, False, 2, "2026-01-01")],
                  index=["first"])
    assert refusal(ValueError, lambda: allocate(frame, Funds(10), AllocationPolicy())) == (
        "invalid concept notes: requested: must be a positive number of cents (rows 'first')")


@pytest.mark.parametrize(("column", "values", "sentence"), [
    ("requested", [True, False], "requested: must be a whole number, not true/false (rows 0, 1)"),
    ("requested", [2.0**53, 1.0], "requested: must be a whole number (rows 0)"),
    ("requested", [float("inf"), 1.0], "requested: must be a whole number (rows 0)"),
    ("requested", [2**63, 1], "requested: must be a whole number (rows 0)"),
    ("requested", [1.5, 2], "requested: must be a whole number (rows 0)"),
    ("score", [True, False], "score: must be a number, not true/false (rows 0, 1)"),
    ("score", [float("-inf"), 1.0], "score: must be finite (rows 0)"),
    ("score", [True, 1.0], "score: must be a number (rows 0)"),
    ("quorum_met", [1, True], "quorum_met: must be true or false (rows 0)"),
    ("champion", [None, True], "champion: missing (rows 0)"),
    ("gender_marker", [4, 3], "gender_marker: must be a marker 0 to 3 (rows 0)"),
    ("gender_marker", [-1, 0], "gender_marker: must be a marker 0 to 3 (rows 0)"),
    ("country", [" ", "KEN"], "country: must be a non-empty text (rows 0)"),
    ("submitted_at", ["2026-13-01", "2026-01-01"],
     "submitted_at: must be a date and time (rows 0)"),
    ("note_id", ["A", "A"], "note_id: duplicated (rows 0, 1)"),
    ("note_id", [None, "B"], "note_id: missing (rows 0)"),
    ("note_id", [1, "B"], "note_id: values must be all numbers or all texts"),
])
def test_each_bad_entry_is_named_with_its_row(column, values, sentence):
    frame = pd.DataFrame({
        "note_id": ["A", "B"], "country": ["KEN", "UGA"], "region": ["Africa", "Africa"],
        "thematic_area": [1, 1], "requested": [100, 100], "score": [70.0, 60.0],
        "quorum_met": [True, True], "champion": [False, False], "gender_marker": [2, 2],
        "submitted_at": ["2026-01-01", "2026-01-01"]})
    # A column of true/false alone is a bool column, as pandas reads one; the rest stay mixed.
    boolean = all(isinstance(v, bool) for v in values)
    frame[column] = pd.Series(values, dtype=bool if boolean else object)
    assert refusal(ValueError, lambda: allocate(frame, Funds(10), AllocationPolicy())) == (
        "invalid concept notes: " + sentence)


def test_whole_numbers_in_a_float_column_are_read():
    # 100.0 and 3.0 are whole: read as 100 cents and area 3.
    frame = EARMARKED.iloc[:1].assign(requested=[100.0], thematic_area=[3.0])
    result = allocate(frame, Funds(100), AllocationPolicy())
    assert_result(result, [("A", 1, "funded", 100, 0, 100)])
    assert result.table["thematic_area"].tolist() == [3]


def test_whole_numbers_among_objects_are_read():
    frame = EARMARKED.iloc[:2].assign(requested=pd.Series([100, 50.0], dtype=object),
                                      gender_marker=pd.Series([2, 3], dtype=object))
    result = allocate(frame, Funds(150), AllocationPolicy(max_per_country=None,
                                                          min_gender_marker=2))
    assert_result(result, [("A", 1, "funded", 100, 0, 100), ("B", 2, "funded", 50, 0, 50)])


def test_scores_among_objects_are_read():
    frame = EARMARKED.iloc[:2].assign(score=pd.Series([50, 80.5], dtype=object))
    result = allocate(frame, Funds(400), AllocationPolicy())
    assert result.table["note_id"].tolist() == ["B", "A"]
    assert result.table["score"].tolist() == [80.5, 50.0]


def test_quorum_flags_among_objects_are_read():
    frame = EARMARKED.iloc[:2].assign(quorum_met=pd.Series([True, False], dtype=object))
    assert statuses(allocate(frame, Funds(400), AllocationPolicy())) == {
        "A": "funded", "B": "no_quorum"}


def test_exactly_ten_bad_rows_are_all_named_with_no_tail():
    rows = [(f"N{k:02}", "KEN", "Africa", 1, 0, 70.0, True, False, 2, "2026-01-01")
            for k in range(10)]
    assert refusal(ValueError, lambda: allocate(notes(rows), Funds(10), AllocationPolicy())) == (
        "invalid concept notes: requested: must be a positive number of cents "
        "(rows 0, 1, 2, 3, 4, 5, 6, 7, 8, 9)")


def test_row_labels_that_are_not_text_are_written_as_they_print():
    # Rows labelled by a time: named as the time prints, not as Python's repr of it.
    frame = notes([("A", "KEN", "Africa", 1, 0, 70.0, True, False, 2, "2026-01-01")],
                  index=pd.DatetimeIndex(["2026-02-03"]))
    assert refusal(ValueError, lambda: allocate(frame, Funds(10), AllocationPolicy())) == (
        "invalid concept notes: requested: must be a positive number of cents "
        "(rows 2026-02-03 00:00:00)")


def test_area_keys_as_text_may_be_negative_and_nothing_else():
    assert AllocationPolicy.from_dict({"thematic_cap": {"-3": 0.5}}).thematic_cap == {-3: 0.5}
    for key in ("X3", "3-", "3.0", ""):
        assert refusal(ValueError, lambda key=key: AllocationPolicy.from_dict(
            {"thematic_cap": {key: 0.5}})) == (
            f"thematic_cap: keys must be thematic area ids, got {key!r}")
