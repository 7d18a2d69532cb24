"""Each role's dashboard lists its next tasks, each a link to where it is done, in a number
of queries that does not grow with the number of tasks."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from mptf.allocation import decisions
from mptf.extensions import db
from mptf.models import LoginThrottle, User
from mptf.models.base import utcnow
from mptf.review import services as review
from tests import factories
from tests.conftest import counting_queries
from tests.mptf.reports.conftest import the_chair


def tasks(client) -> str:
    """The 'Your next tasks' panel of the signed-in user's dashboard."""
    html = client.get("/home").get_data(as_text=True)
    match = re.search(r'<section class="panel tasks".*?</section>', html, re.S)
    assert match, "no next tasks on the dashboard"
    return match.group(0)


def statements(served_app, client) -> int:
    with served_app.app_context():
        engine = db.engine
    with counting_queries(engine) as sent:
        assert client.get("/home").status_code == 200
    return len(sent)


def links(panel: str) -> list[str]:
    return re.findall(r'<li[^>]*><a href="([^"]+)"', panel)


def test_a_country_team_sees_its_drafts_and_returned_notes(client, auth, served_app, teams):
    kenya = teams["KEN"]
    draft = factories.note(kenya, "draft", title="Safe corridors")
    returned = factories.note(kenya, "returned", title="Data for planning")
    factories.note(teams["BGD"], "draft", title="Not Kenya's")
    factories.note(kenya, "pipeline", title="Screened already")
    db.session.commit()
    auth.login("kenya@example.org")
    panel = tasks(client)
    assert links(panel) == [f"/pipeline/{draft.id}/edit", f"/pipeline/{returned.id}/edit"]
    assert f"{draft.reference}: Safe corridors" in panel
    assert "returned by the secretariat: Strengthen the budget." in panel
    assert "Not Kenya" not in panel and "Screened already" not in panel
    assert 'href="/pipeline/new"' in panel
    before = statements(served_app, client)
    for i in range(4):
        factories.note(kenya, "draft", title=f"Draft {i}")
        factories.note(kenya, "returned", title=f"Returned {i}")
    db.session.commit()
    assert statements(served_app, client) == before
    assert len(links(tasks(client))) == 10


def test_more_tasks_than_shown_link_to_the_listing(client, auth, teams):
    for i in range(12):
        factories.note(teams["KEN"], "draft", title=f"Draft {i}")
    db.session.commit()
    auth.login("kenya@example.org")
    panel = tasks(client)
    assert len(links(panel)) == 10
    assert 'href="/pipeline/?status=draft">See them all' in panel


def test_the_secretariat_sees_notes_to_screen_rounds_to_close_and_cycles_to_prepare(
        client, auth, served_app, cycle, committee, teams, pipeline_notes):
    """``cycle`` has its run but no decision yet; a second cycle has no run."""
    from mptf.allocation import cycles

    sec = teams["sec"]
    submitted = factories.note(teams["KEN"], "submitted", title="To screen")
    late = review.create_round(sec, review.RoundInput(
        name="Round late", opens_on=date(2026, 3, 1), closes_on=utcnow().date() - timedelta(1),
        note_ids=[pipeline_notes[0].id]))
    review.open_round(sec, late, date(2026, 3, 1))
    running = review.create_round(sec, review.RoundInput(
        name="Round running", opens_on=date(2026, 3, 1), closes_on=None,
        note_ids=[pipeline_notes[1].id]))
    review.open_round(sec, running, date(2026, 3, 1))
    unrun = cycles.create_cycle(sec, cycles.CycleInput(
        name="Cycle unrun", decision_date=None, envelope_cents=None, policy={},
        round_ids=[]))
    db.session.commit()
    auth.login("sec@example.org")
    panel = tasks(client)
    assert links(panel) == [f"/pipeline/{submitted.id}/screen", f"/review/{late.id}/close",
                            f"/reports/cycles/{cycle.id}/decision",
                            f"/fund/cycles/{unrun.id}"]
    assert "Close Round late" in panel and "overdue" in panel
    assert "Round running" not in panel
    assert f"Draft the decision on {cycle.name}" in panel
    assert "Run the allocation of Cycle unrun" in panel
    # every review of the running round in: it is ready to close
    for assignment in running.assignments:
        if assignment.status == "assigned":
            review.save_review(assignment.membership.representatives[0].user, running,
                               assignment.note_id, {c.code: 4 for c in running.criteria}, {},
                               "", submit=True)
    db.session.commit()
    panel = tasks(client)
    assert f'href="/review/{running.id}/close"' in panel
    assert "3 of 3 reviews submitted" in panel
    before = statements(served_app, client)
    for i in range(3):
        factories.note(teams["BGD"], "submitted", title=f"Also to screen {i}")
        cycles.create_cycle(sec, cycles.CycleInput(
            name=f"Cycle {i}", decision_date=None, envelope_cents=None, policy={},
            round_ids=[]))
    db.session.commit()
    assert statements(served_app, client) == before


def test_a_reviewer_sees_the_reviews_due_with_their_deadlines(client, auth, served_app,
                                                              committee, teams, pipeline_notes):
    sec = teams["sec"]
    soon = utcnow().date() + timedelta(days=10)
    round_ = review.create_round(sec, review.RoundInput(
        name="Round 1", opens_on=date(2026, 3, 1), closes_on=soon,
        note_ids=[n.id for n in pipeline_notes[:2]]))
    review.open_round(sec, round_, date(2026, 3, 1))
    deu = committee["DEU"].representatives[0].user
    review.save_review(deu, round_, pipeline_notes[0].id, {round_.criteria[0].code: 3}, {}, "",
                       submit=False)
    db.session.commit()
    auth.login("deu@reviewers.example")
    panel = tasks(client)
    assert links(panel) == [f"/review/{round_.id}/notes/{n.id}" for n in pipeline_notes[:2]]
    assert f"due {soon.day} {soon:%B %Y}" in panel
    assert "your draft is saved" in panel and "not started" in panel
    before = statements(served_app, client)
    review.save_review(deu, round_, pipeline_notes[1].id,
                       {c.code: 4 for c in round_.criteria}, {}, "", submit=True)
    later = review.create_round(sec, review.RoundInput(
        name="Round 2", opens_on=date(2026, 3, 1), closes_on=None,
        note_ids=[n.id for n in pipeline_notes[2:6]]))
    review.open_round(sec, later, date(2026, 3, 1))
    db.session.commit()
    panel = tasks(client)
    assert f"/review/{round_.id}/notes/{pipeline_notes[1].id}" not in links(panel)
    assert len(links(panel)) == 5 and "no closing date" in panel
    assert statements(served_app, client) == before


def test_the_chair_sees_the_decisions_to_issue(client, auth, served_app, draft):
    auth.login("chair@example.org")
    panel = tasks(client)
    assert links(panel) == [f"/reports/cycles/{draft.cycle_id}/decision"]
    assert f"Issue {draft.reference} on Cycle 2026-1" in panel
    decisions.issue(the_chair(), draft)
    db.session.commit()
    assert "No draft decision waits for you." in tasks(client)


def test_the_fund_office_sees_the_latest_deposits_and_the_transfers_to_make(
        client, auth, served_app, draft, pipeline_notes):
    factories.user("fund_office", email="office@example.org")
    db.session.commit()
    auth.login("office@example.org")
    panel = tasks(client)
    assert "C-2: Netherlands" in panel and "C-1: Germany" in panel
    assert "Every approved allocation is transferred." in panel
    assert 'href="/fund/contributions/new"' in panel
    before = statements(served_app, client)
    decisions.issue(the_chair(), draft)
    db.session.commit()
    panel = tasks(client)
    transfers = [link for link in links(panel) if link.startswith("/reports/decisions/")]
    assert transfers == [f"/reports/decisions/{draft.id}"] * 6  # three notes, two PUNOs each
    bangladesh = [n for n in pipeline_notes if n.title.startswith("Bangladesh")][0]
    assert f"{bangladesh.reference}: IOM</a> <span class=\"hint\">· USD 642,000.00 " \
           f"({draft.reference}, issued" in panel
    assert statements(served_app, client) == before


def test_the_admin_sees_locked_and_deactivated_accounts(client, auth, served_app, seeded):
    from mptf.auth import services as auth_services

    admin = factories.user("admin", email="admin@example.org")
    gone = factories.user("country_team", country="KEN", email="gone@example.org")
    auth_services.set_active(admin, gone, False)
    db.session.add(LoginThrottle(key="locked@example.org|203.0.113.9", failures=5,
                                 locked_until=utcnow() + timedelta(minutes=10)))
    db.session.add(LoginThrottle(key="lapsed@example.org|203.0.113.9", failures=5,
                                 locked_until=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    auth.login("admin@example.org")
    panel = tasks(client)
    assert "locked@example.org" in panel and "5 failed sign-ins from 203.0.113.9" in panel
    assert "no account has this address" in panel
    assert "lapsed@example.org" not in panel
    assert "gone@example.org: UN country team" in panel
    assert links(panel) == ["/admin/users", "/admin/users"]
    assert db.session.scalar(db.select(User.active).where(User.email == "gone@example.org")) \
        is False


@pytest.mark.parametrize("role", ["country_team", "secretariat", "reviewer", "chair",
                                  "fund_office", "admin"])
def test_every_role_has_next_tasks_even_with_nothing_to_do(client, auth, seeded, role):
    factories.user(role, country="KEN" if role == "country_team" else None,
                   email=f"{role}@example.org")
    db.session.commit()
    auth.login(f"{role}@example.org")
    panel = tasks(client)
    assert "<h3>" in panel and links(panel) == []
