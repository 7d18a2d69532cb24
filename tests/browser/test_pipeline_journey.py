"""A country team drafts a concept note in the browser, attaches a PDF and submits it; the
secretariat screens it into the pipeline. A team withdraws a note through its confirmation."""

import re

from playwright.sync_api import expect

from mptf.extensions import db
from mptf.models import ConceptNote
from tests import factories

PASSWORD = factories.PASSWORD


def test_draft_attach_submit_and_screen(journey, live_app, tmp_path):
    with live_app.app_context():
        factories.user("country_team", country="KEN", email="kenya@example.org")
        factories.user("secretariat", email="sec@example.org")
        db.session.commit()
        iom, ilo = (f"{e.acronym} — {e.name}" for e in map(factories.entity, ("IOM", "ILO")))
    page = journey.page
    journey.login("kenya@example.org", PASSWORD)
    journey.go("/pipeline/")
    page.get_by_role("link", name="New concept note").click()
    page.get_by_label("Title", exact=True).fill("Fair recruitment corridors to the Gulf")
    page.get_by_label("Thematic area").select_option(label="4. Regular pathways & decent work")
    page.get_by_label(re.compile(r"^6\. Facilitate fair and ethical recruitment")).check()
    page.get_by_label("Duration (months)").fill("24")
    journey.shot("draft-started")
    page.get_by_role("button", name="Save draft").click()
    page.wait_for_url("**/edit")
    assert "saved" in page.content()

    page.get_by_label("Organisation 1").select_option(label=iom)
    page.get_by_label("Direct costs 1").fill("600,000")
    page.locator("#punos-0-lead").check()
    page.get_by_label("Organisation 2").select_option(label=ilo)
    page.get_by_label("Direct costs 2").fill("400,000")
    page.get_by_label("Gender-responsive", exact=True).check()
    page.get_by_label("How the programme is gender-responsive").fill("Women workers co-design.")
    page.get_by_label("Child-sensitive", exact=True).check()
    page.get_by_label("How the programme is child-sensitive").fill("Children left behind.")
    for marker, value in (("Gender equality marker", "2"), ("Human rights marker", "2"),
                          ("Child-sensitivity marker", "1")):
        page.get_by_label(marker, exact=True).select_option(value)
    page.get_by_label("Why this gender marker").fill("A gender analysis in every output.")
    page.get_by_label("Why this human rights marker").fill("Rights-based.")
    page.get_by_label("Why this child-sensitivity marker").fill("Safeguarding.")
    page.get_by_label("Summary").fill("Lower recruitment fees for Kenyan workers.")
    page.get_by_label("Problem statement").fill("Fees trap workers in debt.")
    page.get_by_label("Theory of change").fill("If recruiters are licensed, fees fall.")
    page.get_by_label("Expected results").fill("Fees halved.")
    page.get_by_label("Partner 1", exact=True).fill("Ministry of Labour")
    page.get_by_label("Migrants and diaspora", exact=True).check()
    page.get_by_label("The government has endorsed this concept note").check()
    page.get_by_label("Date of endorsement").fill("2026-01-15")
    page.get_by_role("button", name="Save draft").click()
    page.wait_for_url("**/edit")
    assert "USD 1,070,000.00" in page.content()
    journey.shot("draft-complete")

    pdf = tmp_path / "endorsement.pdf"
    pdf.write_bytes(factories.MINIMAL_PDF)
    page.get_by_label("Attachment (PDF, DOCX or XLSX, at most 10 MB)").set_input_files(str(pdf))
    page.get_by_role("button", name="Attach", exact=True).click()
    assert "endorsement.pdf attached" in page.content()
    page.get_by_role("button", name="Save and submit to the secretariat").click()
    page.wait_for_url(re.compile(r".*/pipeline/\d+$"))
    assert "submitted as version 1" in page.content()
    journey.shot("submitted")
    journey.logout()

    journey.login("sec@example.org", PASSWORD)
    journey.go("/pipeline/?status=submitted")
    page.get_by_role("link", name=re.compile(r"MIG-\d{4}-0001")).click()
    page.get_by_role("link", name="Screen").click()
    assert "passes every rule" in page.content()
    page.get_by_label("Eligible: enters the rolling pipeline").check()
    journey.shot("screening")
    page.get_by_role("button", name="Record the screening").click()
    page.wait_for_url(re.compile(r".*/pipeline/\d+$"))
    assert "In the pipeline" in page.content()
    journey.shot("in-pipeline")
    with live_app.app_context():
        note = db.session.scalar(db.select(ConceptNote))
        assert note.status == "pipeline" and len(note.attachments) == 1
    assert journey.console_errors == []


def test_withdrawing_a_note_is_confirmed_first(journey, live_app):
    """The team asks to withdraw a note in the pipeline: a page says it is for good and what it
    takes out of the fund, keeps the reason typed, and only its button withdraws."""
    with live_app.app_context():
        team = factories.user("country_team", country="KEN", email="kenya@example.org")
        factories.user("secretariat", email="sec@example.org")
        note = factories.note(team, "pipeline", title="Border data for planning")
        db.session.commit()
        note_id, reference = note.id, note.reference
    page = journey.page
    journey.login("kenya@example.org", PASSWORD)
    journey.go(f"/pipeline/{note_id}")
    page.get_by_label("Why the note is withdrawn (optional)").fill("A national plan covers it.")
    page.get_by_role("button", name=f"Withdraw {reference}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Withdraw {reference}?")
    confirmation = page.locator(".confirmation")
    expect(confirmation).to_contain_text(f"{reference} is withdrawn for good")
    expect(confirmation).to_contain_text("no funding cycle will consider it")
    expect(page.get_by_label("Why the note is withdrawn (optional)")).to_have_value(
        "A national plan covers it.")
    journey.shot("withdraw-confirmation")
    with live_app.app_context():
        assert db.session.get(ConceptNote, note_id).status == "pipeline"
    page.get_by_role("link", name="Cancel").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(reference)
    page.get_by_role("button", name=f"Withdraw {reference}").click()
    page.get_by_role("button", name=f"Withdraw {reference}").click()
    expect(page.locator(".flashes")).to_contain_text(f"{reference} is withdrawn.")
    with live_app.app_context():
        assert db.session.get(ConceptNote, note_id).status == "withdrawn"
    assert journey.console_errors == []
