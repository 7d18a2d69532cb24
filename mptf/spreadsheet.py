"""Cells of the CSV and XLSX exports. A text a spreadsheet would read as a formula (one that
starts with =, +, -, @, a tab or a carriage return) is written with a leading apostrophe, so
no title, name or comment typed into the fund can run as a formula on the machine that opens
the export (CSV injection). Numbers, and texts that are plain numbers ('-1,250.00'), are left
as they are. Every export passes its tables through ``safe_frame``."""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[-+]?[\d,]*\.?\d+", re.ASCII)


def neutralise(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) \
            and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells (and text index) cannot be read as formulas."""
    out = frame.copy()
    for column in out.columns:
        if not pd.api.types.is_numeric_dtype(out[column]):
            out[column] = out[column].map(neutralise)
    if not pd.api.types.is_numeric_dtype(out.index):
        out.index = out.index.map(neutralise)
    return out
