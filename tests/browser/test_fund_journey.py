"""The life of concept notes after screening, in the browser, as the people of the fund do it:
the secretariat rotates the Steering Committee and seats three reviewers; a review round is
prepared, opened, scored (one reviewer declares a conflict instead) and closed; the fund
office records two contributions, one earmarked; the secretariat sets up a funding cycle, runs
it and compares a what-if; the chair records and issues the decision; its PDF and the funded
note's letter are downloaded, read and verified; the public portfolio shows the funded
programme.

Only the starting point is written with factories: accounts, three notes in the pipeline, the
committee's previous term (ending today) and the rotation orders."""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass
from datetime import date, timedelta

from playwright.sync_api import Page, expect
from pypdf import PdfReader

from mptf.committee import services as committee
from mptf.extensions import db
from mptf.models import (
    Allocation,
    AllocationRun,
    Assignment,
    ConceptNote,
    Contribution,
    Decision,
    FundingCycle,
    IssuedDocument,
    Membership,
    Reminder,
    Review,
    ReviewRound,
    RoundNote,
)
from mptf.reference.seed import default_rubric_records
from mptf.services.policy import SYSTEM
from tests import factories

PASSWORD = factories.PASSWORD
SEC, CHAIR, FUND = "sec@example.org", "chair@example.org", "fund@example.org"
# Reviewer accounts and the party each will represent once the rotation has seated it.
REVIEWERS = {"amina@example.org": ("Amina Odhiambo", "UNHCR"),
             "bram@example.org": ("Bram de Vries", "NLD"),
             "carmen@example.org": ("Carmen Reyes", "PHL")}
ROTATION_ORDERS = {
    "chair": ["IOM"],
    "un_network": ["ILO", "UNDP", "UNHCR", "OHCHR"],
    "contributing_state": ["DEU", "NLD", "SWE", "NOR"],
    "cotd_state": ["MEX", "PHL", "MAR", "ECU"],
}


@dataclass
class Story:
    today: date
    notes: dict[str, str]          # 'kenya', 'bangladesh', 'kenya_2' -> reference
    note_ids: dict[str, int]
    criteria: list[tuple[str, str]]  # (code, label) of the fund's rubric
    user_labels: dict[str, str]    # e-mail -> the label of the account in the committee's lists


def starting_data(live_app) -> Story:
    """Three notes in the pipeline (two from Kenya on regular pathways, one from Bangladesh on
    protection), the accounts, and the committee's previous term ending today."""
    with live_app.app_context():
        kenya = factories.user("country_team", country="KEN", email="kenya@example.org")
        bangladesh = factories.user("country_team", country="BGD",
                                    email="bangladesh@example.org")
        factories.user("secretariat", email=SEC)
        chair = factories.user("chair", email=CHAIR)
        chair.name = "Coordinator Chair"
        factories.user("fund_office", email=FUND)
        labels = {}
        for email, (name, _) in REVIEWERS.items():
            user = factories.user("reviewer", email=email)
            user.name = name
            labels[email] = f"{name} <{email}> ({user.role_label})"
        made = {
            "kenya": factories.note(kenya, "pipeline",
                                    title="Fair recruitment corridors to the Gulf"),
            "bangladesh": factories.note(
                bangladesh, "pipeline", title="Safe shelters for migrants in transit",
                thematic_area_id=2, objective_ids=[7],
                punos=[("IOM", 60_000_000), ("UNDP", 40_000_000)]),
            "kenya_2": factories.note(kenya, "pipeline",
                                      title="Diaspora skills for Kenyan counties"),
        }
        today = committee.today()
        previous = committee.add_months(today, -24)
        factories.membership("chair", 1, "IOM", previous, today, representatives=[(chair, False)])
        factories.membership("un_network", 1, "ILO", previous, today)
        factories.membership("contributing_state", 1, "DEU", previous, today)
        factories.membership("cotd_state", 1, "MEX", previous, today)
        for constituency, codes in ROTATION_ORDERS.items():
            committee.set_rotation_order(SYSTEM, constituency, codes)
        db.session.commit()
        return Story(today=today, notes={k: n.reference for k, n in made.items()},
                     note_ids={k: n.id for k, n in made.items()},
                     criteria=[(r["code"], r["label"]) for r in default_rubric_records()],
                     user_labels=labels)


def refused_by_design(journey, status: str) -> None:
    """A refusal the app answers with an error status by design (a form's errors are a 400,
    docs/developing.md; an unknown document on the verify page is a 404): chromium reports
    the status on its console. Take that one line off, so that any other error still fails
    the journey."""
    assert journey.console_errors.pop() == (
        f"Failed to load resource: the server responded with a status of {status}")


def flash(page: Page):
    return page.locator(".flashes")


def row(page: Page, text: str):
    return page.get_by_role("row").filter(has_text=text)


def test_from_committee_rotation_to_the_public_portfolio(journey, live_app, tmp_path):
    story = starting_data(live_app)
    rotate_the_committee(journey, live_app, story)
    round_id = review_the_notes(journey, live_app, story)
    record_contributions(journey, live_app, story)
    cycle_id = set_up_and_run_the_cycle(journey, live_app, story, round_id)
    pdf, letter = issue_the_decision(journey, live_app, story, cycle_id, tmp_path)
    the_fund_after_the_decision(journey)
    verify_and_publish(journey, live_app, story, pdf, letter)
    assert journey.console_errors == []


# --- 1. the Steering Committee ---------------------------------------------------------------

def rotate_the_committee(journey, live_app, story: Story) -> None:
    page = journey.page
    journey.login(SEC, PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Committee").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Steering Committee on {story.today.day} {story.today:%B %Y}")
    expect(page.locator("dl.facts")).to_contain_text("0 of 13")
    page.get_by_role("navigation", name="Committee pages").get_by_role(
        "link", name="Rotation", exact=True).click()
    page.get_by_label("New terms start on").fill(story.today.isoformat())
    page.get_by_role("button", name="Propose").click()
    expect(page.get_by_label("UN Network on Migration 1").locator("option:checked")).to_have_text(
        "UNDP · United Nations Development Programme")
    # The chair's seat has no one else in its order: the outgoing Coordinator is renewed.
    expect(row(page, "Chair (Network Coordinator) 1")).to_contain_text("renewed")
    expect(page.get_by_label("Contributing states 1").locator("option:checked")).to_have_text(
        "NLD · Netherlands")
    expect(page.get_by_label("Countries of origin, transit and destination 1")
           .locator("option:checked")).to_have_text("PHL · Philippines")
    expect(row(page, "Stakeholders 1")).to_contain_text("left vacant")
    journey.shot("rotation-proposed")

    # The secretariat prefers another party to Ecuador in the third seat of its constituency:
    # first, by mistake, the Philippines (proposed already for the first seat), then Nepal.
    third = page.get_by_label("Countries of origin, transit and destination 3")
    third.select_option(label="PHL · Philippines")
    page.get_by_role("button", name="Check my changes").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Please correct 1 problem")
    expect(summary).to_contain_text("Philippines is already proposed for Countries of origin, "
                                    "transit and destination 1.")
    expect(third).to_have_attribute("aria-invalid", "true")
    refused_by_design(journey, "400 (BAD REQUEST)")
    journey.shot("rotation-refused")
    third.select_option(label="NPL · Nepal")
    page.get_by_role("button", name="Check my changes").click()
    expect(page.get_by_text("Your changes are valid. Confirm to write them.")).to_be_visible()
    expect(row(page, "Countries of origin, transit and destination 3")).to_contain_text(
        "chosen by the secretariat")
    page.get_by_role("button", name="Confirm and write the new terms").click()
    expect(flash(page)).to_contain_text(f"Rotation of {story.today.isoformat()} confirmed: "
                                        "10 new term(s) written")
    expect(page.locator("dl.facts")).to_contain_text("10 of 13")
    journey.shot("rotation-confirmed")

    # The new members' representatives: each reviewer for the party that named them.
    for email, (_, party) in REVIEWERS.items():
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Committee").click()
        with live_app.app_context():
            shown = str(factories.entity(party) or factories.state(party))
        page.get_by_role("link", name=shown, exact=True).click()
        page.get_by_label("User", exact=True).select_option(label=story.user_labels[email])
        page.get_by_role("button", name="Add", exact=True).click()
        expect(flash(page)).to_contain_text(f"{email} now acts for {shown}.")
        expect(page.get_by_role("row").filter(has_text=email)).to_contain_text("representative")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Committee").click()
    expect(row(page, "Chair (Network Coordinator) 1")).to_contain_text("Coordinator Chair")
    expect(row(page, "Countries of origin, transit and destination 1")).to_contain_text(
        "Carmen Reyes")
    journey.shot("committee-seated")
    journey.logout()

    with live_app.app_context():
        sitting = committee.sitting_on(story.today)
        assert sorted(m.organisation.acronym for m in sitting) == sorted(
            ["IOM", "UNDP", "UNHCR", "OHCHR", "NLD", "SWE", "NOR", "PHL", "MAR", "NPL"])
        assert all(m.start_date == story.today for m in sitting)
        seated = {m.organisation.acronym: sorted(r.user.email for r in m.representatives)
                  for m in sitting}
        assert seated["IOM"] == [CHAIR]  # carried over by the renewal
        assert {e: seated[p] for e, (_, p) in REVIEWERS.items()} == {
            e: [e] for e in REVIEWERS}


# --- 2-3. the review round -------------------------------------------------------------------

def score_note(page: Page, criteria, values: int | dict[str, int], comment: str) -> None:
    for code, label in criteria:
        value = values if isinstance(values, int) else values.get(code, values["*"])
        page.get_by_role("radiogroup", name=label).get_by_role(
            "radio", name=str(value), exact=True).check()
    page.get_by_label("Overall comment").fill(comment)
    # The primary action looks like one (the site's blue), not like a browser's default.
    expect(page.get_by_role("button", name="Submit review")).to_have_css(
        "background-color", "rgb(0, 90, 156)")
    page.get_by_role("button", name="Submit review").click()
    expect(flash(page)).to_contain_text("Review submitted.")


def review_the_notes(journey, live_app, story: Story) -> int:
    page = journey.page
    kenya, bangladesh, kenya_2 = (story.notes[k] for k in ("kenya", "bangladesh", "kenya_2"))
    journey.login(SEC, PASSWORD)
    page.get_by_role("link", name="Review rounds").click()
    page.get_by_role("link", name="New review round").click()
    page.get_by_label("Name", exact=True).fill("Round 2026-A")
    page.get_by_label("Opens on").fill(story.today.isoformat())
    page.get_by_label("Closes on").fill((story.today + timedelta(days=14)).isoformat())
    expect(page.get_by_label("Quorum (valid reviews per note)")).to_have_value("3")
    with live_app.app_context():
        options = [f"{n.reference} · {n.country.name} · {n.title}"
                   for n in db.session.scalars(db.select(ConceptNote).order_by(ConceptNote.id))]
    page.get_by_label("Pipeline notes to review").select_option(label=options)
    page.get_by_role("button", name="Save").click()
    expect(flash(page)).to_contain_text("Round 'Round 2026-A' created with the fund's rubric")
    expect(page.get_by_text("Notes to review (3)")).to_be_visible()

    # The rubric, copied from the fund's: shown, and saved unchanged before opening.
    page.get_by_role("link", name="Rubric", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Rubric of Round 2026-A")
    for i, (code, label) in enumerate(story.criteria, start=1):
        expect(page.get_by_label(f"Code {i}", exact=True)).to_have_value(code)
        expect(page.get_by_label(f"Label {i}", exact=True)).to_have_value(label)
    expect(page.get_by_label("Weight 1", exact=True)).to_have_value(re.compile(r"^20(\.0+)?$"))
    journey.shot("round-rubric")
    page.get_by_role("button", name="Save the rubric").click()
    expect(flash(page)).to_contain_text("Rubric saved.")
    rubric = page.locator("section", has=page.get_by_role("heading", name="Rubric"))
    expect(rubric.get_by_role("row")).to_have_count(len(story.criteria) + 1)
    expect(rubric.get_by_role("row").nth(1)).to_contain_text(story.criteria[0][1])
    page.get_by_role("button", name="Open the round").click()
    expect(flash(page)).to_contain_text("The round is open")
    expect(page.get_by_text("Open for scoring")).to_be_visible()
    journey.shot("round-open")
    journey.logout()
    with live_app.app_context():
        round_ = db.session.scalar(db.select(ReviewRound))
        round_id = round_.id
        assert round_.status == "open" and len(round_.criteria) == len(story.criteria)
        # Nine scoring seats filled, three notes; UNDP is a PUNO of the Bangladesh note.
        recused = [(a.membership.organisation.acronym, a.note.reference)
                   for a in round_.assignments if a.status == "recused"]
        assert len(round_.assignments) == 27 and recused == [("UNDP", bangladesh)]

    # The three reviewers score independently; Carmen (the Philippines) declares a conflict
    # on the Bangladesh note instead of scoring it.
    mixed = {"gcm_relevance": 5, "*": 4}
    plan = {"amina@example.org": {kenya: 5, bangladesh: 4, kenya_2: 3},
            "bram@example.org": {kenya: 5, bangladesh: 4, kenya_2: 3},
            "carmen@example.org": {kenya: mixed, bangladesh: None, kenya_2: 3}}
    for email, scores in plan.items():
        journey.login(email, PASSWORD)
        page.get_by_role("link", name="Review rounds").click()
        page.get_by_role("link", name="Round 2026-A").click()
        mine = page.locator("section", has=page.get_by_role(
            "heading", name="Your notes in this round"))
        expect(mine.get_by_role("row")).to_have_count(4)
        for reference, values in scores.items():
            page.get_by_role("link", name=reference).click()
            expect(page.get_by_role("heading", level=1)).to_contain_text(reference)
            if values is None:
                page.get_by_label("Reason for the conflict of interest").fill(
                    "Our ministry funds the shelters' operator in Bangladesh.")
                page.get_by_role("button", name="Declare and recuse").click()
                # The confirmation says what cannot be undone, the reason kept in its form.
                expect(page.get_by_role("heading", level=1)).to_have_text(
                    f"Declare a conflict of interest on {bangladesh}?")
                expect(page.locator(".confirmation")).to_contain_text(
                    "in every later round too")
                expect(page.get_by_label("Reason for the conflict of interest")).to_have_value(
                    "Our ministry funds the shelters' operator in Bangladesh.")
                journey.shot("conflict-declared")
                page.get_by_role("button", name="Declare and recuse").click()
                expect(flash(page)).to_contain_text(
                    "Conflict declared: you are recused from this note.")
                expect(row(page, reference)).to_contain_text("recused")
            else:
                if (email, reference) == ("amina@example.org", kenya_2):
                    # A first reading saved as a draft, finished later.
                    _, label = story.criteria[0]
                    group = page.get_by_role("radiogroup", name=label)
                    group.get_by_role("radio", name="3", exact=True).check()
                    page.get_by_role("button", name="Save draft").click()
                    expect(flash(page)).to_contain_text("Draft saved.")
                    expect(row(page, reference)).to_contain_text("draft")
                    page.get_by_role("link", name=reference).click()
                    expect(group.get_by_role("radio", name="3", exact=True)).to_be_checked()
                score_note(page, story.criteria, values, f"Reviewed by {email}.")
                expect(row(page, reference)).to_contain_text("submitted")
        if email == "amina@example.org":
            journey.shot("reviewer-scored")
        journey.logout()

    journey.login(SEC, PASSWORD)
    page.get_by_role("link", name="Review rounds").click()
    page.get_by_role("link", name="Round 2026-A").click()
    progress = page.locator("table", has=page.get_by_text("Per note"))
    expect(progress.get_by_role("row").filter(has_text=bangladesh)).to_have_text(
        re.compile(rf"{bangladesh}\s*2\s*7\s*2"))
    expect(progress.get_by_role("row").filter(has_text=kenya)).to_have_text(
        re.compile(rf"{kenya}\s*3\s*9\s*0"))
    reviewers = page.locator("table", has=page.get_by_text("Per reviewer"))
    expect(reviewers.get_by_role("row").filter(has_text="Philippines")).to_have_text(
        re.compile(r"Philippines\s*2\s*0"))
    expect(reviewers.get_by_role("button", name="Remind Philippines")).to_have_count(0)
    page.get_by_role("button", name="Remind Sweden").click()
    expect(flash(page)).to_contain_text("Reminder recorded.")
    journey.shot("round-progress")
    page.get_by_role("link", name="Close the round and compute results").click()
    confirmation = page.locator(".confirmation")
    expect(confirmation).to_contain_text("no review can be submitted, changed or reopened")
    expect(confirmation).to_contain_text(
        f"1 note will have fewer than 3 submitted reviews, no quorum: {bangladesh}.")
    journey.shot("round-close-confirmation")
    page.get_by_role("button", name="Close the round").click()
    expect(flash(page)).to_contain_text("The round is closed and its results computed.")
    page.get_by_role("link", name="Results", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Results of Round 2026-A")
    ranking = page.locator("table.ranking")
    # Kenya: 100, 100 and 80 (gcm_relevance 5, weight 20; the rest 4 of 5: 75): 93.3.
    expect(ranking.get_by_role("row").nth(1)).to_contain_text(kenya)
    expect(ranking.get_by_role("row").filter(has_text=kenya).first).to_contain_text("93.3")
    expect(ranking.get_by_role("row").filter(has_text=bangladesh)).to_contain_text("75.0")
    expect(ranking.get_by_role("row").filter(has_text=bangladesh)).to_contain_text("no quorum")
    expect(ranking.get_by_role("row").filter(has_text=kenya_2)).to_contain_text("50.0")
    expect(page.get_by_role("heading", name="Scores by reviewer")).to_be_visible()
    # The wide table of criterion means scrolls sideways and is reachable by keyboard.
    means = page.get_by_role("region", name="Mean score per criterion, scrolls sideways")
    means.focus()
    expect(means).to_be_focused()
    journey.shot("round-results")
    # The committee's record of conflicts: Carmen's declaration, and every recusal today.
    page.get_by_role("link", name="Committee").click()
    page.get_by_role("link", name="Conflicts of interest").click()
    declared = page.locator("table").first.get_by_role("row").filter(has_text=bangladesh)
    expect(declared).to_contain_text("Philippines")
    expect(declared).to_contain_text("Our ministry funds the shelters' operator in Bangladesh.")
    expect(declared).to_contain_text("by carmen@example.org")
    recusals = page.locator("table").nth(1)
    expect(recusals.get_by_role("row").filter(has_text="UNDP (UN Network on Migration 1)")
           ).to_contain_text(bangladesh)
    expect(recusals.get_by_role("row").filter(has_text="Philippines")).to_contain_text(
        bangladesh)
    journey.shot("conflicts")
    journey.logout()

    with live_app.app_context():
        results = {rn.note.reference: rn for rn in db.session.scalars(
            db.select(RoundNote).where(RoundNote.round_id == round_id))}
        assert {r: (rn.rank, rn.n_reviews, round(rn.score, 2), rn.quorum_met)
                for r, rn in results.items()} == {
            kenya: (1, 3, 93.33, True), kenya_2: (2, 3, 50.0, True),
            bangladesh: (3, 2, 75.0, False)}  # without quorum: after every note with it
        assert db.session.scalar(db.select(db.func.count()).select_from(Review)) == 8
        reminded = db.session.scalars(db.select(Membership).join(
            Reminder, Reminder.membership_id == Membership.id)).all()
        assert [m.organisation.acronym for m in reminded] == ["SWE"]
        carmen = db.session.scalar(db.select(Assignment).join(Membership).where(
            Assignment.round_id == round_id,
            Assignment.note_id == story.note_ids["bangladesh"],
            Membership.organisation_id == factories.state("PHL").id))
        assert carmen.status == "recused" and carmen.recusal_reason.startswith("declared:")
    return round_id


# --- 4. the fund's money ---------------------------------------------------------------------

def record_contributions(journey, live_app, story: Story) -> None:
    page = journey.page
    journey.login(FUND, PASSWORD)
    for reference, donor, amount, earmark, net in (
            ("DEP-2026-0001", "Germany", "2,000,000", None, "USD 1,980,000.00"),
            ("DEP-2026-0002", "Sweden", "1,500,000", "4. Regular pathways & decent work",
             "USD 1,485,000.00")):
        page.get_by_role("navigation", name="Main").get_by_role(
            "link", name="Contributions").click()
        page.get_by_role("link", name="Record a contribution").click()
        page.get_by_label("Reference").fill(reference)
        page.get_by_label("Donor", exact=True).select_option(label=donor)
        page.get_by_label("Deposited on").fill(story.today.isoformat())
        page.get_by_label("Amount (USD)").fill(amount)
        if earmark:
            page.get_by_label("Earmark").select_option(label=earmark)
        page.get_by_role("button", name="Record the contribution").click()
        expect(flash(page)).to_contain_text(f"Contribution {reference} recorded")
        expect(flash(page)).to_contain_text(f"gives {net} net")
        expect(page.locator("#net")).to_have_text(net)
    journey.shot("contribution-earmarked")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Contributions").click()
    expect(page.locator("#contributions-table tfoot")).to_contain_text("3,465,000.00")
    journey.shot("contributions")
    journey.logout()
    with live_app.app_context():
        found = {c.reference: (c.donor.acronym, c.amount_cents, c.fee_cents, c.net_cents,
                               c.earmark_area_id)
                 for c in db.session.scalars(db.select(Contribution))}
        assert found == {"DEP-2026-0001": ("DEU", 200_000_000, 2_000_000, 198_000_000, None),
                         "DEP-2026-0002": ("SWE", 150_000_000, 1_500_000, 148_500_000, 4)}


# --- 5. the funding cycle --------------------------------------------------------------------

def set_up_and_run_the_cycle(journey, live_app, story: Story, round_id: int) -> int:
    page = journey.page
    kenya, bangladesh, kenya_2 = (story.notes[k] for k in ("kenya", "bangladesh", "kenya_2"))
    journey.login(SEC, PASSWORD)
    page.get_by_role("link", name="Funding cycles").click()
    page.get_by_role("link", name="New funding cycle").click()
    page.get_by_label("Name", exact=True).fill("Cycle 2026-1")
    page.get_by_label("Decision date").fill(story.today.isoformat())
    page.get_by_label("Review rounds whose scores count").select_option(label="Round 2026-A")
    page.get_by_label("Minimum score (0–100)").fill("60")
    expect(page.get_by_label("Only notes whose review met its quorum")).to_be_checked()
    expect(page.get_by_label("At most this many notes per country")).to_have_value("1")
    journey.shot("cycle-policy")
    page.get_by_role("button", name="Save").click()
    expect(flash(page)).to_contain_text("Funding cycle 'Cycle 2026-1' created")
    expect(page.get_by_text("Money this cycle may spend now")).to_contain_text(
        "USD 3,465,000.00 (USD 1,980,000.00 unearmarked, USD 1,485,000.00 earmarked to area 4)")
    page.get_by_role("button", name="Run the allocation").click()
    expect(flash(page)).to_contain_text("Run saved: 1 note funded.")
    lines = page.locator("table", has=page.get_by_role("columnheader", name="Outcome"))
    expect(lines.get_by_role("row").filter(has_text=kenya)).to_contain_text("Funded")
    expect(lines.get_by_role("row").filter(has_text=kenya)).to_contain_text("1,070,000.00")
    expect(lines.get_by_role("row").filter(has_text=bangladesh)).to_contain_text(
        "No quorum in review")
    expect(lines.get_by_role("row").filter(has_text=kenya_2)).to_contain_text(
        "Below the minimum score")
    expect(page.get_by_text("Envelope USD 3,465,000.00; allocated USD 1,070,000.00")).to_be_visible()
    journey.shot("cycle-run")

    # What if the quorum were waived, the minimum lowered and two notes per country allowed?
    page.get_by_role("link", name="What if…").click()
    expect(page.get_by_label("Minimum score (0–100)")).to_have_value(re.compile(r"^60(\.0)?$"))
    page.get_by_label("Minimum score (0–100)").fill("40")
    page.get_by_label("Only notes whose review met its quorum").uncheck()
    page.get_by_label("At most this many notes per country").fill("2")
    page.get_by_role("button", name="Compare").click()
    expect(page.get_by_role("heading", name="Result")).to_be_visible()
    facts = page.locator("dl.facts")
    expect(facts).to_contain_text(re.compile(
        r"What-if allocates\s*USD 3,210,000\.00 of USD 3,465,000\.00 \(3 notes\)"))
    expect(facts).to_contain_text(re.compile(
        r"Saved run allocates\s*USD 1,070,000\.00 of USD 3,465,000\.00"))
    compared = page.locator("table", has=page.get_by_role("columnheader", name="What-if"))
    expect(compared.get_by_role("row").filter(has_text=bangladesh)).to_have_text(
        re.compile(r"No quorum in review\s*Funded"))
    expect(compared.get_by_role("row").filter(has_text=kenya_2)).to_have_text(
        re.compile(r"Below the minimum score\s*Funded"))
    expect(compared.locator("tr.changed")).to_have_count(2)
    journey.shot("what-if")
    journey.logout()
    with live_app.app_context():
        cycle = db.session.scalar(db.select(FundingCycle))
        runs = db.session.scalars(db.select(AllocationRun)).all()
        assert [r.id for r in cycle.rounds] == [round_id]
        assert cycle.policy["min_score"] == 60 and cycle.policy["max_per_country"] == 1
        assert len(runs) == 1, "the what-if saved nothing"
        assert {line.note.reference: (line.status, line.amount_cents,
                                      line.from_earmarked_cents)
                for line in runs[0].lines} == {
            kenya: ("funded", 107_000_000, 107_000_000),
            bangladesh: ("no_quorum", 0, 0), kenya_2: ("below_min_score", 0, 0)}
        return cycle.id


# --- 6-7. the decision -----------------------------------------------------------------------

def issue_the_decision(journey, live_app, story: Story, cycle_id: int,
                       tmp_path) -> tuple[bytes, bytes]:
    page = journey.page
    kenya = story.notes["kenya"]
    reference = f"MIG-SC-{story.today.year}-01"
    journey.login(CHAIR, PASSWORD)
    page.get_by_role("link", name="Funding cycles").click()
    page.get_by_role("link", name="Cycle 2026-1").click()
    page.get_by_role("link", name="Draft the decision").click()
    expect(page.get_by_label("Meeting date", exact=True)).to_have_value(story.today.isoformat())
    page.get_by_label("Place").fill("Geneva")
    present = page.get_by_role("group", name="Members present").get_by_role("checkbox")
    expect(present).to_have_count(10)
    for i in range(10):
        present.nth(i).check()
    page.get_by_label("Consensus", exact=True).check()
    page.get_by_label("Text of the decision").fill(
        "The Steering Committee approves the allocation below.")
    page.get_by_label(f"Condition on {kenya}").fill("A baseline survey in the first quarter.")
    page.get_by_role("button", name="Save the draft").click()
    expect(flash(page)).to_contain_text(f"Draft decision {reference} saved.")
    expect(page.get_by_text("Quorum met")).to_be_visible()
    journey.shot("decision-draft")
    page.get_by_role("link", name=f"Issue {reference}").click()
    confirmation = page.locator(".confirmation")
    expect(confirmation).to_contain_text(f"{reference} is issued and never changes")
    expect(confirmation).to_contain_text("The funding cycle 'Cycle 2026-1' is approved")
    journey.shot("decision-issue-confirmation")
    page.get_by_role("button", name=f"Issue and seal {reference}").click()
    expect(flash(page)).to_contain_text(
        f"Decision {reference} issued; the cycle is approved and the PDF sealed.",
        timeout=30_000)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Decision {reference}")
    journey.shot("decision-issued")
    with page.expect_download() as download:
        page.get_by_role("link", name="The decision (PDF)").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert download.value.suggested_filename == f"{reference}.pdf"
    pdf = saved.read_bytes()
    digest = hashlib.sha256(pdf).hexdigest()
    expect(page.locator("code")).to_have_text(digest)
    letters = page.locator("table", has=page.get_by_role("columnheader", name="Letter"))
    expect(letters.get_by_role("row").filter(has_text=story.notes["bangladesh"])).to_contain_text(
        "No quorum in review")
    expect(letters.get_by_role("row").filter(has_text=story.notes["kenya_2"])).to_contain_text(
        "Below the minimum score")
    # The Resident Coordinator's letter on the funded note, sealed at its first download.
    with page.expect_download() as download:
        page.get_by_role("link", name=f"Letter on {kenya} (PDF)").click()
    letter = tmp_path / download.value.suggested_filename
    download.value.save_as(letter)
    journey.logout()
    with live_app.app_context():
        sealed = db.session.scalar(db.select(IssuedDocument).where(
            IssuedDocument.reference == f"{reference}-L-{kenya}"))
        assert sealed.kind == "letter" and sealed.data == letter.read_bytes()
        decision = db.session.scalar(db.select(Decision))
        cycle = db.session.get(FundingCycle, cycle_id)
        assert decision.reference == reference and decision.status == "issued"
        assert decision.pdf_sha256 == digest and decision.pdf == pdf
        assert decision.outcome_mode == "consensus"
        assert sum(a.present for a in decision.attendance) == 10
        assert cycle.status == "approved"
        allocations = db.session.scalars(db.select(Allocation)).all()
        assert [(a.note.reference, a.amount_cents, a.conditions) for a in allocations] == [
            (kenya, 107_000_000, "A baseline survey in the first quarter.")]
        statuses = {n.reference: n.status for n in db.session.scalars(db.select(ConceptNote))}
        assert statuses == {kenya: "selected", story.notes["bangladesh"]: "pipeline",
                            story.notes["kenya_2"]: "pipeline"}
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    for expected in ("Decision of the Steering Committee on Cycle 2026-1", "Geneva",
                     "Outcome Consensus", "Quorum Met", "Approved 1 joint programme, "
                     "USD 1,070,000.00", "Condition: A baseline survey in the first quarter.",
                     f"{kenya} IOM 600,000.00 42,000.00 642,000.00",
                     f"{story.notes['bangladesh']} Bangladesh", "No quorum in review",
                     "Below the minimum score", "Coordinator Chair"):
        assert expected in text, expected
    # The members in the fund's seat order, chair first; the chart's ticks read true.
    seats = re.findall(r"^(Chair \(Network Coordinator\)|UN Network on Migration|Contributing "
                       r"states|Countries of origin, transit and destination) \d", text, re.M)
    assert list(dict.fromkeys(seats)) == [
        "Chair (Network Coordinator)", "UN Network on Migration", "Contributing states",
        "Countries of origin, transit and destination"]
    assert "0.25 M" in text and "0.2 M" not in text
    return pdf, letter.read_bytes()


def the_fund_after_the_decision(journey) -> None:
    """The fund office sees the allocation taken from the earmark of its area first."""
    page = journey.page
    journey.login(FUND, PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Fund",
                                                            exact=True).click()
    for fact, figure in (("allocated", "USD 1,070,000.00"), ("available", "USD 2,395,000.00"),
                         ("unearmarked", "USD 1,980,000.00"), ("earmarked", "USD 415,000.00")):
        expect(page.locator(f"#{fact}")).to_have_text(figure)
    journey.shot("fund-balance")
    journey.logout()


# --- 7-8. verification and the public page ---------------------------------------------------

def verify_and_publish(journey, live_app, story: Story, pdf: bytes, letter: bytes) -> None:
    page = journey.page
    kenya = story.notes["kenya"]
    reference = f"MIG-SC-{story.today.year}-01"
    digest = hashlib.sha256(pdf).hexdigest()
    # Anyone, signed out, checks the PDF's fingerprint, then the file itself, then a copy
    # changed by one byte.
    journey.go("/reports/verify")
    page.get_by_label("SHA-256").fill(digest)
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("status")).to_contain_text(
        f"Genuine. Steering Committee decision {reference}: Decision on Cycle 2026-1")
    journey.shot("verified")
    journey.go("/reports/verify")
    page.get_by_label("Or the PDF file").set_input_files(
        files=[{"name": f"{reference}.pdf", "mimeType": "application/pdf", "buffer": pdf}])
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("status")).to_contain_text(f"Genuine. Steering Committee decision "
                                                       f"{reference}")
    journey.go("/reports/verify")
    page.get_by_label("SHA-256").fill(hashlib.sha256(letter).hexdigest())
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("status")).to_contain_text(
        f"Genuine. Letter {reference}-L-{kenya}: Decision letter on {kenya}")
    journey.go("/reports/verify")
    tampered = pdf[:-10] + bytes([pdf[-10] ^ 1]) + pdf[-9:]
    page.get_by_label("Or the PDF file").set_input_files(
        files=[{"name": "changed.pdf", "mimeType": "application/pdf", "buffer": tampered}])
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("alert")).to_contain_text("Not a document issued by the fund.")
    refused_by_design(journey, "404 (NOT FOUND)")  # tests/mptf/reports/test_decision.py

    journey.go("/portfolio/")
    programmes = page.locator("#programmes")
    expect(programmes.locator("caption")).to_have_text("1 funded programme, USD 1,070,000.00")
    funded = programmes.get_by_role("row").filter(has_text=kenya)
    expect(funded).to_contain_text("Fair recruitment corridors to the Gulf")
    expect(funded).to_contain_text("Kenya")
    expect(funded).to_contain_text("IOM (lead), ILO")
    expect(funded).to_contain_text(f"{reference} (PDF)")
    totals = page.locator("dl.totals")
    for fact, figure in (("Deposited by donors", "USD 3,500,000.00"),
                         ("Administrative Agent fee", "USD 35,000.00"),
                         ("Allocated to programmes", "USD 1,070,000.00"),
                         ("Available", "USD 2,395,000.00"), ("Funded programmes", "1")):
        expect(totals).to_contain_text(re.compile(rf"{fact}\s*{re.escape(figure)}"))
    expect(programmes).not_to_contain_text(story.notes["bangladesh"])
    journey.shot("public-portfolio")
    funded.get_by_role("link", name=kenya).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(
        "Fair recruitment corridors to the Gulf")
    expect(page.get_by_role("row").filter(has_text="IOM — International Organization for "
                                                   "Migration")).to_contain_text(
        re.compile(r"600,000\.00\s*42,000\.00\s*642,000\.00"))
    expect(page.get_by_role("row", name="Total 1,070,000.00")).to_be_visible()
    expect(page.get_by_role("link", name=f"{reference} (PDF)")).to_be_visible()
    journey.shot("public-programme")
    with live_app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Allocation)) == 1
