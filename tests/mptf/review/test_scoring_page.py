"""The reviewer's scoring page shows what the rubric asks them to judge, links to the full note,
and puts a missing score's error on the criterion's radios (issue 22, item 10)."""

from datetime import date

import lxml.html
import pytest

from mptf.extensions import db
from mptf.formatting import day
from mptf.pipeline.services import PARTNER_KINDS, STAKEHOLDER_GROUPS
from mptf.review import services
from tests import factories

OPENING = date(2026, 3, 1)


@pytest.fixture
def round_and_note(committee, teams):
    """One Bangladesh note (IOM lead with UNDP) with every part the rubric judges filled in,
    in an open round; DEU's reviewer may score it."""
    note = factories.note(
        teams["BGD"], "pipeline", title="Safe corridors",
        punos=[("IOM", 60_000_000), ("UNDP", 40_000_000)], objective_ids=[5, 6],
        national_partners=[{"name": "Ministry of Expatriates' Welfare", "kind": "government"},
                           {"name": "Dhaka City Corporation", "kind": "local_authority"}],
        stakeholders=[{"group": "migrants", "description": "Returnee associations"},
                      {"group": "national_human_rights", "description": "The commission"}],
        endorsement_date=date(2026, 1, 15))
    round_ = services.create_round(teams["sec"], services.RoundInput(
        name="Round 1", opens_on=OPENING, closes_on=date(2026, 4, 1), note_ids=[note.id]))
    services.open_round(teams["sec"], round_, OPENING)
    db.session.commit()
    return round_, note


def test_the_scoring_page_shows_what_the_rubric_judges(client, auth, round_and_note):
    round_, note = round_and_note
    auth.login("deu@reviewers.example")
    page = client.get(f"/review/{round_.id}/notes/{note.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    tree = lxml.html.fromstring(html)
    text = " ".join(tree.text_content().split())
    for objective in note.objectives:  # GCM objectives
        assert f"{objective.id}. {objective.short_title}" in text
    for p in note.principles:  # guiding principles and how
        assert f"{p.principle.name}: {p.how}" in text
    assert f"Ministry of Expatriates' Welfare ({PARTNER_KINDS['government']})" in text
    assert f"Dhaka City Corporation ({PARTNER_KINDS['local_authority']})" in text
    assert f"{STAKEHOLDER_GROUPS['migrants']}: Returnee associations" in text
    assert f"{STAKEHOLDER_GROUPS['national_human_rights']}: The commission" in text
    assert "national_human_rights" not in html and "National human rights:" not in text
    assert _endorsement(tree) == f"yes, {day(note.endorsement_date)}"
    budget = [[" ".join(cell.text_content().split()) for cell in row] for row in tree.xpath(
        "//table[.//th[normalize-space()='PUNO']]/tbody/tr")]
    assert budget == [["IOM (lead)", "USD 600,000.00", "USD 42,000.00", "USD 642,000.00"],
                      ["UNDP", "USD 400,000.00", "USD 28,000.00", "USD 428,000.00"]]
    links = tree.xpath("//a[normalize-space()='Open the full concept note']/@href")
    assert links == [f"/pipeline/{note.id}"]
    assert client.get(links[0]).status_code == 200  # the reviewer may open it


def _endorsement(tree) -> str:
    return " ".join(tree.xpath("//dt[.='Government endorsement']/following-sibling::dd[1]")[0]
                    .text_content().split())


def test_the_notes_page_names_stakeholders_and_partners_by_their_labels(client, auth,
                                                                         round_and_note):
    _, note = round_and_note
    auth.login("bangladesh@example.org")
    html = client.get(f"/pipeline/{note.id}").get_data(as_text=True)
    assert f"{STAKEHOLDER_GROUPS['national_human_rights']}: The commission" in html
    assert "National human rights:" not in html
    assert f"({PARTNER_KINDS['local_authority']})" in html and "(local authority)" not in html


def test_a_missing_score_marks_the_radios_not_the_comment(client, auth, round_and_note):
    round_, note = round_and_note
    path = f"/review/{round_.id}/notes/{note.id}"
    auth.login("deu@reviewers.example")
    codes = [c.code for c in round_.criteria]
    scores = {f"score_{c}": "4" for c in codes[1:]}
    page = auth.post(path, scores | {"submit": "1"}, token_from=path)
    assert page.status_code == 400
    tree = lxml.html.fromstring(page.get_data(as_text=True))
    missing = tree.get_element_by_id(f"score_{codes[0]}")
    group = missing.xpath(".//*[@role='radiogroup']")[0]
    assert group.get("aria-invalid") == "true"
    assert "has-error" in group.get("class").split()
    described = tree.get_element_by_id(group.get("aria-describedby"))
    assert "Give a score." in described.text_content()
    comment = missing.xpath(".//textarea")[0]
    assert comment.get("aria-invalid") is None
    assert not comment.xpath("ancestor::*[contains(concat(' ', @class, ' '), ' has-error ')]")
    scored = tree.get_element_by_id(f"score_{codes[1]}")
    assert scored.xpath(".//*[@role='radiogroup']")[0].get("aria-invalid") is None
