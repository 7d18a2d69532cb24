"""Totals that documents and pages show: an allocation's money by thematic area and region
against the policy's floors and caps, what each PUNO receives, and the pipeline's demand.

Pure pandas, integer cents in and out; the documents only display what these return.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from scoring.allocate import share_amount

LINE_COLUMNS = ("note_id", "thematic_area", "region", "status", "requested", "amount")
TRANSFER_COLUMNS = ("note_id", "puno", "direct", "indirect")
DEMAND_COLUMNS = ("note_id", "status", "requested", "allocated")


def _check(frame: pd.DataFrame, columns: Sequence[str], name: str) -> None:
    """Columns present; money columns whole cents ≥ 0 (the offending rows named)."""
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"{name} must be a pandas DataFrame, got {type(frame).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{name} lack column(s): {', '.join(missing)}")
    for money in ("requested", "amount", "direct", "indirect", "allocated"):
        if money not in columns or not len(frame):
            continue
        values = frame[money]
        if not pd.api.types.is_integer_dtype(values):
            raise ValueError(f"{name}.{money} must be whole cents (an integer column), "
                             f"got {values.dtype}")
        negative = frame.index[values < 0]
        if len(negative):
            raise ValueError(f"{name}.{money} must be ≥ 0; rows {list(negative[:10])}")


def allocation_totals(lines: pd.DataFrame, by: str, *, envelope: int,
                      floors: Mapping | None = None, caps: Mapping | None = None,
                      keys: Sequence | None = None) -> pd.DataFrame:
    """Per value of ``by`` (``thematic_area`` or ``region``): notes, requested, funded notes,
    allocated, and the floor and cap as shares and as cents of ``envelope`` (floor(share × E),
    the allocator's rounding), with ``floor_met`` and ``within_cap``. ``keys`` lists rows to
    show even without notes (every area, say). A total row is not included."""
    _check(lines, LINE_COLUMNS, "lines")
    if by not in ("thematic_area", "region"):
        raise ValueError("by must be 'thematic_area' or 'region'")
    floors, caps = dict(floors or {}), dict(caps or {})
    funded = lines["status"] == "funded"
    grouped = pd.DataFrame({
        "n_notes": lines.groupby(by).size(),
        "requested": lines.groupby(by)["requested"].sum(),
        "n_funded": funded.groupby(lines[by]).sum(),
        "allocated": lines["amount"].where(funded, 0).groupby(lines[by]).sum(),
    })
    index = list(dict.fromkeys([*(keys or []), *sorted(grouped.index), *floors, *caps]))
    out = grouped.reindex(index).fillna(0).astype("int64")
    out.index.name = by
    out["floor_share"] = [float(floors.get(k, 0.0)) for k in index]
    out["floor_amount"] = [share_amount(floors.get(k, 0.0), envelope) for k in index]
    out["cap_share"] = [float(caps[k]) if k in caps else float("nan") for k in index]
    out["cap_amount"] = pd.array([share_amount(caps[k], envelope) if k in caps else None
                                  for k in index], dtype="Int64")
    out["floor_met"] = out["allocated"] >= out["floor_amount"]
    out["within_cap"] = [k not in caps or a <= share_amount(caps[k], envelope)
                         for k, a in zip(index, out["allocated"], strict=True)]
    return out


def transfer_totals(transfers: pd.DataFrame) -> pd.DataFrame:
    """Per PUNO: programmes, direct costs, indirect support costs and total, sorted by PUNO."""
    _check(transfers, TRANSFER_COLUMNS, "transfers")
    grouped = transfers.groupby("puno").agg(programmes=("note_id", "nunique"),
                                            direct=("direct", "sum"),
                                            indirect=("indirect", "sum"))
    grouped = grouped.astype("int64").sort_index()
    grouped["total"] = grouped["direct"] + grouped["indirect"]
    return grouped


def demand(notes: pd.DataFrame, by: str) -> pd.DataFrame:
    """The pipeline as a fundraising tool, per value of ``by``: notes and money funded
    (status selected or funded, with their allocations) and the unfunded demand (notes in the
    pipeline and what they request)."""
    _check(notes, (*DEMAND_COLUMNS, by), "notes")
    funded = notes["status"].isin(["selected", "funded"])
    waiting = notes["status"] == "pipeline"
    key = notes[by]
    out = pd.DataFrame({
        "funded_notes": funded.groupby(key).sum(),
        "funded": notes["allocated"].where(funded, 0).groupby(key).sum(),
        "unfunded_notes": waiting.groupby(key).sum(),
        "unfunded_demand": notes["requested"].where(waiting, 0).groupby(key).sum(),
    }).astype("int64")
    out = out[(out["funded_notes"] > 0) | (out["unfunded_notes"] > 0)]
    out.index.name = by
    return out.sort_index()
