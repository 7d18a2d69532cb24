"""The export rules of ``mptf.spreadsheet`` on a hand-made table: every kind of cell, read back
with the csv module and openpyxl."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import numpy as np
import openpyxl
import pandas as pd

from mptf.money import parse_usd
from mptf.spreadsheet import MONEY_FORMAT, Table, csv_text, xlsx_bytes


def sample() -> Table:
    frame = pd.DataFrame({
        "Rank": [1.0, 2.0, np.nan],  # a rank column with a gap reads as floats
        "Reference": ["MIG-2026-0001", "=HYPERLINK(\"x\")", "-1,250.00"],
        "Quorum met": [True, False, True],
        "Amount (USD)": [125_000_050, 5, 0],
        "Score": [81.26, 80.0, np.nan],
        "Mean": [3.14159, 2.0, 4.5],
        "Expires": [date(2026, 1, 2), None, date(2026, 3, 4)],
        "Notes": [1, 2, 3],
    }, index=pd.Index([17, 18, 19], name="note_id"))
    return Table(frame, money={"Amount (USD)"}, decimals={"Score": 1, "Mean": 2})


def test_csv_cells_follow_the_rules():
    rows = list(csv.reader(io.StringIO(csv_text(sample()))))
    assert rows == [
        ["Rank", "Reference", "Quorum met", "Amount (USD)", "Score", "Mean", "Expires", "Notes"],
        ["1", "MIG-2026-0001", "yes", "1250000.50", "81.3", "3.14", "2026-01-02", "1"],
        ["2", "'=HYPERLINK(\"x\")", "no", "0.05", "80.0", "2.00", "", "2"],
        ["", "-1,250.00", "yes", "0.00", "", "4.50", "2026-03-04", "3"],
    ]
    assert parse_usd(rows[1][3]) == 125_000_050  # the money reads back exactly


def test_xlsx_cells_are_typed_and_formatted():
    book = openpyxl.load_workbook(io.BytesIO(xlsx_bytes({"A rather long sheet name that Excel "
                                                         "would refuse": sample()})))
    assert book.sheetnames == ["A rather long sheet name that E"]
    sheet = book.worksheets[0]
    assert [c.value for c in sheet[1]] == ["Rank", "Reference", "Quorum met", "Amount (USD)",
                                           "Score", "Mean", "Expires", "Notes"]
    assert sheet[1][0].font.bold and sheet.freeze_panes == "A2"
    first, second, third = (list(sheet.iter_rows(min_row=r, max_row=r))[0] for r in (2, 3, 4))
    assert [(type(c.value), c.number_format) for c in first] == [
        (int, "0"), (str, "General"), (str, "General"), (float, MONEY_FORMAT), (float, "0.0"),
        (float, "0.00"), (type(first[6].value), "yyyy-mm-dd"), (int, "0")]
    assert first[0].value == 1 and first[2].value == "yes" and second[2].value == "no"
    assert Decimal(str(first[3].value)) == Decimal("1250000.50")
    assert (first[4].value, first[5].value) == (81.3, 3.14)
    assert first[6].is_date and first[6].value.date() == date(2026, 1, 2)
    assert second[1].value == "'=HYPERLINK(\"x\")" and second[1].data_type != "f"
    assert third[0].value is None and third[1].value == "-1,250.00"
    assert sheet.column_dimensions["D"].width >= len("1,250,000.50")


def test_the_index_is_not_written_and_the_frame_not_changed():
    table = sample()
    before = table.frame.copy()
    text = csv_text(table)
    assert "note_id" not in text and "17" not in text
    pd.testing.assert_frame_equal(table.frame, before)


def test_a_plain_frame_and_an_empty_one():
    assert csv_text(pd.DataFrame({"Count": [3, 4], "Share": [0.125, 0.5]})) == \
        "Count,Share\n3,0.12\n4,0.50\n"
    assert csv_text(pd.DataFrame(columns=["Reference", "Amount"])) == "Reference,Amount\n"
    book = openpyxl.load_workbook(io.BytesIO(xlsx_bytes({"Empty": pd.DataFrame(
        columns=["Reference"])})))
    assert [c.value for c in book["Empty"][1]] == ["Reference"]
