"""Tables that break across pages, in every document: the header repeats on each page, the
total comes once, after the last row (a total repeated at a page break reads as a wrong total
in a legal document). Each document is rendered with its real template and stylesheet and
tables long enough to break, then read page by page with pypdf."""

from __future__ import annotations

import io
import re

import pandas as pd
import pytest
from pypdf import PdfReader

from mptf.allocation import decision_documents, decisions
from mptf.extensions import db
from mptf.models import Allocation
from mptf.reports import documents
from tests.mptf.reports.conftest import the_chair

ROWS = 70


def pages(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def check_table(texts: list[str], *, header: str, row: re.Pattern, total: str | None,
                rows: int = ROWS) -> None:
    """The table whose rows match ``row`` spans several pages, has ``header`` on each of them
    and ``total`` once, on the page of its last row, after it."""
    spanned = [i for i, text in enumerate(texts) if row.search(text)]
    assert len(spanned) >= 2, "the table should break across pages for this test to mean much"
    assert sum(len(row.findall(text)) for text in texts) == rows
    for i in spanned:
        assert header in texts[i], f"no header on page {i + 1}"
    if total is None:
        return
    holding = [i for i, text in enumerate(texts) if total in text]
    assert holding == [spanned[-1]], f"the total is on pages {[i + 1 for i in holding]}"
    last_page = texts[spanned[-1]]
    assert last_page.count(total) == 1
    assert last_page.index(total) > max(m.start() for m in row.finditer(last_page))


def repeated(frame: pd.DataFrame, column: str, prefix: str) -> pd.DataFrame:
    """``frame``'s first row ROWS times, ``column`` numbered ``prefix``-001, -002, …"""
    out = pd.concat([frame.iloc[[0]]] * ROWS, ignore_index=True)
    out[column] = [f"{prefix}-{i:03d}" for i in range(1, ROWS + 1)]
    return out


def money(cents: int) -> str:
    return f"{cents // 100:,}.{cents % 100:02d}"


@pytest.fixture
def long_decision(draft, monkeypatch):
    """The draft decision issued with its tables grown to ROWS rows each."""
    real = decision_documents.decision_tables

    def grown(decision):
        tables = real(decision)
        return {**tables,
                "approved": repeated(tables["approved"], "Reference", "APPR"),
                "transfers": repeated(tables["transfers"], "Reference", "TRAN"),
                "puno_totals": repeated(tables["puno_totals"], "PUNO", "PUNO")}

    monkeypatch.setattr(decision_documents, "decision_tables", grown)
    decisions.issue(the_chair(), draft)
    db.session.commit()
    return draft


def test_the_decisions_tables_keep_their_total_at_the_end(long_decision):
    tables = decision_documents.decision_tables(long_decision)
    texts = pages(long_decision.pdf)
    check_table(texts, header="Rank Reference Country Title", row=re.compile(r"APPR-\d{3}"),
                total=f"Total {money(int(tables['approved']['Amount'].sum()))}")
    check_table(texts, header="Programme PUNO Direct costs", row=re.compile(r"TRAN-\d{3}"),
                total=None)
    puno = tables["puno_totals"]
    check_table(texts, header="PUNO Programmes Direct costs", row=re.compile(r"PUNO-\d{3}"),
                total=f"Total {money(int(puno['Direct costs'].sum()))} "
                      f"{money(int(puno['Indirect support costs'].sum()))} "
                      f"{money(int(puno['Total'].sum()))}")


def test_a_letters_table_keeps_its_total_at_the_end(long_decision, pipeline_notes):
    allocation = db.session.scalar(db.select(Allocation).where(
        Allocation.cycle_id == long_decision.cycle_id).order_by(Allocation.rank))
    note = allocation.note
    transfers = [(f"AGENCY-{i:03d}", 1_000_000, 70_000, 1_070_000)
                 for i in range(1, ROWS + 1)]
    from mptf.documents.pdf import render_pdf

    data = render_pdf(
        "pdf/letter.html", reference=decision_documents.letter_reference(long_decision, note),
        title="Decision letter", created=long_decision.issued_at, decision=long_decision,
        note=note, line=None, allocation=allocation, transfers=transfers, reason="",
        conditions="")
    check_table(pages(data), header="PUNO Direct costs Indirect support costs",
                row=re.compile(r"AGENCY-\d{3}"),
                total=f"Total {money(allocation.amount_cents)}")


def test_the_pipeline_reports_tables_keep_their_total_at_the_end(pipeline_notes, monkeypatch):
    real = documents.pipeline_tables

    def grown():
        tables = real()
        return {**tables, "region": repeated(tables["region"], "Region", "REGION"),
                "country": repeated(tables["country"], "Country", "COUNTRY")}

    monkeypatch.setattr(documents, "pipeline_tables", grown)
    tables = grown()
    texts = pages(documents.pipeline_report_pdf())
    region = tables["region"]
    # the chart names the regions too: a table row is a name followed by its numbers
    check_table(texts, header="Region Funded programmes",
                row=re.compile(r"REGION-\d{3} \d+ [\d,]+\.\d\d"),
                total=f"Total {region['Funded notes'].sum()} "
                      f"{money(int(region['Funded'].sum()))} {region['Unfunded notes'].sum()}")
    check_table(texts, header="Country Funded programmes", row=re.compile(r"COUNTRY-\d{3}"),
                total=None)


def test_the_round_reports_ranking_repeats_its_header(scored, monkeypatch):
    from mptf.review import services as review

    real = review.results_frame
    monkeypatch.setattr(review, "results_frame",
                        lambda round_: repeated(real(round_), "Reference", "RANKED"))
    texts = pages(documents.round_report_pdf(scored))
    check_table(texts, header="Rank Reference Country Title", row=re.compile(r"RANKED-\d{3}"),
                total=None)


@pytest.mark.parametrize("rows", [75, 76, 77])
def test_a_total_never_starts_a_page_alone(app, rows):
    """With 76 rows the last row ends page 2 exactly: the total would start page 3 alone,
    under a repeated header; the stylesheet keeps it with the last row instead."""
    from mptf.documents.pdf import html_to_pdf

    body = "".join(f"<tr><td>LINE-{i:03d}</td><td class=num>1.00</td></tr>"
                   for i in range(1, rows + 1))
    html = (f"<html><body><h1>Long table</h1><table class=data><thead><tr><th>Item</th>"
            f"<th class=num>Amount (USD)</th></tr></thead><tbody>{body}</tbody><tfoot><tr>"
            f"<td>Total</td><td class=num>{rows}.00</td></tr></tfoot></table></body></html>")
    check_table(pages(html_to_pdf(html, identifier="T-1")), header="Item Amount (USD)",
                row=re.compile(r"LINE-\d{3}"), total=f"Total {rows}.00", rows=rows)
