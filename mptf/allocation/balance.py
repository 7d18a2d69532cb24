"""The fund balance from two plain tables: what was deposited and what the cycles allocated.
Pure pandas, integer cents in and out; no Flask, no database (the service builds the frames).

``contributions``: one row per deposit with ``deposited_on`` (a date), ``amount``, ``fee`` and
``net`` (cents, ``net = amount - fee``) and ``earmark`` (a thematic area id, or missing for
unearmarked money).

``allocations``: one row per allocated note with ``cycle`` (the funding cycle's id),
``allocated_on`` (the day the cycle was approved), ``amount``, ``from_earmarked`` and
``from_unearmarked`` (cents, summing to ``amount``) and ``earmark`` (the thematic area whose
earmarked money paid ``from_earmarked``; required when that is more than zero).

The rules (docs/fund.md): money earmarked to an area is available to that area only,
``available = net deposits - allocated`` per source of money (unearmarked, each area), and
the fund's available total is the sum over the sources. Rows dated after ``on`` are left out.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

import pandas as pd

CONTRIBUTION_COLUMNS = ("deposited_on", "amount", "fee", "net", "earmark")
ALLOCATION_COLUMNS = ("cycle", "allocated_on", "amount", "from_earmarked", "from_unearmarked",
                      "earmark")
SOURCE_COLUMNS = ("earmark", "gross", "fee", "net", "allocated", "available")
CYCLE_COLUMNS = ("cycle", "allocated_on", "notes", "amount", "from_earmarked",
                 "from_unearmarked")
SERIES_COLUMNS = ("day", "net_deposits", "allocated", "available")


def _rows(index: Iterable) -> str:
    listed = list(index)
    more = f" and {len(listed) - 10} more" if len(listed) > 10 else ""
    return f"rows {listed[:10]}{more}"


def _check(frame: pd.DataFrame, columns: Sequence[str], money: Sequence[str], day: str,
           name: str) -> pd.DataFrame:
    """A validated copy: columns present, money whole cents ≥ 0, days as Timestamps,
    ``earmark`` as nullable integers. Offending rows are named."""
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"{name} must be a pandas DataFrame, got {type(frame).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{name} lack column(s): {', '.join(missing)}")
    out = frame.loc[:, list(columns)].copy()
    if out.empty:
        out = pd.DataFrame({c: pd.Series(dtype="int64") for c in columns})
    for column in money:
        values = out[column]
        if not pd.api.types.is_integer_dtype(values) or values.isna().any():
            raise ValueError(f"{name}.{column} must be whole cents (an integer column without "
                             f"gaps), got {values.dtype}")
        negative = out.index[values < 0]
        if len(negative):
            raise ValueError(f"{name}.{column} must be ≥ 0; {_rows(negative)}")
        out[column] = values.astype("int64")
    try:
        out[day] = pd.to_datetime(out[day]).dt.normalize()
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name}.{day} must hold dates: {exc}") from exc
    if out[day].isna().any():
        raise ValueError(f"{name}.{day} is missing on {_rows(out.index[out[day].isna()])}")
    earmark = pd.to_numeric(out["earmark"], errors="coerce").astype("float64")
    bad = out.index[earmark.isna() & out["earmark"].notna()
                    | (earmark.notna() & (earmark % 1 != 0))]
    if len(bad):
        raise ValueError(f"{name}.earmark must be a thematic area id or missing; {_rows(bad)}")
    out["earmark"] = earmark.astype("Int64")
    return out


def check_contributions(contributions: pd.DataFrame) -> pd.DataFrame:
    out = _check(contributions, CONTRIBUTION_COLUMNS, ("amount", "fee", "net"), "deposited_on",
                 "contributions")
    wrong = out.index[out["net"] + out["fee"] != out["amount"]]
    if len(wrong):
        raise ValueError(f"contributions: net + fee must equal amount; {_rows(wrong)}")
    return out


def check_allocations(allocations: pd.DataFrame) -> pd.DataFrame:
    out = _check(allocations, ALLOCATION_COLUMNS,
                 ("amount", "from_earmarked", "from_unearmarked"), "allocated_on", "allocations")
    wrong = out.index[out["from_earmarked"] + out["from_unearmarked"] != out["amount"]]
    if len(wrong):
        raise ValueError("allocations: from_earmarked + from_unearmarked must equal amount; "
                         f"{_rows(wrong)}")
    orphan = out.index[(out["from_earmarked"] > 0) & out["earmark"].isna()]
    if len(orphan):
        raise ValueError("allocations: money from earmarks needs the earmark's thematic area; "
                         f"{_rows(orphan)}")
    return out


def _until(frame: pd.DataFrame, day: str, on: date | None) -> pd.DataFrame:
    if on is None:
        return frame
    return frame[frame[day] <= pd.Timestamp(on)]


@dataclass(frozen=True)
class FundBalance:
    """The balance on a day. ``sources`` has one row per source of money: unearmarked first
    (``earmark`` missing), then each thematic area in id order, with the columns
    ``SOURCE_COLUMNS``. The totals are the sums of its columns."""

    sources: pd.DataFrame
    gross: int
    fee: int
    net: int
    allocated: int
    available: int

    @property
    def unearmarked(self) -> int:
        """Unearmarked money available (cents)."""
        row = self.sources[self.sources["earmark"].isna()]
        return int(row["available"].iloc[0])

    @property
    def earmarked(self) -> dict[int, int]:
        """Earmarked money available, by thematic area id (every area listed)."""
        rows = self.sources[self.sources["earmark"].notna()]
        return {int(a): int(c) for a, c in zip(rows["earmark"], rows["available"], strict=True)}

    @property
    def overdrawn(self) -> list[int | None]:
        """Sources with more allocated than deposited (None: unearmarked). Never expected:
        the approval and the corrections refuse it; listed so that a page can say so."""
        rows = self.sources[self.sources["available"] < 0]
        return [None if pd.isna(a) else int(a) for a in rows["earmark"]]


def fund_balance(contributions: pd.DataFrame, allocations: pd.DataFrame, *,
                 areas: Iterable[int] = (), on: date | None = None) -> FundBalance:
    """Gross deposits, the fee, net deposits, allocated and available, per source of money and
    in total, counting deposits and allocations dated on or before ``on`` (all when None).
    ``areas`` are thematic areas to list even when nothing is earmarked to them."""
    deposits = _until(check_contributions(contributions), "deposited_on", on)
    spent = _until(check_allocations(allocations), "allocated_on", on)
    keys = sorted({int(a) for a in areas}
                  | {int(a) for a in deposits["earmark"].dropna()}
                  | {int(a) for a in spent["earmark"][spent["from_earmarked"] > 0].dropna()})

    def by_area(frame: pd.DataFrame, column: str) -> dict[int, int]:
        rows = frame[frame["earmark"].notna()]
        return {int(a): int(c) for a, c in rows.groupby("earmark")[column].sum().items()}

    unearmarked = deposits[deposits["earmark"].isna()]
    rows = [{"earmark": pd.NA, "gross": int(unearmarked["amount"].sum()),
             "fee": int(unearmarked["fee"].sum()), "net": int(unearmarked["net"].sum()),
             "allocated": int(spent["from_unearmarked"].sum())}]
    gross, fee, net = (by_area(deposits, c) for c in ("amount", "fee", "net"))
    allocated = by_area(spent[spent["from_earmarked"] > 0], "from_earmarked")
    rows += [{"earmark": area, "gross": gross.get(area, 0), "fee": fee.get(area, 0),
              "net": net.get(area, 0), "allocated": allocated.get(area, 0)} for area in keys]
    sources = pd.DataFrame(rows)
    for column in ("gross", "fee", "net", "allocated"):
        sources[column] = sources[column].astype("int64")
    sources["available"] = sources["net"] - sources["allocated"]
    sources["earmark"] = sources["earmark"].astype("Int64")
    sources = sources.loc[:, list(SOURCE_COLUMNS)]
    return FundBalance(sources=sources, gross=int(sources["gross"].sum()),
                       fee=int(sources["fee"].sum()), net=int(sources["net"].sum()),
                       allocated=int(sources["allocated"].sum()),
                       available=int(sources["available"].sum()))


def allocated_by_cycle(allocations: pd.DataFrame, *, on: date | None = None) -> pd.DataFrame:
    """One row per funding cycle (``CYCLE_COLUMNS``): the day it allocated, its notes and the
    money, earliest cycle first (ties by cycle id)."""
    spent = _until(check_allocations(allocations), "allocated_on", on)
    if spent.empty:
        return pd.DataFrame({c: pd.Series(dtype="datetime64[ns]" if c == "allocated_on"
                                          else "int64") for c in CYCLE_COLUMNS})
    out = spent.groupby("cycle").agg(allocated_on=("allocated_on", "min"),
                                     notes=("amount", "size"), amount=("amount", "sum"),
                                     from_earmarked=("from_earmarked", "sum"),
                                     from_unearmarked=("from_unearmarked", "sum")).reset_index()
    out = out.sort_values(["allocated_on", "cycle"], kind="stable").reset_index(drop=True)
    for column in ("cycle", "notes", "amount", "from_earmarked", "from_unearmarked"):
        out[column] = out[column].astype("int64")
    return out.loc[:, list(CYCLE_COLUMNS)]


def cumulative(contributions: pd.DataFrame, allocations: pd.DataFrame, *,
               on: date | None = None) -> pd.DataFrame:
    """Over time (``SERIES_COLUMNS``): one row per day on which money came in or was
    allocated, with the running totals of net deposits and allocations at the end of that day
    and their difference, the money available."""
    deposits = _until(check_contributions(contributions), "deposited_on", on)
    spent = _until(check_allocations(allocations), "allocated_on", on)
    inflow = deposits.groupby("deposited_on")["net"].sum()
    outflow = spent.groupby("allocated_on")["amount"].sum()
    days = sorted(set(inflow.index) | set(outflow.index))
    out = pd.DataFrame({
        "day": pd.to_datetime(pd.Series(days, dtype="datetime64[ns]")),
        "net_deposits": inflow.reindex(days, fill_value=0).cumsum().to_numpy(dtype="int64"),
        "allocated": outflow.reindex(days, fill_value=0).cumsum().to_numpy(dtype="int64"),
    })
    out["available"] = out["net_deposits"] - out["allocated"]
    return out.loc[:, list(SERIES_COLUMNS)]
