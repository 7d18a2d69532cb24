"""The tables the fund pages show, and their CSV and XLSX twins: the same rows and columns,
money kept as integer cents until ``mptf.spreadsheet`` writes it (exact text with two decimals
in CSV; a number read from that exact text, shown ``#,##0.00``, in XLSX)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pandas as pd

from mptf.allocation import services
from mptf.allocation.balance import FundBalance
from mptf.spreadsheet import Table

CONTRIBUTION_HEADERS = ["Reference", "Deposited on", "Donor", "Donor kind", "Earmark",
                        "Amount (USD)", "Fee rate (%)", "AA fee (USD)", "Net (USD)"]
FEE_RATE = "Fee rate (%)"
BALANCE_HEADERS = ["Money", "Gross deposits (USD)", "AA fee (USD)", "Net deposits (USD)",
                   "Allocated (USD)", "Available (USD)"]
CYCLE_HEADERS = ["Funding cycle", "Approved on", "Notes", "Allocated (USD)",
                 "From earmarked (USD)", "From unearmarked (USD)"]
MONEY = {header for header in CONTRIBUTION_HEADERS + BALANCE_HEADERS + CYCLE_HEADERS
         if header.endswith("(USD)")}
UNEARMARKED = "Unearmarked"
TOTAL = "Total"


def contribution_table(on: date | None = None) -> pd.DataFrame:
    """One row per contribution in deposit order (``CONTRIBUTION_HEADERS``, money in cents),
    with the contribution's id in the index."""
    found = services.contributions(on)
    rows = [{
        "Reference": c.reference, "Deposited on": c.deposited_on,
        "Donor": c.donor.name, "Donor kind": services.DONOR_KIND_LABELS[c.donor.kind],
        "Earmark": str(c.earmark_area) if c.earmark_area else UNEARMARKED,
        "Amount (USD)": c.amount_cents, FEE_RATE: Decimal(c.fee_rate_bp).scaleb(-2),
        "AA fee (USD)": c.fee_cents, "Net (USD)": c.net_cents,
    } for c in found]
    frame = pd.DataFrame(rows, columns=CONTRIBUTION_HEADERS,
                         index=pd.Index([c.id for c in found], name="id", dtype="int64"))
    return _money_as_int(frame)


def contribution_totals(table: pd.DataFrame) -> dict[str, int]:
    return {h: int(table[h].sum()) for h in ("Amount (USD)", "AA fee (USD)", "Net (USD)")}


def balance_table(fund: FundBalance) -> pd.DataFrame:
    """One row per source of money (unearmarked, then each thematic area) and a total row."""
    names = {a.id: str(a) for a in services.thematic_areas()}
    rows = []
    for source in fund.sources.itertuples(index=False):
        label = UNEARMARKED if pd.isna(source.earmark) else (
            f"Earmarked: {names.get(int(source.earmark), f'area {int(source.earmark)}')}")
        rows.append([label, source.gross, source.fee, source.net, source.allocated,
                     source.available])
    rows.append([TOTAL, fund.gross, fund.fee, fund.net, fund.allocated, fund.available])
    return _money_as_int(pd.DataFrame(rows, columns=BALANCE_HEADERS))


def cycle_table(on: date | None = None) -> pd.DataFrame:
    """One row per funding cycle that allocated money, earliest first, and a total row."""
    cycles = services.allocated_by_cycle(on)
    rows = [[c.name, pd.Timestamp(c.allocated_on).date(), c.notes, c.amount,
             c.from_earmarked, c.from_unearmarked] for c in cycles.itertuples(index=False)]
    rows.append([TOTAL, None, int(cycles["notes"].sum()), int(cycles["amount"].sum()),
                 int(cycles["from_earmarked"].sum()), int(cycles["from_unearmarked"].sum())])
    table = pd.DataFrame(rows, columns=CYCLE_HEADERS)
    table["Notes"] = table["Notes"].astype("int64")
    return _money_as_int(table)


def _money_as_int(frame: pd.DataFrame) -> pd.DataFrame:
    for column in frame.columns:
        if column in MONEY:
            frame[column] = frame[column].astype("int64")
    return frame


# --- the files ---------------------------------------------------------------------------------

def export_table(table: pd.DataFrame) -> Table:
    """A fund table for ``mptf.spreadsheet``'s ``csv_response``/``xlsx_response``: its money is
    its ``(USD)`` columns in cents, the fee rate with its two decimals."""
    return Table(table, money=MONEY, decimals={FEE_RATE: 2})
