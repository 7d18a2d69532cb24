"""The balance arithmetic (mptf.allocation.balance) on hand-made tables, worked by hand.

Deposits (net = amount - 1 % fee, half up):
  2025-01-15  unearmarked   1,000,000.00  fee 10,000.00  net 990,000.00
  2025-03-01  unearmarked         333.33  fee      3.33  net     330.00
  2025-04-10  area 2          250,000.50  fee  2,500.01  net 247,500.49
  2025-05-20  area 5                0.50  fee      0.01  net       0.49
  2025-06-30  area 2          500,000.00  fee  5,000.00  net 495,000.00
Allocations:
  cycle 1, 2025-07-15: 600,000.00 from area 2's earmark; 300,000.00 unearmarked
  cycle 2, 2025-10-01: 200,000.00 = 142,500.49 from area 2's earmark + 57,499.51 unearmarked
"""

from datetime import date

import pandas as pd
import pytest

from mptf.allocation.balance import (
    ALLOCATION_COLUMNS,
    CONTRIBUTION_COLUMNS,
    allocated_by_cycle,
    cumulative,
    fund_balance,
)

NA = None


def contributions() -> pd.DataFrame:
    return pd.DataFrame([
        (date(2025, 1, 15), 100_000_000, 1_000_000, 99_000_000, NA),
        (date(2025, 3, 1), 33_333, 333, 33_000, NA),
        (date(2025, 4, 10), 25_000_050, 250_001, 24_750_049, 2),
        (date(2025, 5, 20), 50, 1, 49, 5),
        (date(2025, 6, 30), 50_000_000, 500_000, 49_500_000, 2),
    ], columns=list(CONTRIBUTION_COLUMNS))


def allocations() -> pd.DataFrame:
    return pd.DataFrame([
        (1, date(2025, 7, 15), 60_000_000, 60_000_000, 0, 2),
        (1, date(2025, 7, 15), 30_000_000, 0, 30_000_000, NA),
        (2, date(2025, 10, 1), 20_000_000, 14_250_049, 5_749_951, 2),
    ], columns=list(ALLOCATION_COLUMNS))


def source(balance, area):
    rows = balance.sources
    row = rows[rows["earmark"].isna()] if area is None else rows[rows["earmark"] == area]
    return row.iloc[0][["gross", "fee", "net", "allocated", "available"]].astype(int).tolist()


def test_balance_by_source_and_in_total():
    balance = fund_balance(contributions(), allocations(), areas=[1, 2, 3, 4, 5])
    assert pd.isna(balance.sources["earmark"].iloc[0])          # unearmarked first
    assert balance.sources["earmark"].tolist()[1:] == [1, 2, 3, 4, 5]
    #                                 gross        fee         net   allocated   available
    assert source(balance, None) == [100_033_333, 1_000_333, 99_033_000, 35_749_951, 63_283_049]
    assert source(balance, 2) == [75_000_050, 750_001, 74_250_049, 74_250_049, 0]
    assert source(balance, 5) == [50, 1, 49, 0, 49]
    for empty in (1, 3, 4):
        assert source(balance, empty) == [0, 0, 0, 0, 0]
    # USD 1,750,334.33 gross, 17,503.35 fee, 1,732,830.98 net, 1,100,000.00 allocated
    assert (balance.gross, balance.fee, balance.net) == (175_033_433, 1_750_335, 173_283_098)
    assert (balance.allocated, balance.available) == (110_000_000, 63_283_098)
    assert balance.unearmarked == 63_283_049
    assert balance.earmarked == {1: 0, 2: 0, 3: 0, 4: 0, 5: 49}
    assert balance.overdrawn == []
    assert balance.sources.dtypes[["gross", "fee", "net", "allocated", "available"]].eq(
        "int64").all()


def test_balance_on_a_day_leaves_out_what_came_later():
    on = fund_balance(contributions(), allocations(), areas=[2, 5], on=date(2025, 8, 31))
    assert on.allocated == 90_000_000                 # cycle 1 only
    assert on.available == 83_283_098                 # 1,732,830.98 - 900,000.00
    assert on.unearmarked == 69_033_000               # 990,330.00 - 300,000.00
    assert on.earmarked == {2: 14_250_049, 5: 49}
    early = fund_balance(contributions(), allocations(), on=date(2025, 3, 1))
    assert (early.gross, early.net, early.allocated) == (100_033_333, 99_033_000, 0)
    assert early.earmarked == {}                      # no area asked for, none earmarked yet
    assert fund_balance(contributions(), allocations(), on=date(2024, 12, 31)).gross == 0


def test_allocated_by_cycle():
    table = allocated_by_cycle(allocations())
    assert table["cycle"].tolist() == [1, 2]
    assert table["notes"].tolist() == [2, 1]
    assert table["amount"].tolist() == [90_000_000, 20_000_000]
    assert table["from_earmarked"].tolist() == [60_000_000, 14_250_049]
    assert table["from_unearmarked"].tolist() == [30_000_000, 5_749_951]
    assert [d.date() for d in table["allocated_on"]] == [date(2025, 7, 15), date(2025, 10, 1)]
    assert allocated_by_cycle(allocations(), on=date(2025, 9, 1))["cycle"].tolist() == [1]


def test_cycles_are_ordered_by_day_then_id():
    frame = allocations()
    frame.loc[2, "allocated_on"] = date(2025, 7, 15)
    frame.loc[2, "cycle"] = 0
    assert allocated_by_cycle(frame)["cycle"].tolist() == [0, 1]


def test_cumulative_series():
    series = cumulative(contributions(), allocations())
    assert [d.date() for d in series["day"]] == [
        date(2025, 1, 15), date(2025, 3, 1), date(2025, 4, 10), date(2025, 5, 20),
        date(2025, 6, 30), date(2025, 7, 15), date(2025, 10, 1)]
    assert series["net_deposits"].tolist() == [99_000_000, 99_033_000, 123_783_049,
                                               123_783_098, 173_283_098, 173_283_098,
                                               173_283_098]
    assert series["allocated"].tolist() == [0, 0, 0, 0, 0, 90_000_000, 110_000_000]
    assert series["available"].tolist()[-1] == 63_283_098
    same_day = contributions()
    same_day.loc[1, "deposited_on"] = date(2025, 1, 15)   # two deposits on one day: one row
    assert cumulative(same_day, allocations())["net_deposits"].tolist()[0] == 99_033_000
    assert len(cumulative(contributions(), allocations(), on=date(2025, 7, 15))) == 6


def test_nothing_yet():
    empty_c = pd.DataFrame(columns=list(CONTRIBUTION_COLUMNS))
    empty_a = pd.DataFrame(columns=list(ALLOCATION_COLUMNS))
    balance = fund_balance(empty_c, empty_a, areas=[1, 2])
    assert (balance.gross, balance.net, balance.available) == (0, 0, 0)
    assert balance.unearmarked == 0 and balance.earmarked == {1: 0, 2: 0}
    assert allocated_by_cycle(empty_a).empty
    assert cumulative(empty_c, empty_a).empty
    # Deposits but no allocation yet: everything is available.
    assert fund_balance(contributions(), empty_a).available == 173_283_098


def test_inputs_are_not_changed():
    c, a = contributions(), allocations()
    before_c, before_a = c.copy(), a.copy()
    fund_balance(c, a, on=date(2025, 8, 1))
    allocated_by_cycle(a)
    cumulative(c, a)
    pd.testing.assert_frame_equal(c, before_c)
    pd.testing.assert_frame_equal(a, before_a)


def test_an_overdrawn_source_is_reported_not_hidden():
    a = allocations()
    a.loc[2, ["from_earmarked", "from_unearmarked"]] = [15_000_000, 5_000_000]
    balance = fund_balance(contributions(), a)
    assert balance.earmarked[2] == -749_951
    assert balance.overdrawn == [2]


@pytest.mark.parametrize(("change", "message"), [
    (lambda c, a: c.drop(columns="fee"), r"contributions lack column\(s\): fee"),
    (lambda c, a: c.assign(amount=c["amount"] / 1), "contributions.amount must be whole cents"),
    (lambda c, a: c.assign(net=c["net"] - 1), r"net \+ fee must equal amount; rows \[0, 1, 2"),
    (lambda c, a: c.assign(fee=-c["fee"]), r"contributions.fee must be ≥ 0; rows \[0, 1, 2"),
    (lambda c, a: c.assign(earmark=["x", None, 2, 5, 2]), r"earmark must be a thematic area "
                                                          r"id or missing; rows \[0\]"),
    (lambda c, a: c.assign(deposited_on=[None, *c["deposited_on"][1:]]),
     r"deposited_on is missing on rows \[0\]"),
])
def test_contributions_are_checked_at_the_door(change, message):
    with pytest.raises(ValueError, match=message):
        fund_balance(change(contributions(), allocations()), allocations())


def test_allocations_are_checked_at_the_door():
    a = allocations()
    a.loc[1, "from_unearmarked"] = 1
    with pytest.raises(ValueError, match=r"must equal amount; rows \[1\]"):
        fund_balance(contributions(), a)
    a = allocations()
    a.loc[0, "earmark"] = None
    with pytest.raises(ValueError, match=r"needs the earmark's thematic area; rows \[0\]"):
        allocated_by_cycle(a)
    with pytest.raises(TypeError, match="must be a pandas DataFrame"):
        cumulative(contributions(), [])
