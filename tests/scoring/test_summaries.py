"""Document totals on hand-worked tables."""

import pandas as pd
import pytest

from scoring.summaries import allocation_totals, demand, transfer_totals

LINES = pd.DataFrame({
    "note_id": [1, 2, 3, 4, 5],
    "thematic_area": [1, 1, 2, 4, 4],
    "region": ["Africa", "Asia-Pacific", "Africa", "Arab States", "Africa"],
    "status": ["funded", "insufficient_funds", "funded", "funded", "thematic_cap"],
    "requested": [100_00, 200_00, 150_00, 120_00, 90_00],
    "amount": [100_00, 0, 150_00, 120_00, 0],
})


def test_totals_by_area_against_floors_and_caps():
    # Envelope USD 1,000: area 1 floor 20 % = 200.00, area 4 cap 30 % = 300.00,
    # area 2 floor 16.67 % = floor(166.70) = 166.70.
    out = allocation_totals(LINES, "thematic_area", envelope=1000_00,
                            floors={1: 0.2, 2: 0.1667}, caps={4: 0.3}, keys=[1, 2, 3, 4, 5])
    assert list(out.index) == [1, 2, 3, 4, 5]
    assert list(out["n_notes"]) == [2, 1, 0, 2, 0]
    assert list(out["requested"]) == [300_00, 150_00, 0, 210_00, 0]
    assert list(out["n_funded"]) == [1, 1, 0, 1, 0]
    assert list(out["allocated"]) == [100_00, 150_00, 0, 120_00, 0]
    assert list(out["floor_amount"]) == [200_00, 166_70, 0, 0, 0]
    assert list(out["cap_amount"].astype("object").where(out["cap_amount"].notna(), None)) \
        == [None, None, None, 300_00, None]
    assert list(out["floor_met"]) == [False, False, True, True, True]
    assert list(out["within_cap"]) == [True] * 5


def test_totals_by_region():
    out = allocation_totals(LINES, "region", envelope=1000_00, caps={"Africa": 0.2})
    assert out.loc["Africa", "allocated"] == 250_00
    assert out.loc["Africa", "cap_amount"] == 200_00
    assert not out.loc["Africa", "within_cap"]
    assert out.loc["Asia-Pacific", "allocated"] == 0


def test_transfer_totals_per_puno():
    transfers = pd.DataFrame({"note_id": [1, 1, 3, 3, 4], "puno": ["IOM", "ILO", "IOM", "UNDP",
                                                                    "IOM"],
                              "direct": [60_00, 33_46, 100_00, 40_19, 112_15],
                              "indirect": [4_20, 2_34, 7_00, 2_81, 7_85]})
    out = transfer_totals(transfers)
    assert list(out.index) == ["ILO", "IOM", "UNDP"]
    assert list(out["programmes"]) == [1, 3, 1]
    assert list(out["direct"]) == [33_46, 272_15, 40_19]
    assert list(out["indirect"]) == [2_34, 19_05, 2_81]
    assert list(out["total"]) == [35_80, 291_20, 43_00]
    assert out["total"].sum() == transfers["direct"].sum() + transfers["indirect"].sum()


def test_demand_counts_funded_and_unfunded():
    notes = pd.DataFrame({"note_id": [1, 2, 3, 4], "status": ["selected", "pipeline",
                                                              "pipeline", "withdrawn"],
                          "requested": [100, 200, 300, 400], "allocated": [100, 0, 0, 0],
                          "region": ["Africa", "Africa", "Asia-Pacific", "Africa"]})
    out = demand(notes, "region")
    assert out.loc["Africa"].tolist() == [1, 100, 1, 200]
    assert out.loc["Asia-Pacific"].tolist() == [0, 0, 1, 300]


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="lack column"):
        allocation_totals(LINES.drop(columns="amount"), "region", envelope=1)
    with pytest.raises(ValueError, match=r"rows \[1\]"):
        allocation_totals(LINES.assign(amount=[1, -1, 0, 0, 0]), "region", envelope=1)
    with pytest.raises(ValueError, match="whole cents"):
        transfer_totals(pd.DataFrame({"note_id": [1], "puno": ["IOM"], "direct": [1.5],
                                      "indirect": [0]}))
