"""A full round: 5 reviewers, 8 notes, recusals, hidden scores, closing with a hand-computed
ranking, and reviews that update in place."""

import io
from datetime import date

import pandas as pd
import pytest

from mptf.extensions import db
from mptf.models import Assignment, ConceptNote, Review, ReviewRound, Score
from mptf.review import services
from mptf.services.errors import NotAllowed, NotFound, ServiceError
from tests import factories
from tests.conftest import counting_queries
from tests.mptf.review.conftest import appoint

OPENING = date(2026, 3, 1)
CODES = ["gcm_relevance", "joint_added_value", "national_ownership", "whole_of_society",
         "rights_gender_child", "feasibility", "sustainability_catalytic", "value_for_money"]


def all_at(value: int) -> dict[str, int]:
    return dict.fromkeys(CODES, value)


def uniform(score: int) -> dict[str, int]:
    """Every criterion at one value: the weighted score is 100 × (v − 1) / 4."""
    return all_at({0: 1, 25: 2, 50: 3, 75: 4, 100: 5}[score])


# The fund rubric weighs relevance 20 of 100: relevance 5 and the rest 3 gives
# 100 × (20 × 1 + 80 × 0.5) / 100 = 60.
SIXTY = all_at(3) | {"gcm_relevance": 5}

# note index -> {reviewer: values}; IOM is recused everywhere (PUNO on every note), UNDP from
# the Bangladesh notes (PUNO), Kenya from the Kenya notes (own country).
PLAN = {
    0: {"UNDP": uniform(75), "DEU": uniform(75), "CSO": uniform(100)},
    1: {"UNDP": uniform(50), "DEU": uniform(75), "CSO": uniform(75)},
    2: {"UNDP": uniform(100), "DEU": uniform(50), "CSO": uniform(75)},
    3: {"UNDP": SIXTY, "DEU": uniform(50), "CSO": uniform(50)},
    4: {"DEU": uniform(75), "KEN": uniform(75), "CSO": uniform(75)},
    5: {"DEU": uniform(25), "KEN": uniform(50)},  # CSO declares a conflict: no quorum
    6: {"DEU": uniform(100), "KEN": uniform(100), "CSO": uniform(75)},
    7: {"DEU": uniform(0), "KEN": uniform(25), "CSO": uniform(25)},
}

# Worked by hand: (note index, rank, n, mean, median, spread, quorum, disagreement)
EXPECTED = [
    (6, 1, 3, 91.6667, 100.0, 25.0, True, False),
    (0, 2, 3, 83.3333, 75.0, 25.0, True, False),
    (2, 3, 3, 75.0, 75.0, 50.0, True, True),    # ties with note 4 on mean and median:
    (4, 4, 3, 75.0, 75.0, 0.0, True, False),    # the lower note id ranks first
    (1, 5, 3, 66.6667, 75.0, 25.0, True, False),
    (3, 6, 3, 53.3333, 50.0, 10.0, True, False),
    (7, 7, 3, 16.6667, 25.0, 25.0, True, False),
    (5, 8, 2, 37.5, 37.5, 25.0, False, False),  # no quorum: after every note with it
]


def user_of(membership):
    return membership.representatives[0].user


@pytest.fixture
def open_round(committee, teams, pipeline_notes):
    round_ = services.create_round(teams["sec"], services.RoundInput(
        name="Round 1", opens_on=OPENING, closes_on=date(2026, 4, 1),
        note_ids=[n.id for n in pipeline_notes]))
    services.open_round(teams["sec"], round_, OPENING)
    db.session.commit()
    return round_


def score_plan(round_, committee, notes):
    for index, reviews in PLAN.items():
        for key, values in reviews.items():
            services.save_review(user_of(committee[key]), round_, notes[index].id, values, {},
                                 "", submit=True)
    services.declare_conflict(user_of(committee["CSO"]), round_, notes[5].id,
                              "Our director sits on the programme's board.")
    db.session.commit()


def test_opening_freezes_reviewers_minus_detected_conflicts(open_round, committee,
                                                            pipeline_notes):
    status = {(a.note_id, a.membership_id): a for a in open_round.assignments}
    assert len(status) == 8 * 5
    for note in pipeline_notes:
        iom = status[(note.id, committee["IOM"].id)]
        assert iom.status == "recused" and "PUNO" in iom.recusal_reason
        kenyan = note.country.iso3 == "KEN"
        assert status[(note.id, committee["KEN"].id)].status == ("recused" if kenyan
                                                                 else "assigned")
        assert status[(note.id, committee["UNDP"].id)].status == ("assigned" if kenyan
                                                                  else "recused")
        assert status[(note.id, committee["DEU"].id)].status == "assigned"
    assert all(rn.version_number == 1 for rn in open_round.round_notes)
    with pytest.raises(ServiceError, match="cannot change the rubric"):
        services.set_criteria(_sec(), open_round, [])


def _sec():
    from mptf.models import User

    return db.session.scalar(db.select(User).where(User.role == "secretariat"))


def test_a_member_whose_term_ended_before_opening_is_not_in_the_round(
        committee, teams, pipeline_notes):
    from mptf.models import Organisation

    unicef = db.session.scalar(db.select(Organisation).where(Organisation.acronym == "UNICEF"))
    former = appoint("un_network", 3, unicef, date(2024, 1, 1), date(2026, 2, 1),
                     email="unicef@reviewers.example")
    round_ = services.create_round(teams["sec"], services.RoundInput(
        name="Round X", opens_on=OPENING, closes_on=None,
        note_ids=[pipeline_notes[0].id]))
    services.open_round(teams["sec"], round_, OPENING)
    assert former.id not in {a.membership_id for a in round_.assignments}
    with pytest.raises(NotFound):
        services.assignment_for(user_of(former), round_, pipeline_notes[0].id)


def test_a_member_whose_term_ends_during_the_round_scores_no_more(
        client, auth, committee, teams, pipeline_notes):
    """Frozen into the round at opening, the member may score while its term runs; from the
    day the term ends, a score or a conflict declaration is refused (403) and nothing saved."""
    from mptf.models import Organisation

    unicef = db.session.scalar(db.select(Organisation).where(Organisation.acronym == "UNICEF"))
    leaving = appoint("un_network", 3, unicef, date(2024, 1, 1), date(2026, 3, 15),
                      email="unicef@reviewers.example")
    round_ = services.create_round(teams["sec"], services.RoundInput(
        name="Round X", opens_on=OPENING, closes_on=None,
        note_ids=[n.id for n in pipeline_notes[:2]]))
    services.open_round(teams["sec"], round_, OPENING)
    db.session.commit()
    assert leaving.id in {a.membership_id for a in round_.assignments}
    note = pipeline_notes[0]
    services.save_review(user_of(leaving), round_, note.id, all_at(3), {}, "", submit=False,
                         on=date(2026, 3, 14))
    services.save_review(user_of(leaving), round_, pipeline_notes[1].id, all_at(2), {}, "",
                         submit=True, on=date(2026, 3, 14))
    db.session.commit()
    with pytest.raises(NotAllowed, match="ended on 14 March 2026"):  # nor withdraw it after
        services.reopen_review(user_of(leaving), round_, pipeline_notes[1].id)
    db.session.rollback()
    with pytest.raises(NotAllowed, match="ended on 14 March 2026"):
        services.save_review(user_of(leaving), round_, note.id, all_at(4), {}, "",
                             submit=True, on=date(2026, 3, 15))
    db.session.rollback()

    auth.login("unicef@reviewers.example")  # today is after the term: the page refuses too
    path = f"/review/{round_.id}/notes/{note.id}"
    refused = auth.post(path, {f"score_{c}": "4" for c in CODES} | {"submit": "1"},
                        token_from=path)
    assert refused.status_code == 403
    assert "term on the Steering Committee ended on 14 March 2026" in refused.get_data(
        as_text=True)
    other = f"/review/{round_.id}/notes/{pipeline_notes[1].id}"
    conflict = auth.post(f"{other}/conflict", {"reason": "Late.", "confirm": "yes"},
                         token_from=path)
    assert conflict.status_code == 302 and conflict.headers["Location"] == other
    assert "ended on 14 March 2026" in client.get(other).get_data(as_text=True)
    db.session.expire_all()
    review = db.session.scalar(db.select(Review).where(Review.membership_id == leaving.id,
                                                       Review.note_id == note.id))
    assert review.status == "draft" and {s.value for s in review.scores} == {3}
    assert db.session.scalar(db.select(Review.status).where(
        Review.membership_id == leaving.id, Review.note_id == pipeline_notes[1].id)) == "submitted"
    assert {a.status for a in round_.assignments if a.membership_id == leaving.id} == {
        "assigned"}


def test_recused_reviewers_get_404_on_recused_notes(client, auth, open_round, committee,
                                                     pipeline_notes):
    kenya_note = pipeline_notes[0]
    auth.login("ken@reviewers.example")
    path = f"/review/{open_round.id}/notes/{kenya_note.id}"
    assert client.get(path).status_code == 404
    assert auth.post(path, {f"score_{c}": "5" for c in CODES} | {"submit": "1"},
                     token_from=f"/review/{open_round.id}").status_code == 404
    assert auth.post(path + "/conflict", {"reason": "x"},
                     token_from=f"/review/{open_round.id}").status_code == 404
    assert client.get(f"/review/{open_round.id}/notes/{pipeline_notes[4].id}").status_code == 200
    assert db.session.scalars(db.select(Review)).all() == []


def test_scoring_through_the_page_and_a_second_submission_updates(
        client, auth, open_round, committee, pipeline_notes):
    note = pipeline_notes[4]
    path = f"/review/{open_round.id}/notes/{note.id}"
    auth.login("deu@reviewers.example")
    incomplete = auth.post(path, {"score_gcm_relevance": "4", "submit": "1"}, token_from=path)
    assert incomplete.status_code == 400
    assert "Give a score." in incomplete.get_data(as_text=True)
    assert auth.post(path, {f"score_{c}": "4" for c in CODES} | {"submit": "1"},
                     token_from=path).status_code == 302
    assert auth.post(path + "/reopen", {}, token_from=path).status_code == 302
    assert auth.post(path, {f"score_{c}": "2" for c in CODES} | {"submit": "1"},
                     token_from=path).status_code == 302
    reviews = db.session.scalars(db.select(Review)).all()
    assert len(reviews) == 1 and reviews[0].status == "submitted"
    values = db.session.scalars(db.select(Score.value)).all()
    assert len(values) == 8 and set(values) == {2}


def test_scores_are_hidden_while_the_round_is_open(client, auth, open_round, committee,
                                                   pipeline_notes):
    score_plan(open_round, committee, pipeline_notes)
    note = pipeline_notes[0]
    secret_numbers = ["83.3", "91.7", "66.7"]
    for email in ("sec@example.org", "deu@reviewers.example", "kenya@example.org"):
        auth.login(email)
        pages = [f"/review/{open_round.id}", f"/review/{open_round.id}/results",
                 f"/review/{open_round.id}/results.csv", f"/review/{open_round.id}/results.xlsx",
                 f"/pipeline/{note.id}", "/pipeline/", "/pipeline/export.csv", "/admin/audit"]
        for page in pages:
            response = client.get(page, follow_redirects=True)
            body = response.get_data(as_text=True) if response.mimetype.startswith("text") \
                else ""
            for secret in secret_numbers:
                assert secret not in body, (email, page)
            assert "weighted" not in body.lower(), (email, page)
        auth.logout()
    assert db.session.get(ConceptNote, note.id).score is None


def test_closing_gives_the_hand_computed_ranking(client, auth, open_round, committee,
                                                 pipeline_notes):
    score_plan(open_round, committee, pipeline_notes)
    services.close_round(_sec(), open_round)
    db.session.commit()
    by_note = {rn.note_id: rn for rn in open_round.round_notes}
    for index, rank, n, mean, median, spread, quorum, disagreement in EXPECTED:
        rn = by_note[pipeline_notes[index].id]
        assert (rn.rank, rn.n_reviews, rn.quorum_met, rn.disagreement) == (
            rank, n, quorum, disagreement), index
        assert rn.mean == pytest.approx(mean, abs=1e-4)
        assert rn.median == pytest.approx(median)
        assert rn.spread == pytest.approx(spread)
        assert rn.note.score == pytest.approx(mean, abs=1e-4)
    # The pages and exports show the same table.
    auth.login("sec@example.org")
    csv = pd.read_csv(io.BytesIO(client.get(f"/review/{open_round.id}/results.csv").data))
    assert list(csv["Rank"]) == [1, 2, 3, 4, 5, 6, 7, 8]
    assert list(csv["Reference"]) == [pipeline_notes[i].reference for i, *_ in EXPECTED]
    assert list(csv["Score"]) == [round(e[3], 1) for e in EXPECTED]
    page = client.get(f"/review/{open_round.id}/results").get_data(as_text=True)
    assert "91.7" in page and "no quorum" in page and "disagreement" in page
    assert "notes without quorum come after all of them" in page
    # A closed round is read-only.
    with pytest.raises(ServiceError, match="cannot score"):
        services.save_review(user_of(committee["DEU"]), open_round, pipeline_notes[0].id,
                             uniform(50), {}, "", submit=True)


def test_country_team_sees_its_aggregate_score_but_not_who_scored(client, auth, open_round,
                                                                  committee, pipeline_notes):
    score_plan(open_round, committee, pipeline_notes)
    services.close_round(_sec(), open_round)
    db.session.commit()
    auth.login("kenya@example.org")
    page = client.get(f"/pipeline/{pipeline_notes[0].id}").get_data(as_text=True)
    assert "83.3" in page
    assert client.get(f"/review/{open_round.id}/results").status_code == 403
    assert "Deutschland" not in page and "Germany" not in page


@pytest.mark.postgres
def test_concurrent_submissions_of_the_same_review_leave_one_row(
        served_app, open_round, committee, pipeline_notes):
    """Two requests submit the same review at once: the row lock on the assignment makes them
    run one after the other, and the review exists once."""
    from tests.conftest import Auth, csrf_token, run_at_once

    note = pipeline_notes[4]
    path = f"/review/{open_round.id}/notes/{note.id}"
    clients = [served_app.test_client() for _ in range(2)]
    posts = []
    for value, c in zip(("3", "5"), clients, strict=True):
        a = Auth(c)
        a.login("deu@reviewers.example")
        posts.append((c, {f"score_{code}": value for code in CODES}
                      | {"submit": "1", "csrf_token": csrf_token(c, path)}))
    statuses = run_at_once([lambda c=c, d=d: c.post(path, data=d).status_code
                            for c, d in posts])
    assert sorted(statuses) == [302, 302]
    assert db.session.scalar(db.select(db.func.count()).select_from(Review)) == 1
    assert db.session.scalar(db.select(db.func.count()).select_from(Score)) == len(CODES)
    assert db.session.scalar(db.select(db.func.count()).select_from(Assignment).where(
        Assignment.round_id == open_round.id)) == 40
    assert isinstance(db.session.get(ReviewRound, open_round.id), ReviewRound)


def test_the_round_page_takes_a_constant_number_of_queries(client, auth, committee, teams):
    """The reviewer's list of notes and the secretariat's progress tables load each note's
    country and each member's organisation with the page, not one note at a time."""
    with client.application.app_context():
        engine = db.engine

    def queries(round_id: int, email: str) -> int:
        auth.login(email)
        with counting_queries(engine) as statements:
            assert client.get(f"/review/{round_id}").status_code == 200
        auth.logout()
        return len(statements)

    counts = []
    for n in (2, 12):
        notes = [factories.note(teams["BGD"], "pipeline", title=f"Note {i}",
                                punos=[("IOM", 60_000_000), ("UNDP", 40_000_000)])
                 for i in range(n)]
        round_ = services.create_round(teams["sec"], services.RoundInput(
            name=f"Round of {n}", opens_on=OPENING, closes_on=date(2026, 4, 1),
            note_ids=[note.id for note in notes]))
        services.open_round(teams["sec"], round_, OPENING)
        db.session.commit()
        counts.append((queries(round_.id, "deu@reviewers.example"),
                       queries(round_.id, "sec@example.org")))
    assert counts[0] == counts[1]
