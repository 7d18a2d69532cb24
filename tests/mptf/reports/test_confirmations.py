"""Actions that cannot be undone (closing a round, issuing a decision, withdrawing a note,
declaring a conflict) pass through a confirmation page served without script: GET, or a POST
without ``confirm``, says what cannot be undone and what is still missing, and changes
nothing; a POST with ``confirm`` does it."""

from __future__ import annotations

import re
from datetime import date

import pytest

from mptf.extensions import db
from mptf.models import Assignment, ConceptNote, Decision, Review, ReviewRound
from mptf.review import services as review
from tests import factories
from tests.conftest import counting_queries

CONFIRM_BUTTON = re.compile(r'<button type="submit" name="confirm" value="yes"')


def user_of(membership):
    return membership.representatives[0].user


def every_criterion(round_, value: int) -> dict[str, int]:
    return {c.code: value for c in round_.criteria}


@pytest.fixture
def open_round(committee, teams, pipeline_notes):
    """Eight notes, three reviewers each (IOM and Kenya or UNDP recused): DEU submitted two
    reviews, UNDP and the stakeholder left one draft each, the 20 others were never
    started."""
    round_ = review.create_round(teams["sec"], review.RoundInput(
        name="Round 1", opens_on=date(2026, 3, 1), closes_on=None,
        note_ids=[n.id for n in pipeline_notes]))
    review.open_round(teams["sec"], round_, date(2026, 3, 1))
    kenya, bangladesh = pipeline_notes[0], pipeline_notes[4]
    for note in (kenya, bangladesh):
        review.save_review(user_of(committee["DEU"]), round_, note.id,
                           every_criterion(round_, 4), {}, "", submit=True)
    review.save_review(user_of(committee["UNDP"]), round_, kenya.id,
                       every_criterion(round_, 3), {}, "", submit=False)
    review.save_review(user_of(committee["CSO"]), round_, bangladesh.id,
                       {round_.criteria[0].code: 2}, {}, "", submit=False)
    db.session.commit()
    return round_


def status_of(round_id: int) -> str:
    db.session.expire_all()
    return db.session.get(ReviewRound, round_id).status


def test_closing_a_round_says_what_is_missing_first(client, auth, open_round, pipeline_notes):
    auth.login("sec@example.org")
    path = f"/review/{open_round.id}/close"
    round_page = client.get(f"/review/{open_round.id}").get_data(as_text=True)
    assert f'href="{path}"' in round_page  # a link to the confirmation, not a form posting
    page = client.get(path)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and status_of(open_round.id) == "open"
    assert "This cannot be undone" in html
    assert "no review can be submitted, changed or reopened" in html
    assert "2 reviews are still drafts and will not count." in html
    assert "20 assigned reviews were never started." in html
    references = ", ".join(sorted(n.reference for n in pipeline_notes))
    assert f"8 notes will have fewer than 3 submitted reviews, no quorum: {references}." in html
    assert CONFIRM_BUTTON.search(html)
    # The old button posts without confirmation: the same page again, nothing closed.
    unconfirmed = auth.post(path, {}, token_from=path)
    assert unconfirmed.status_code == 200 and status_of(open_round.id) == "open"
    assert "2 reviews are still drafts" in unconfirmed.get_data(as_text=True)
    closed = auth.post(path, {"confirm": "yes"}, token_from=path)
    assert closed.status_code == 302 and status_of(open_round.id) == "closed"
    again = client.get(path).get_data(as_text=True)
    assert "only an open round can be closed" in again and not CONFIRM_BUTTON.search(again)


def test_the_consequences_of_closing_take_two_queries_whatever_the_round(open_round, teams):
    round_ = review.round_for(teams["sec"], open_round.id, with_notes=True)
    with counting_queries(db.engine) as statements:
        review.close_consequences(round_)
    assert len(statements) == 2


def test_issuing_a_decision_says_what_it_does_for_good(client, auth, draft, chair):
    auth.login("chair@example.org")
    path = f"/reports/decisions/{draft.id}/issue"
    draft_page = client.get(f"/reports/cycles/{draft.cycle_id}/decision").get_data(as_text=True)
    assert f'href="{path}"' in draft_page
    html = client.get(path).get_data(as_text=True)
    assert f"{draft.reference} is issued and never changes" in html
    assert "The funding cycle &#39;Cycle 2026-1&#39; is approved: USD 3,210,000.00 is " \
           "allocated to 3 notes" in html
    assert "The 5 other notes considered stay in the pipeline" in html
    assert CONFIRM_BUTTON.search(html)
    unconfirmed = auth.post(path, {}, token_from=path)
    assert unconfirmed.status_code == 200
    db.session.expire_all()
    assert db.session.get(Decision, draft.id).status == "draft"
    issued = auth.post(path, {"confirm": "yes"}, token_from=path)
    assert issued.status_code == 302
    db.session.expire_all()
    assert db.session.get(Decision, draft.id).status == "issued"
    after = client.get(path)
    assert after.status_code == 302 and after.headers["Location"].endswith(
        f"/reports/decisions/{draft.id}")


def test_a_decision_that_would_be_refused_offers_no_confirmation(client, auth, draft, chair,
                                                               teams):
    decision = db.session.get(Decision, draft.id)
    for attendance in decision.attendance:
        attendance.present = False
    decision.text = ""
    db.session.commit()
    auth.login("chair@example.org")
    html = client.get(f"/reports/decisions/{draft.id}/issue").get_data(as_text=True)
    assert "The meeting had no quorum" in html and not CONFIRM_BUTTON.search(html)
    assert "The decision has no text of its own." in html
    assert "7 seated members are recorded absent." in html


def test_withdrawing_a_note_carries_the_reason_to_its_confirmation(client, auth, teams):
    note = factories.note(teams["KEN"], "pipeline")
    db.session.commit()
    auth.login("kenya@example.org")
    path = f"/pipeline/{note.id}/withdraw"
    asked = auth.post(path, {"reason": "The ministry changed its plans."},
                      token_from=f"/pipeline/{note.id}")
    html = asked.get_data(as_text=True)
    assert asked.status_code == 200
    assert f"{note.reference} is withdrawn for good" in html
    assert "leaves the fund&#39;s pipeline: no funding cycle will consider it." in html
    assert "The ministry changed its plans.</textarea>" in html
    assert "No reason is given" not in html
    db.session.expire_all()
    assert db.session.get(ConceptNote, note.id).status == "pipeline"
    assert "No reason is given" in client.get(path).get_data(as_text=True)
    done = auth.post(path, {"reason": "The ministry changed its plans.", "confirm": "yes"},
                     token_from=path)
    assert done.status_code == 302
    db.session.expire_all()
    assert db.session.get(ConceptNote, note.id).status == "withdrawn"
    html = client.get(path).get_data(as_text=True)
    assert "cannot change any more" in html and not CONFIRM_BUTTON.search(html)


def test_declaring_a_conflict_is_confirmed_before_the_draft_is_deleted(
        client, auth, open_round, committee, pipeline_notes):
    kenya = pipeline_notes[0]
    auth.login("undp@reviewers.example")
    score = f"/review/{open_round.id}/notes/{kenya.id}"
    path = f"{score}/conflict"

    def assignment():
        db.session.expire_all()
        return db.session.scalar(db.select(Assignment).where(
            Assignment.round_id == open_round.id, Assignment.note_id == kenya.id,
            Assignment.membership_id == committee["UNDP"].id))

    def drafts():
        return db.session.scalar(db.select(db.func.count()).select_from(Review).where(
            Review.membership_id == committee["UNDP"].id, Review.note_id == kenya.id))

    asked = auth.post(path, {"reason": "Our country office drafted it."}, token_from=score)
    html = asked.get_data(as_text=True)
    assert asked.status_code == 200
    assert f"is recused from {kenya.reference} in this round" in html
    assert "in every later round too" in html
    assert f"Your draft review of {kenya.reference} is deleted." in html
    assert "Our country office drafted it.</textarea>" in html
    assert assignment().status == "assigned" and drafts() == 1
    empty = auth.post(path, {"reason": " ", "confirm": "yes"}, token_from=score)
    assert empty.status_code == 400 and 'class="error"' in empty.get_data(as_text=True)
    assert assignment().status == "assigned" and drafts() == 1
    done = auth.post(path, {"reason": "Our country office drafted it.", "confirm": "yes"},
                     token_from=score)
    assert done.status_code == 302
    assert assignment().status == "recused" and drafts() == 0
    assert client.get(path).status_code == 404  # recused: the note is no longer theirs


def test_a_declaration_on_the_committees_page_is_confirmed_first(client, auth, committee,
                                                                 teams, pipeline_notes):
    from mptf.models import ConflictDeclaration

    note = pipeline_notes[0]
    auth.login("deu@reviewers.example")
    data = {"membership": str(committee["DEU"].id), "note": str(note.id),
            "reason": "Our embassy advised the ministry on it."}
    asked = auth.post("/committee/conflicts", data, token_from="/committee/conflicts")
    html = asked.get_data(as_text=True)
    assert asked.status_code == 200
    assert f"does not count towards the quorum on {note.reference}" in html
    assert "it cannot be withdrawn" in html
    assert "Our embassy advised the ministry on it.</textarea>" in html
    assert f'<option selected value="{note.id}">' in html
    assert db.session.scalars(db.select(ConflictDeclaration)).all() == []
    done = auth.post("/committee/conflicts", {**data, "confirm": "yes"},
                     token_from="/committee/conflicts")
    assert done.status_code == 302
    assert len(db.session.scalars(db.select(ConflictDeclaration)).all()) == 1
    again = auth.post("/committee/conflicts", data, token_from="/committee/conflicts")
    html = again.get_data(as_text=True)
    assert "has already declared a conflict" in html and not CONFIRM_BUTTON.search(html)
