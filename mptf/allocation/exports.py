"""The tables the fund pages show, and their CSV and XLSX twins: the same rows and columns,
money kept as integer cents until it is written (exact text with two decimals in CSV; a
number with two decimals in XLSX, converted from that exact text)."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pandas as pd

from mptf.allocation import services
from mptf.allocation.balance import FundBalance
from mptf.money import rate_percent, usd_plain
from mptf.spreadsheet import safe_frame

CONTRIBUTION_HEADERS = ["Reference", "Deposited on", "Donor", "Donor kind", "Earmark",
                        "Amount (USD)", "Fee rate", "AA fee (USD)", "Net (USD)"]
BALANCE_HEADERS = ["Money", "Gross deposits (USD)", "AA fee (USD)", "Net deposits (USD)",
                   "Allocated (USD)", "Available (USD)"]
CYCLE_HEADERS = ["Funding cycle", "Approved on", "Notes", "Allocated (USD)",
                 "From earmarked (USD)", "From unearmarked (USD)"]
MONEY = {header for header in CONTRIBUTION_HEADERS + BALANCE_HEADERS + CYCLE_HEADERS
         if header.endswith("(USD)")}
UNEARMARKED = "Unearmarked"
TOTAL = "Total"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def contribution_table(on: date | None = None) -> pd.DataFrame:
    """One row per contribution in deposit order (``CONTRIBUTION_HEADERS``, money in cents),
    with the contribution's id in the index."""
    found = services.contributions(on)
    rows = [{
        "Reference": c.reference, "Deposited on": c.deposited_on.isoformat(),
        "Donor": c.donor.name, "Donor kind": services.DONOR_KIND_LABELS[c.donor.kind],
        "Earmark": str(c.earmark_area) if c.earmark_area else UNEARMARKED,
        "Amount (USD)": c.amount_cents, "Fee rate": rate_percent(c.fee_rate_bp),
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
    rows = [[c.name, pd.Timestamp(c.allocated_on).date().isoformat(), c.notes, c.amount,
             c.from_earmarked, c.from_unearmarked] for c in cycles.itertuples(index=False)]
    rows.append([TOTAL, "", int(cycles["notes"].sum()), int(cycles["amount"].sum()),
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

def to_csv(table: pd.DataFrame) -> str:
    out = table.reset_index(drop=True)
    for column in out.columns:
        if column in MONEY:
            out[column] = [usd_plain(int(v)) for v in out[column]]
    return safe_frame(out).to_csv(index=False)


def to_xlsx(sheets: dict[str, pd.DataFrame]) -> bytes:
    """One sheet per table; money as numbers shown with two decimals. The number is read
    from the exact text of the cents (Decimal), never computed in floating point."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, table in sheets.items():
            out = safe_frame(table.reset_index(drop=True).astype(object))
            for column in out.columns:
                if column in MONEY:
                    out[column] = [Decimal(usd_plain(int(v))) for v in table[column]]
            sheet = name[:31]
            out.to_excel(writer, index=False, sheet_name=sheet)
            worksheet = writer.sheets[sheet]
            for position, column in enumerate(out.columns, start=1):
                width = max([len(str(column)), *(len(str(v)) for v in out[column])]) + 2
                worksheet.column_dimensions[worksheet.cell(1, position).column_letter].width \
                    = min(width, 60)
                if column in MONEY:
                    for (cell,) in worksheet.iter_rows(min_row=2, min_col=position,
                                                       max_col=position):
                        cell.number_format = "#,##0.00"
    return buffer.getvalue()
