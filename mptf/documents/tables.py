"""The documents' tables as CSV/XLSX twins, by the one set of export rules of
``mptf.spreadsheet``: money columns in integer cents, thematic areas by their names, days as
days, scores with the document's one decimal."""

from __future__ import annotations

from datetime import date

import pandas as pd

from mptf.spreadsheet import Table

DECISION_TABLE_LABELS = {
    "approved": "Approved allocations", "transfers": "Transfer instructions",
    "puno_totals": "Totals per PUNO", "by_area": "By thematic area", "by_region": "By region",
    "deferred": "Notes deferred"}
PIPELINE_TABLE_LABELS = {"thematic_area": "By thematic area", "region": "By region",
                         "country": "By country"}
# The documents' money columns: integer cents in every table that has them.
MONEY_COLUMNS = frozenset({
    "Amount", "From earmarked", "From unearmarked", "Direct costs", "Indirect support costs",
    "Total", "Requested", "Allocated", "Floor", "Cap", "Funded", "Unfunded demand"})


def export_table(frame: pd.DataFrame, area_names: dict[int, str]) -> Table:
    """A document's table for ``mptf.spreadsheet``. ``area_names`` names the thematic areas
    of a table that holds their numbers (the decision's tables keep them for its chart)."""
    out = frame.copy()
    if "Thematic area" in out.columns and not any(
            isinstance(a, str) for a in out["Thematic area"]):
        out["Thematic area"] = [area_names.get(int(a), "") if pd.notna(a) else ""
                                for a in out["Thematic area"]]
    if "In the pipeline until" in out.columns:
        out["In the pipeline until"] = [date.fromisoformat(d) if d else None
                                        for d in out["In the pipeline until"]]
    return Table(out, money=MONEY_COLUMNS & set(out.columns), decimals={"Score": 1})


def export_sheets(frames: dict[str, pd.DataFrame], labels: dict[str, str],
                  area_names: dict[int, str]) -> dict[str, Table]:
    """One sheet per table, named by ``labels`` (the table's key when none)."""
    return {labels.get(name, name): export_table(frame, area_names)
            for name, frame in frames.items()}
