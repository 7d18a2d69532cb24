"""A refused "Save and submit" in the browser (issue 22, items 2 and 3): a new note's refusal
lands on the draft's own edit page with its problems, the next "Save draft" updates that draft
(no second draft, no false "Someone else saved this note"), and attaching a file keeps what was
typed."""

import re

from mptf.extensions import db
from mptf.models import ConceptNote
from tests import factories

PASSWORD = factories.PASSWORD


def test_a_refused_submission_then_save_then_attach(journey, live_app, tmp_path):
    with live_app.app_context():
        factories.user("country_team", country="KEN", email="kenya@example.org")
        db.session.commit()
    page = journey.page
    journey.login("kenya@example.org", PASSWORD)
    journey.go("/pipeline/new")
    page.get_by_label("Title", exact=True).fill("Fair recruitment corridors")
    page.get_by_role("button", name="Save and submit to the secretariat").click()
    page.wait_for_url(re.compile(r".*/pipeline/\d+/edit\?problems=1$"))
    assert page.get_by_role("heading", name=re.compile(r"MIG-\d{4}-0001: edit")).is_visible()
    assert page.get_by_text("Give a summary.").first.is_visible()
    journey.shot("refused-submission")

    page.get_by_label("Summary").fill("Lower recruitment fees.")
    page.get_by_role("button", name="Save draft").click()
    page.wait_for_url("**/edit")
    assert "Draft saved." in page.content()
    assert "Someone else saved this note" not in page.content()

    page.get_by_label("Problem statement").fill("Fees trap workers in debt.")
    pdf = tmp_path / "endorsement.pdf"
    pdf.write_bytes(factories.MINIMAL_PDF)
    page.get_by_label("Attachment (PDF, DOCX or XLSX, at most 10 MB)").set_input_files(str(pdf))
    page.get_by_role("button", name="Attach", exact=True).click()
    page.wait_for_url("**/edit")
    assert "endorsement.pdf attached" in page.content()
    assert page.get_by_label("Problem statement").input_value() == "Fees trap workers in debt."
    journey.shot("attached-and-kept")

    page.get_by_label("Problem statement").fill("Fees trap workers in debt for years.")
    page.get_by_role("button", name="Remove").click()
    page.wait_for_url("**/edit")
    assert "Attachment removed." in page.content()
    assert page.get_by_label("Problem statement").input_value() == \
        "Fees trap workers in debt for years."
    with live_app.app_context():
        notes = db.session.scalars(db.select(ConceptNote)).all()
        assert len(notes) == 1
        assert notes[0].summary == "Lower recruitment fees."
        assert notes[0].problem_statement == "Fees trap workers in debt for years."
        assert notes[0].attachments == []
    assert journey.console_errors == []


def test_the_edit_page_with_problems_and_attachments_is_accessible(browser, live_server,
                                                                   live_app):
    """The attachment controls now belong to the note form (form="note-form"): axe-core finds
    no serious violation on the edit page listing a refused submission's problems."""
    from tests.browser.test_accessibility import AXE, violations

    with live_app.app_context():
        team = factories.user("country_team", country="KEN", email="kenya@example.org")
        note = factories.note(team, title="")
        factories.add_pdf(team, note)
        db.session.commit()
        note_id = note.id
    assert AXE.exists(), "axe-core is missing: run `npm ci` in tests/browser"
    context = browser.new_context(bypass_csp=True)  # axe is injected as a script
    page = context.new_page()
    page.goto(live_server + "/login")
    page.fill("#email", "kenya@example.org")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/home")
    page.goto(f"{live_server}/pipeline/{note_id}/edit?problems=1")
    assert "Give a title." in page.content()
    found = violations(page)
    context.close()
    assert found == []
