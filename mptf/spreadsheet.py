"""The one set of rules for every CSV and XLSX export of the fund (docs/developing.md,
"Exports"). A domain builds a ``Table`` (a DataFrame whose columns already hold references,
names and labels, never ids or codes) and says which columns are money in integer cents and
how many decimals the page shows for each fractional number; ``csv_text`` and ``xlsx_bytes``
write every cell by the same rules:

- money: exact text with two decimals and no separator in CSV (``mptf.money.usd_plain``), a
  number read from that exact text (a ``Decimal``, never a float) shown ``#,##0.00`` in XLSX;
- whole numbers (a rank, a count, a marker) as integers: ``1``, never ``1.00`` or ``1.0``;
- fractions rounded to the page's decimals, numbers in XLSX (not text);
- booleans as ``yes`` / ``no``; dates as ISO days in CSV and date cells in XLSX; nothing for
  a missing value;
- a text a spreadsheet would read as a formula (one that starts with =, +, -, @, a tab or a
  carriage return) gets a leading apostrophe, so no title, name or comment typed into the
  fund can run as a formula on the machine that opens the export (CSV injection); texts that
  are plain numbers ('-1,250.00') are left as they are.

The index of a frame is never written (it holds database ids)."""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from numbers import Integral, Real
from typing import Any

import numpy as np
import pandas as pd
from flask import Response

from mptf.money import usd_plain

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[-+]?[\d,]*\.?\d+", re.ASCII)
MONEY_FORMAT = "#,##0.00"
DATE_FORMAT = "yyyy-mm-dd"
YES, NO = "yes", "no"
CSV_MIMETYPE = "text/csv"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DEFAULT_DECIMALS = 2


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


@dataclass(frozen=True)
class Table:
    """A table to export: ``money`` names the columns in integer cents, ``decimals`` the
    decimals the page shows for a column of fractions (2 when not said)."""

    frame: pd.DataFrame
    money: Collection[str] = ()
    decimals: Mapping[str, int] = field(default_factory=dict)


def _table(table: Table | pd.DataFrame) -> Table:
    return table if isinstance(table, Table) else Table(table)


def _missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def _whole_column(values: list[Any]) -> bool:
    """Every number of the column is whole (a rank column with a gap reads as floats)."""
    return all(float(v).is_integer() for v in values
               if isinstance(v, Real) and not isinstance(v, bool) and not _missing(v))


@dataclass(frozen=True)
class _Cell:
    value: Any
    number_format: str | None = None


def _cell(value: Any, *, money: bool, decimals: int | None, whole: bool) -> _Cell:
    if _missing(value):
        return _Cell(None)
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool):
        return _Cell(YES if value else NO)
    if money:
        return _Cell(Decimal(usd_plain(int(value))), MONEY_FORMAT)
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC)
        return _Cell(value.replace(tzinfo=None, microsecond=0), "yyyy-mm-dd hh:mm")
    if isinstance(value, date):
        return _Cell(value, DATE_FORMAT)
    if isinstance(value, Integral):
        return _Cell(int(value), "0")
    if isinstance(value, Decimal | Real):
        if decimals is None and whole:
            return _Cell(int(value), "0")
        places = DEFAULT_DECIMALS if decimals is None else decimals
        # The page's own rounding (formatting.score), read back exactly.
        return _Cell(Decimal(f"{float(value):.{places}f}"),
                     "0." + "0" * places if places else "0")
    return _Cell(neutralise(str(value)))


def cells(table: Table | pd.DataFrame) -> tuple[list[str], list[list[_Cell]]]:
    """The headers and the cells of ``table`` by the rules above."""
    table = _table(table)
    frame = table.frame.reset_index(drop=True)
    headers = [neutralise(str(c)) for c in frame.columns]
    columns = []
    for name in frame.columns:
        values = frame[name].tolist()
        money = name in table.money
        decimals = table.decimals.get(name)
        whole = decimals is None and _whole_column(values)
        columns.append([_cell(v, money=money, decimals=decimals, whole=whole)
                        for v in values])
    return headers, [list(row) for row in zip(*columns, strict=True)] if columns else []


def _csv_value(cell: _Cell) -> str:
    value = cell.value
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)  # Decimal keeps its places: '1250000.50', '81.3'


def csv_text(table: Table | pd.DataFrame) -> str:
    headers, rows = cells(table)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(headers)
    writer.writerows([_csv_value(c) for c in row] for row in rows)
    return buffer.getvalue()


def xlsx_bytes(sheets: Mapping[str, Table | pd.DataFrame]) -> bytes:
    """One sheet per table (names cut to Excel's 31 characters), a bold frozen header row,
    columns wide enough for their text."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    for name, table in sheets.items():
        sheet = book.create_sheet(name[:31])
        headers, rows = cells(table)
        sheet.append(headers)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
        for row in rows:
            sheet.append([c.value for c in row])
        for position, header in enumerate(headers, start=1):
            letter = sheet.cell(1, position).column_letter
            width = len(header)
            for row_number, row in enumerate(rows, start=2):
                c = row[position - 1]
                if c.number_format:
                    sheet.cell(row_number, position).number_format = c.number_format
                text = _csv_value(c)
                separators = len(text) // 4 if c.number_format == MONEY_FORMAT else 0
                width = max(width, len(text) + separators)
            sheet.column_dimensions[letter].width = min(width + 2, 60)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def csv_response(table: Table | pd.DataFrame, filename: str) -> Response:
    """The CSV download of ``table`` as ``filename`` (with its .csv)."""
    return Response(csv_text(table), mimetype=CSV_MIMETYPE,
                    headers={"Content-Disposition": f"attachment; filename={filename}"})


def xlsx_response(sheets: Mapping[str, Table | pd.DataFrame], filename: str) -> Response:
    """The XLSX download of ``sheets`` as ``filename`` (with its .xlsx)."""
    return Response(xlsx_bytes(sheets), mimetype=XLSX_MIMETYPE,
                    headers={"Content-Disposition": f"attachment; filename={filename}"})
