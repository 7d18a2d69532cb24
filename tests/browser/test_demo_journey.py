"""A journey on the demo's own data, as a newcomer after `make demo` would take it: the chair
finds the draft decision through the navigation, reads the confirmation, issues and seals it,
and downloads the PDF; the country team of a funded note sees what was decided and downloads
its letter; the public reaches the verify page from the portfolio and checks the PDF there.

The demo is built through the CLI (`mptf demo --reset`) on the live server's database."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from playwright.sync_api import expect
from sqlalchemy import select

from mptf.cli import main
from mptf.demo import DEMO_PASSWORD
from mptf.extensions import db
from mptf.models import AllocationRunLine, ConceptNote, Decision, FundingCycle, User


def build_demo(live_app) -> dict:
    result = live_app.test_cli_runner().invoke(main, ["demo", "--reset"],
                                               catch_exceptions=False)
    assert result.exit_code == 0, result.output
    with live_app.app_context():
        draft = db.session.scalar(select(Decision).where(Decision.status == "draft"))
        cycle = db.session.get(FundingCycle, draft.cycle_id)
        funded = db.session.scalars(
            select(ConceptNote).join(AllocationRunLine,
                                     AllocationRunLine.note_id == ConceptNote.id)
            .where(AllocationRunLine.run_id == draft.run_id,
                   AllocationRunLine.status == "funded")
            .order_by(AllocationRunLine.order)).all()
        note = funded[0]
        team = db.session.scalar(select(User.email).where(
            User.role == "country_team", User.country_id == note.country_id))
        return {"reference": draft.reference, "cycle": cycle.name, "note": note.reference,
                "note_id": note.id, "team": team}


def test_the_chair_issues_the_demo_decision_and_everyone_sees_it(journey, live_app):
    demo = build_demo(live_app)
    page = journey.page

    journey.login("chair@demo.mptf.example", DEMO_PASSWORD)
    page.get_by_role("navigation").get_by_role("link", name="Funding cycles").click()
    page.get_by_role("link", name=demo["cycle"]).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(demo["cycle"])
    page.get_by_role("link", name=f"Decision draft {demo['reference']}").click()
    journey.shot("draft-decision")
    page.get_by_role("link", name=f"Issue {demo['reference']}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Issue {demo['reference']}?")
    journey.shot("confirmation")
    page.get_by_role("button", name=f"Issue and seal {demo['reference']}").click()
    expect(page.locator(".flashes")).to_contain_text(f"Decision {demo['reference']} issued")
    journey.shot("issued")
    with page.expect_download() as download:
        page.get_by_role("link", name="The decision (PDF)").click()
    pdf = Path(download.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF")
    digest = hashlib.sha256(pdf).hexdigest()
    with live_app.app_context():
        stored = db.session.scalar(select(Decision.pdf_sha256).where(
            Decision.reference == demo["reference"]))
    assert digest == stored
    journey.logout()

    journey.login(demo["team"], DEMO_PASSWORD)
    page.get_by_role("navigation").get_by_role("link", name="Concept notes").click()
    page.get_by_role("link", name=re.compile(re.escape(demo["note"]))).first.click()
    body = page.locator("main")
    expect(body).to_contain_text(demo["reference"])
    expect(page.get_by_role("heading", name="Funding decision")).to_be_visible()
    journey.shot("team-sees-decision")
    with page.expect_download() as letter:
        page.get_by_role("link", name=re.compile("letter", re.I)).first.click()
    assert Path(letter.value.path()).read_bytes().startswith(b"%PDF")
    journey.logout()

    journey.go("/portfolio/")
    page.get_by_role("link", name=re.compile("verify", re.I)).first.click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.get_by_label(re.compile("SHA-256", re.I)).first.fill(digest)
    page.get_by_role("button", name=re.compile("Verify|Check", re.I)).click()
    expect(page.locator("main")).to_contain_text(demo["reference"])
    journey.shot("verified")
    assert journey.console_errors == []
