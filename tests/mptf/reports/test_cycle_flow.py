"""Contributions → cycle → run → what-if → approval by issuing the decision → the balance
falls by exactly what was allocated; concurrent approvals leave one; an approval beyond the
money held is refused with nothing written. (Fixtures in this folder's conftest.)"""


import pytest

from mptf.allocation import cycles, decisions
from mptf.allocation.services import available_funds
from mptf.extensions import db
from mptf.models import Allocation, AllocationRun, ConceptNote, Decision, FundingCycle
from mptf.services.errors import ServiceError
from tests.mptf.reports.conftest import contribute, the_chair


def test_the_whole_cycle_through_the_pages(client, auth, scored, teams, chair, pipeline_notes,
                                           meeting):
    contribute("C-1", "DEU", 250_000_000, pipeline_notes[0].submitted_at.date())
    contribute("C-2", "NLD", 100_000_000, pipeline_notes[0].submitted_at.date())
    db.session.commit()
    before = available_funds()
    assert before[0] + sum(before[1].values()) == 346_500_000
    auth.login("sec@example.org")
    response = auth.post("/fund/cycles/new", {
        "name": "Cycle A", "decision_date": "2026-05-04", "round_ids": [str(scored.id)],
        "min_score": "0", "require_quorum": "y", "max_per_country": "2",
        "champion_bonus": "0", "method": "greedy"}, token_from="/fund/cycles/new")
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    cycle = db.session.scalar(db.select(FundingCycle))
    assert auth.post(f"/fund/cycles/{cycle.id}/run", {"method": "greedy"}).status_code == 302
    page = client.get(f"/fund/cycles/{cycle.id}").get_data(as_text=True)
    assert page.count("Country limit reached") == 2 and page.count("Insufficient funds") == 3
    # What-if, one note per country: Kenya's note 0 and Bangladesh's note 4 only
    # (2 × 1,070,000.00); nothing is saved.
    runs_before = db.session.scalar(db.select(db.func.count()).select_from(AllocationRun))
    what_if = client.get(f"/fund/cycles/{cycle.id}/what-if?max_per_country=1&min_score=0"
                         "&require_quorum=y&champion_bonus=0&method=greedy")
    html = what_if.get_data(as_text=True)
    assert what_if.status_code == 200 and "What-if allocates" in html
    assert "USD 2,140,000.00" in html
    assert db.session.scalar(db.select(db.func.count()).select_from(AllocationRun)) == \
        runs_before
    optimal = client.get(f"/fund/cycles/{cycle.id}/what-if?max_per_country=2&min_score=0"
                         "&require_quorum=y&champion_bonus=0&method=optimal")
    assert optimal.status_code == 200 and "Score-weighted money vs greedy" in \
        optimal.get_data(as_text=True)
    bad = client.get(f"/fund/cycles/{cycle.id}/what-if?floor_1=90&floor_2=90&min_score=0"
                     "&method=greedy")
    assert bad.status_code == 200 and "add up to more than 1" in bad.get_data(as_text=True)
    # The decision, drafted by the secretariat and issued by the chair.
    auth.post(f"/reports/cycles/{cycle.id}/decision", {
        "meeting_date": "2026-05-04", "place": "Geneva", "outcome_mode": "consensus",
        "text": "Approved.", **{f"present_{m.id}": "y" for m in meeting}},
        token_from=f"/reports/cycles/{cycle.id}/decision?meeting_date=2026-05-04")
    decision = db.session.scalar(db.select(Decision))
    assert decision is not None and decision.outcome_mode == "consensus"
    auth.logout()
    auth.login("chair@example.org")
    issued = auth.post(f"/reports/decisions/{decision.id}/issue", {"confirm": "yes"},
                       token_from=f"/reports/cycles/{cycle.id}/decision")
    assert issued.status_code == 302
    db.session.expire_all()
    after = available_funds()
    allocated = db.session.scalar(db.select(db.func.sum(Allocation.amount_cents)))
    assert allocated == 321_000_000
    assert after[0] + sum(after[1].values()) == 346_500_000 - 321_000_000
    balance = client.get("/fund/").get_data(as_text=True)
    assert "USD 255,000.00" in balance


def test_approval_beyond_the_money_held_is_refused_and_writes_nothing(draft, teams):
    from mptf.models import Contribution

    # The fund office corrects a deposit after the run: the run now spends more than is held.
    deposit = db.session.scalar(db.select(Contribution).where(Contribution.reference == "C-1"))
    deposit.amount_cents, deposit.fee_cents, deposit.net_cents = 100_000_000, 1_000_000, \
        99_000_000
    db.session.commit()
    with pytest.raises(ServiceError, match="The saved run is out of date: since it was saved, "
                                           "the money the cycle may spend changed"):
        decisions.issue(the_chair(), draft)
    db.session.rollback()
    # Approval itself checks the money too, whoever calls it.
    with pytest.raises(ServiceError, match="only USD 1,980,000.00 is available"):
        cycles.approve(the_chair(), draft.cycle, draft.run)
    db.session.rollback()
    assert db.session.scalars(db.select(Allocation)).all() == []
    assert db.session.get(FundingCycle, draft.cycle_id).status == "draft"
    assert db.session.get(Decision, draft.id).status == "draft"
    assert {n.status for n in db.session.scalars(db.select(ConceptNote))} == {"pipeline"}


def test_a_second_approval_of_the_same_cycle_is_refused(draft):
    decisions.issue(the_chair(), draft)
    db.session.commit()
    with pytest.raises(ServiceError, match="approved already"):
        cycles.approve(the_chair(), draft.cycle)


@pytest.mark.postgres
def test_two_chairs_issuing_at_once_leave_one_decision(served_app, draft):
    """Two requests issue the same decision at the same moment: one succeeds, the other is
    refused; the allocations exist once and the money is spent once."""
    from tests import factories
    from tests.conftest import Auth, csrf_token, run_at_once

    factories.user("chair", email="chair2@example.org")
    db.session.commit()
    posts = []
    for email in ("chair@example.org", "chair2@example.org"):
        c = served_app.test_client()
        Auth(c).login(email)
        posts.append((c, {"csrf_token": csrf_token(c, "/home"), "confirm": "yes"}))
    path = f"/reports/decisions/{draft.id}/issue"
    statuses = run_at_once([lambda c=c, d=d: c.post(path, data=d).status_code
                            for c, d in posts])
    assert sorted(statuses) == [302, 303]
    assert db.session.scalar(db.select(db.func.count()).select_from(Allocation)) == 3
    unearmarked, earmarked = available_funds()
    assert unearmarked + sum(earmarked.values()) == 346_500_000 - 321_000_000
