"""After the decision the country team sees, on its note's page, what was decided: the amount
per PUNO, the conditions, the decision's reference and date, and its own decision letter,
which it (and no other country team) may download (issue 22, item 9)."""

import lxml.html
import pytest

from mptf.allocation import decisions
from mptf.extensions import db
from mptf.formatting import day
from tests import factories
from tests.mptf.reports.conftest import (  # noqa: F401
    MEETING,
    chair,
    committee,
    cycle,
    meeting,
    pipeline_notes,
    scored,
    teams,
    the_chair,
)

CONDITIONS = "Submit the signed programme document within 60 days."


@pytest.fixture
def issued(cycle, meeting, teams, pipeline_notes):  # noqa: F811
    """Notes 0, 1 (Kenya) and 4 (Bangladesh) funded, 2 and 3 (Kenya) deferred by the country
    limit; a condition on note 0."""
    draft = decisions.save_draft(teams["sec"], cycle, decisions.DraftInput(
        meeting_date=MEETING, place="Geneva", virtual=False, present_ids=[m.id for m in meeting],
        outcome_mode="consensus", escalation_step=None, text="The Committee approves.",
        other_decisions="", conditions={pipeline_notes[0].id: CONDITIONS}))
    decisions.issue(the_chair(), draft)
    db.session.commit()
    return draft


def cells(tree, caption: str) -> list[list[str]]:
    rows = tree.xpath(f"//table[caption[normalize-space()='{caption}']]/tbody/tr")
    return [[" ".join(c.text_content().split()) for c in row] for row in rows]


def test_the_team_sees_the_decision_on_its_selected_note(client, auth, issued,
                                                         pipeline_notes):  # noqa: F811
    note = pipeline_notes[0]
    auth.login("kenya@example.org")
    html = client.get(f"/pipeline/{note.id}").get_data(as_text=True)
    tree = lxml.html.fromstring(html)
    section = " ".join(tree.get_element_by_id("funding").text_content().split())
    status = " ".join(tree.xpath("//p[span[contains(@class, 'badge')]]")[0]
                      .text_content().split())
    assert status.startswith("Selected for funding") and "in the pipeline until" not in status
    assert f"{issued.reference}, issued on {day(issued.issued_at)}" in section
    assert "USD 1,070,000.00 to" in section
    assert cells(tree, "Transfers per participating UN organisation") == [
        ["IOM", "USD 600,000.00", "USD 42,000.00", "USD 642,000.00"],
        ["ILO", "USD 400,000.00", "USD 28,000.00", "USD 428,000.00"]]
    assert CONDITIONS in section
    letter = f"/reports/decisions/{issued.id}/letters/{note.id}.pdf"
    assert tree.xpath(f"//a[@href='{letter}']")
    download = client.get(letter)
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    assert tree.xpath(f"//a[@href='/reports/decisions/{issued.id}.pdf']")

    other = pipeline_notes[1]  # funded, without conditions
    section = " ".join(lxml.html.fromstring(client.get(f"/pipeline/{other.id}").get_data(
        as_text=True)).get_element_by_id("funding").text_content().split())
    assert "the decision sets no conditions" in section and CONDITIONS not in section

    deferred = pipeline_notes[2]  # in the run, not funded: no funding section
    tree = lxml.html.fromstring(client.get(f"/pipeline/{deferred.id}").get_data(as_text=True))
    assert not tree.xpath("//*[@id='funding']")
    assert "in the pipeline until" in tree.xpath("//p[span[contains(@class, 'badge')]]")[0] \
        .text_content()


def test_only_the_notes_own_country_team_downloads_its_letter(  # noqa: F811
        client, auth, issued, teams, pipeline_notes):  # noqa: F811
    kenyan, bangladeshi = pipeline_notes[0], pipeline_notes[4]
    letter = f"/reports/decisions/{issued.id}/letters/{{}}.pdf"
    auth.login("bangladesh@example.org")
    assert client.get(letter.format(kenyan.id)).status_code == 404
    assert client.get(letter.format(bangladeshi.id)).status_code == 200
    auth.logout()
    auth.login("kenya@example.org")
    assert client.get(letter.format(bangladeshi.id)).status_code == 404
    draft = factories.note(teams["KEN"])
    db.session.commit()
    assert client.get(letter.format(draft.id)).status_code == 404  # not in the decision
    unissued = f"/reports/decisions/{issued.id + 1}/letters/{kenyan.id}.pdf"
    assert client.get(unissued).status_code == 404  # no such decision issued
    auth.logout()
    reviewer = "deu@reviewers.example"
    auth.login(reviewer)
    assert client.get(letter.format(kenyan.id)).status_code == 403
    page = client.get(f"/pipeline/{kenyan.id}").get_data(as_text=True)
    assert 'id="funding"' in page and "/letters/" not in page  # no link it cannot follow

