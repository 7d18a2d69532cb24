"""The sentence beside each note not funded: hand-worked allocations, then a property."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings

from scoring.allocate import AllocationPolicy, Funds, allocate
from scoring.reasons import _Final, explain, money_left, usd
from tests.scoring.test_allocate import cycles, notes

NAN = float("nan")


def reasons(result) -> dict:
    return dict(zip(result.table["note_id"], explain(result.table, result.funds,
                                                     result.policy), strict=True))


def test_money_as_the_app_prints_it():
    assert (usd(138_740_214), usd(5), usd(0), usd(-100)) == (
        "USD 1,387,402.14", "USD 0.05", "USD 0.00", "USD -1.00")


def test_insufficient_funds_says_what_is_earmarked_elsewhere():
    # USD 1,387,402.14 is left, but USD 1,250,000.00 of it is earmarked to area 5: B (area 2)
    # asking USD 1,250,000.00 finds only USD 137,402.14 it may use.
    frame = notes([
        ("A", "KEN", "Africa", 1, 100_000_000, 90.0, True, False, 2, "2026-01-01"),
        ("B", "UGA", "Africa", 2, 125_000_000, 80.0, True, False, 2, "2026-01-01"),
    ])
    funds = Funds(113_740_214, {5: 125_000_000})
    result = allocate(frame, funds, AllocationPolicy())
    assert result.table["status"].tolist() == ["funded", "insufficient_funds"]
    left = money_left(result.table, funds)
    assert (left.unearmarked, left.earmarked, left.total) == (13_740_214, {5: 125_000_000},
                                                               138_740_214)
    assert reasons(result) == {
        "A": "",
        "B": "Not enough unearmarked money left (USD 137,402.14) for the USD 1,250,000.00 the "
             "note asks; USD 1,250,000.00 is earmarked to area 5, which only that area's notes "
             "may use.",
    }


def test_a_notes_own_earmark_and_two_other_areas():
    # C (area 2) asks 700: 200 unearmarked and 300 of area 2's earmark are left, and 100 and
    # 50 earmarked to areas 4 and 5 that C may not use.
    frame = notes([
        ("A", "KEN", "Africa", 1, 300, 90.0, True, False, 2, "2026-01-01"),
        ("C", "UGA", "Africa", 2, 700, 80.0, True, False, 2, "2026-01-01"),
    ])
    result = allocate(frame, Funds(500, {2: 300, 4: 100, 5: 50}), AllocationPolicy())
    assert reasons(result)["C"] == (
        "Not enough money left for the USD 7.00 the note asks (USD 2.00 unearmarked and USD "
        "3.00 earmarked to its area 2); USD 1.00 is earmarked to area 4 and USD 0.50 to area "
        "5, which only notes of those areas may use.")


KNAPSACK_CAP = notes([
    ("A", "KEN", "Africa", 1, 60_000_000, 90.0, True, False, 2, "2026-01-01"),
    ("B", "UGA", "Africa", 1, 50_000_000, 80.0, True, False, 2, "2026-01-01"),
    ("C", "ETH", "Africa", 2, 50_000_000, 80.0, True, False, 2, "2026-01-01"),
    ("D", "RWA", "Africa", 1, 30_000_000, 70.0, True, False, 2, "2026-01-01"),
])
CAP_POLICY = AllocationPolicy(thematic_cap={1: 0.6})  # 60 % of USD 1,000,000.00


def test_the_optimal_method_names_the_cap_that_keeps_a_note_out():
    # Optimal: B and C spend the USD 1,000,000.00 (objective 80,000 per cent, 8.0e9 in all;
    # A alone scores 5.4e9). Area 1 then holds 500,000 of its 600,000 cap: A (600,000) and D
    # (300,000) would pass it, and no money is left either.
    result = allocate(KNAPSACK_CAP, Funds(100_000_000), CAP_POLICY, method="optimal")
    assert result.table.set_index("note_id")["status"].to_dict() == {
        "A": "thematic_cap", "B": "funded", "C": "funded", "D": "thematic_cap"}
    assert reasons(result) == {
        "A": "Thematic area 1's cap is USD 600,000.00, USD 500,000.00 is allocated to the area "
             "and the note asks USD 600,000.00; also not enough unearmarked money left (USD "
             "0.00) for the USD 600,000.00 the note asks.",
        "B": "", "C": "",
        "D": "Thematic area 1's cap is USD 600,000.00, USD 500,000.00 is allocated to the area "
             "and the note asks USD 300,000.00; also not enough unearmarked money left (USD "
             "0.00) for the USD 300,000.00 the note asks.",
    }


def test_greedy_on_the_same_cycle():
    # Greedy funds A (600,000): area 1 is at its cap, so B and D are out by it; C (area 2)
    # finds 400,000 left for its 500,000.
    result = allocate(KNAPSACK_CAP, Funds(100_000_000), CAP_POLICY)
    assert reasons(result) == {
        "A": "",
        "B": "Thematic area 1's cap is USD 600,000.00, USD 600,000.00 is allocated to the area "
             "and the note asks USD 500,000.00; also not enough unearmarked money left (USD "
             "400,000.00) for the USD 500,000.00 the note asks.",
        "C": "Not enough unearmarked money left (USD 400,000.00) for the USD 500,000.00 the "
             "note asks.",
        "D": "Thematic area 1's cap is USD 600,000.00, USD 600,000.00 is allocated to the area "
             "and the note asks USD 300,000.00.",
    }


def test_country_limit_region_cap_and_the_rules_of_eligibility():
    frame = notes([
        ("A", "KEN", "Africa", 1, 400, 90.0, True, False, 2, "2026-01-01"),
        ("B", "KEN", "Africa", 2, 100, 85.0, True, False, 2, "2026-01-01"),
        ("C", "UGA", "Africa", 3, 200, 80.0, True, False, 2, "2026-01-01"),
        ("D", "BGD", "Asia", 3, 100, 75.0, True, False, 0, "2026-01-01"),
        ("E", "NPL", "Asia", 3, 100, 40.0, True, False, 2, "2026-01-01"),
        ("F", "MEX", "LAC", 3, 100, 95.0, False, False, 2, "2026-01-01"),
    ])
    policy = AllocationPolicy(region_cap={"Africa": 0.5}, min_score=50, min_gender_marker=1)
    result = allocate(frame, Funds(1000), policy)
    assert reasons(result) == {
        "A": "",
        "B": "KEN has 1 funded note, the most the policy allows per country.",
        "C": "The cap of Africa is USD 5.00, USD 4.00 is allocated to the region and the note "
             "asks USD 2.00.",
        "D": "Its gender equality marker is below the policy's minimum of 1.",
        "E": "Its score (40.0) is below the policy's minimum of 50.",
        "F": "Its review did not reach quorum, and the policy funds only notes whose review "
             "did.",
    }


def test_saved_lines_with_expired_notes_and_unknown_statuses():
    table = pd.DataFrame({
        "status": ["expired", "excluded"], "amount": [0, 0], "from_earmarked": [0, 0],
        "from_unearmarked": [0, 0], "country": ["Kenya", "Nepal"], "region": ["Africa", "Asia"],
        "thematic_area": [1, 2], "requested": [100, 100], "score": [None, 50.0]},
        index=[7, 9])
    said = explain(table, Funds(1000), AllocationPolicy())
    assert said.to_dict() == {7: "Its time in the pipeline ends before the decision date.",
                              9: ""}


def test_the_table_is_checked_at_the_door():
    with pytest.raises(ValueError, match="missing columns: requested"):
        explain(pd.DataFrame({c: [] for c in ("status", "amount", "from_earmarked",
                                              "from_unearmarked", "country", "region",
                                              "thematic_area", "score")}),
                Funds(0), AllocationPolicy())
    with pytest.raises(TypeError, match="must be a pandas DataFrame"):
        explain([], Funds(0), AllocationPolicy())


@settings(max_examples=80, deadline=None)
@given(cycles())
def test_the_status_check_still_holds_at_the_end(cycle):
    """Whatever the method, a note out by a funding rule is kept out by that rule in the final
    allocation, so its sentence starts with its status's reason."""
    frame, funds, policy = cycle
    for method in ("greedy", "optimal"):
        result = allocate(frame, funds, policy, method=method)
        final = _Final(result.table, funds, policy)
        said = explain(result.table, funds, policy)
        for note, sentence in zip(result.table.itertuples(index=False), said, strict=True):
            if note.status in ("country_limit", "thematic_cap", "region_cap",
                               "insufficient_funds"):
                clause = final.clause(note.status, note)
                assert clause is not None, (method, note)
                assert sentence.startswith(clause[:1].upper() + clause[1:])
            elif note.status == "funded":
                assert sentence == ""
            else:
                assert sentence
