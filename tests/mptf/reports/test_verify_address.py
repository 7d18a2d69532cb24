"""The public can reach the verification page: every sealed document (the decision and its
letters) prints the page's full address, on the fund's configured base URL, and the public
portfolio and programme pages link to it."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from mptf.allocation import decision_documents, decisions
from mptf.extensions import db
from mptf.models import Allocation
from tests.mptf.reports.conftest import the_chair

BASE = "https://mptf.example.org"


def flat_text(data: bytes) -> str:
    """The PDF's text without white space (a long address may wrap)."""
    return "".join("".join(page.extract_text().split())
                   for page in PdfReader(io.BytesIO(data)).pages)


@pytest.fixture
def on_base_url(app, served_app):
    app.config["BASE_URL"] = served_app.config["BASE_URL"] = BASE
    served_app.config["TRUSTED_HOSTS"] = None


@pytest.fixture
def issued(draft):
    decisions.issue(the_chair(), draft)
    db.session.commit()
    return draft


def test_the_sealed_decision_prints_the_verification_address(on_base_url, issued):
    text = flat_text(issued.pdf)
    assert f"at{BASE}/reports/verify" in text
    assert "uploadit,orpasteitsSHA-256" in text


def test_without_a_base_url_the_command_line_seals_with_the_demos_address(issued):
    """``mptf demo`` issues its decision on the command line: no request, no base URL."""
    assert "http://127.0.0.1:5000/reports/verify" in flat_text(issued.pdf)


def test_a_draft_carries_no_seal(draft):
    preview = decision_documents.decision_pdf(draft, decisions.verification_url())
    assert "/reports/verify" not in flat_text(preview)


def test_each_letter_prints_the_verification_address(on_base_url, client, auth, issued,
                                                     pipeline_notes):
    auth.login("sec@example.org")
    for note in (pipeline_notes[4], pipeline_notes[5]):  # funded, deferred
        letter = client.get(f"/reports/decisions/{issued.id}/letters/{note.id}.pdf")
        assert letter.status_code == 200
        assert f"{BASE}/reports/verify" in flat_text(letter.data), note.reference


def test_a_letter_served_without_a_base_url_prints_the_requests_address(client, auth, issued,
                                                                        pipeline_notes):
    auth.login("sec@example.org")
    letter = client.get(f"/reports/decisions/{issued.id}/letters/{pipeline_notes[4].id}.pdf")
    assert "http://localhost/reports/verify" in flat_text(letter.data)


def test_the_public_pages_link_to_the_verification_page(client, issued):
    portfolio = client.get("/portfolio/").get_data(as_text=True)
    assert portfolio.count('href="/reports/verify"') == 2
    allocation = db.session.scalar(db.select(Allocation).order_by(Allocation.id))
    programme = client.get(f"/portfolio/programmes/{allocation.id}").get_data(as_text=True)
    assert 'href="/reports/verify"' in programme
    assert client.get("/reports/verify").status_code == 200
