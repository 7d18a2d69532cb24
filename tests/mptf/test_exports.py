"""Every CSV and XLSX export of the fund, opened with the csv module and openpyxl, on the API
tests' world (a closed round, an approved cycle with its run, an issued decision, contributions):
references not ids, labels not codes, money exact in CSV and ``#,##0.00`` numbers in XLSX,
whole numbers as integers, booleans as yes/no, numbers as numbers, fractions rounded as the
pages round them (``mptf.spreadsheet``)."""

from __future__ import annotations

import csv
import io
import re

import openpyxl
import pytest

from mptf.allocation.cycles import STATUS_LABELS as RUN_STATUS_LABELS
from mptf.extensions import db
from mptf.models import ReviewRound
from mptf.pipeline.rules import STATUS_LABELS as NOTE_STATUS_LABELS
from tests.mptf.api import conftest as api_fixtures
from tests.mptf.security.bad_input import Session

# The API tests' world, as this module's fixtures.
test_config, fast_password_hashes = api_fixtures.test_config, api_fixtures.fast_password_hashes
teams, committee, people, world = (api_fixtures.teams, api_fixtures.committee,
                                   api_fixtures.people, api_fixtures.world)

MONEY_CSV = re.compile(r"-?\d+\.\d\d")
WHOLE = re.compile(r"-?\d+")
NUMBER_TEXT = re.compile(r"[-+]?\d+(\.\d+)?")
MONEY_HEADERS = {"Requested (USD)", "Amount (USD)", "AA fee (USD)", "Net (USD)",
                 "Gross deposits (USD)", "Net deposits (USD)", "Allocated (USD)",
                 "Available (USD)", "From earmarked (USD)", "From unearmarked (USD)", "Amount",
                 "From earmarked", "From unearmarked", "Direct costs", "Indirect support costs",
                 "Total", "Requested", "Allocated", "Floor", "Cap", "Funded", "Unfunded demand"}
WHOLE_HEADERS = {"Rank", "Reviews", "Order", "Notes", "Programmes", "Funded notes",
                 "Unfunded notes", "Gender marker"}
STATUS_CODES = set(NOTE_STATUS_LABELS) | set(RUN_STATUS_LABELS)


def export_paths(world) -> dict[str, list[str]]:
    run = world.cycle.runs[-1].id
    decision = f"/reports/decisions/{world.decision.id}"
    return {
        "sec": ["/pipeline/export.csv", "/pipeline/export.xlsx",
                f"/review/{world.round_id}/results.csv", f"/review/{world.round_id}/results.xlsx",
                "/reports/pipeline.xlsx",
                *(f"/reports/pipeline/{n}.csv" for n in ("thematic_area", "region", "country")),
                *(f"{decision}/{n}.csv" for n in ("approved", "transfers", "puno_totals",
                                                   "by_area", "by_region", "deferred")),
                f"{decision}/tables.xlsx",
                f"/fund/cycles/{world.cycle.id}/runs/{run}.csv",
                f"/fund/cycles/{world.cycle.id}/runs/{run}.xlsx"],
        "office": ["/fund/contributions.csv", "/fund/contributions.xlsx", "/fund/balance.csv",
                   "/fund/balance.xlsx", "/fund/cycles.csv"],
    }


@pytest.fixture
def exports(world, client) -> dict[str, bytes]:
    session, out = Session(client), {}
    for role, paths in export_paths(world).items():
        session.as_(role)
        for path in paths:
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)
            out[path] = response.data
    return out


def criterion_codes(world) -> set[str]:
    return {c.code for c in db.session.get(ReviewRound, world.round_id).criteria}


def check_header(path: str, header: str, codes: set[str]) -> None:
    assert header and "_" not in header and header not in codes, (path, header)
    assert header.lower() not in ("id", "note_id", "note") and not header.endswith(" id"), (
        path, header)


def test_every_csv_export_follows_the_rules(world, exports):
    codes = criterion_codes(world)
    for path, data in exports.items():
        if not path.endswith(".csv"):
            continue
        header, *rows = list(csv.reader(io.StringIO(data.decode())))
        assert rows, path
        for column, name in enumerate(header):
            check_header(path, name, codes)
            values = [row[column] for row in rows if row[column] != ""]
            if name in MONEY_HEADERS:
                assert all(MONEY_CSV.fullmatch(v) for v in values), (path, name, values)
            if name in WHOLE_HEADERS:
                assert all(WHOLE.fullmatch(v) for v in values), (path, name, values)
            if name in ("Status", "Reason"):
                assert not set(values) & STATUS_CODES - {"funded", "expired"}, (path, values)
            assert not {"True", "False", "nan", "None", "NaT"} & set(values), (path, name)


def test_every_xlsx_export_follows_the_rules(world, exports):
    codes = criterion_codes(world)
    for path, data in exports.items():
        if not path.endswith(".xlsx"):
            continue
        book = openpyxl.load_workbook(io.BytesIO(data))
        for sheet in book.worksheets:
            assert sheet.title[0].isupper() and "_" not in sheet.title, (path, sheet.title)
            header = [c.value for c in sheet[1]]
            for name in header:
                check_header(path, name, codes)
            for row in sheet.iter_rows(min_row=2):
                for name, cell in zip(header, row, strict=True):
                    where = (path, sheet.title, name, cell.value, cell.number_format)
                    if cell.value is None:
                        continue
                    assert cell.data_type != "f", where
                    if name in MONEY_HEADERS:
                        assert isinstance(cell.value, int | float), where
                        assert cell.number_format == "#,##0.00", where
                    elif name in WHOLE_HEADERS:
                        assert type(cell.value) is int and cell.number_format == "0", where
                    elif isinstance(cell.value, float):
                        places = {"0.0": 1, "0.00": 2}[cell.number_format]
                        assert round(cell.value, places) == cell.value, where
                    elif isinstance(cell.value, str):
                        assert not NUMBER_TEXT.fullmatch(cell.value), where  # a number as text
                        assert cell.value not in ("True", "False", "TRUE", "FALSE"), where
                        if name in ("Status", "Reason"):
                            assert cell.value not in STATUS_CODES - {"funded", "expired"}, where
                    assert not isinstance(cell.value, bool), where


def test_the_round_results_by_reference_and_criterion_label(world, exports):
    round_ = db.session.get(ReviewRound, world.round_id)
    header, *rows = list(csv.reader(io.StringIO(
        exports[f"/review/{world.round_id}/results.csv"].decode())))
    ranking = [dict(zip(header, row, strict=True)) for row in rows]
    assert [r["Rank"] for r in ranking] == [str(i) for i in range(1, len(ranking) + 1)]
    assert {r["Quorum met"] for r in ranking} <= {"yes", "no"}
    assert {r["Disagreement"] for r in ranking} <= {"yes", "no"}
    assert all(re.fullmatch(r"\d+\.\d", r["Score"]) for r in ranking)  # the page's one decimal
    assert all(re.fullmatch(r"\d\. .+", r["Thematic area"]) for r in ranking)
    book = openpyxl.load_workbook(io.BytesIO(
        exports[f"/review/{world.round_id}/results.xlsx"]))
    assert book.sheetnames == ["Ranking", "Criterion means"]
    means = book["Criterion means"]
    assert [c.value for c in means[1]] == ["Reference", *(c.label for c in round_.criteria)]
    references = {rn.note.reference for rn in round_.round_notes}
    assert {row[0].value for row in means.iter_rows(min_row=2)} == references
    for row in means.iter_rows(min_row=2):
        for cell in row[1:]:
            assert cell.number_format == "0.00" and round(cell.value, 2) == cell.value


def test_the_pipeline_export_has_labels_money_and_numbers(world, exports):
    book = openpyxl.load_workbook(io.BytesIO(exports["/pipeline/export.xlsx"]))
    sheet = book["Pipeline"]
    header = [c.value for c in sheet[1]]
    rows = [dict(zip(header, (c for c in row), strict=True))
            for row in sheet.iter_rows(min_row=2)]
    kenya_data = next(r for r in rows if r["Title"].value == "Kenya data")
    assert kenya_data["Status"].value == "Selected for funding"
    assert kenya_data["Requested (USD)"].value == 1_070_000
    assert kenya_data["Requested (USD)"].number_format == "#,##0.00"
    assert kenya_data["Gender marker"].value == 3 and kenya_data["Score"].value == 100.0
    assert kenya_data["Score"].number_format == "0.0"
    assert kenya_data["Expires"].is_date or kenya_data["Expires"].value is None


def test_the_decision_tables_name_areas_and_say_yes_or_no(world, exports):
    decision = f"/reports/decisions/{world.decision.id}"
    header, *rows = list(csv.reader(io.StringIO(exports[f"{decision}/by_area.csv"].decode())))
    by_area = [dict(zip(header, row, strict=True)) for row in rows]
    assert [r["Thematic area"][:3] for r in by_area] == ["1. ", "2. ", "3. ", "4. ", "5. "]
    assert {r["Floor met"] for r in by_area} <= {"yes", "no", ""}
    assert {r["Within cap"] for r in by_area} <= {"yes", "no", ""}
    header, *rows = list(csv.reader(io.StringIO(exports[f"{decision}/approved.csv"].decode())))
    approved = [dict(zip(header, row, strict=True)) for row in rows]
    assert [r["Rank"] for r in approved] == ["1", "2", "3"]
    assert all(re.fullmatch(r"\d\. .+", r["Thematic area"]) for r in approved)
    assert {r["Amount"] for r in approved} == {"1070000.00"}
