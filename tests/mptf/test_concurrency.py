"""Concurrency and durability on PostgreSQL: many reviewers at once, runs at once, notes
numbered at once, an import racing edits, and a process killed in the middle of issuing a
decision."""

import io
import os
import signal
import subprocess
import sys
import textwrap
from datetime import date

import pytest

from mptf.extensions import db
from mptf.models import (
    Allocation,
    AllocationRun,
    AuditEvent,
    ConceptNote,
    Decision,
    FundingCycle,
    Membership,
    MembershipRepresentative,
    Organisation,
    Review,
    Score,
    Seat,
)
from tests import factories
from tests.conftest import TEST_DATABASE_URL, Auth, csrf_token, run_at_once
from tests.mptf.reports.conftest import chair, cycle, draft, meeting, scored  # noqa: F401
from tests.mptf.review.conftest import committee, pipeline_notes, teams  # noqa: F401

pytestmark = pytest.mark.postgres


def test_twenty_reviewers_submitting_at_once(served_app, seeded):
    from mptf.review import services as review

    secretariat = factories.user("secretariat", email="sec@example.org")
    team = factories.user("country_team", country="KEN", email="kenya@example.org")
    note = factories.note(team, "pipeline")
    states = db.session.scalars(db.select(Organisation).where(
        Organisation.kind == "state", Organisation.acronym != "KEN")
        .order_by(Organisation.acronym).limit(20)).all()
    for position, state in enumerate(states, start=1):
        seat = Seat(constituency="cotd_state", position=100 + position)
        start, end = factories.sitting_term()
        membership = Membership(seat=seat, organisation=state, start_date=start, end_date=end)
        user = factories.user("reviewer", email=f"r{position}@example.org")
        db.session.add_all([seat, membership, MembershipRepresentative(membership=membership,
                                                                        user=user)])
    round_ = review.create_round(secretariat, review.RoundInput(
        name="Busy round", opens_on=date(2026, 3, 1), closes_on=None, note_ids=[note.id]))
    review.open_round(secretariat, round_, date(2026, 3, 1))
    db.session.commit()
    codes = [c.code for c in round_.criteria]
    path = f"/review/{round_.id}/notes/{note.id}"
    posts = []
    for position in range(1, 21):
        client = served_app.test_client()
        Auth(client).login(f"r{position}@example.org")
        posts.append((client, {f"score_{c}": "4" for c in codes}
                      | {"submit": "1", "csrf_token": csrf_token(client, path)}))
    statuses = run_at_once([lambda c=c, d=d: c.post(path, data=d).status_code
                            for c, d in posts])
    assert statuses == [302] * 20
    assert db.session.scalar(db.select(db.func.count()).select_from(Review)) == 20
    assert db.session.scalar(db.select(db.func.count()).select_from(Score)) == 20 * len(codes)


def test_notes_created_at_once_get_distinct_references(served_app, seeded):
    """Country teams drafting while the secretariat imports: every note gets its own number."""
    from mptf.pipeline import services

    accounts = [factories.user("country_team", country=iso, email=f"{iso}@example.org")
                for iso in ("KEN", "BGD", "RWA", "MEX", "PHL", "NGA")]
    db.session.commit()
    ids = [t.id for t in accounts]

    def make_draft(user_id):
        def job():
            with served_app.app_context():
                from mptf.models import User
                from mptf.services.unit_of_work import commit

                user = db.session.get(User, user_id)
                note = services.create_draft(user, {"title": "Racing"})
                commit()
                return note.reference
        return job

    references = run_at_once([make_draft(i) for i in ids])
    assert len(set(references)) == len(ids)
    assert db.session.scalar(db.select(db.func.count()).select_from(ConceptNote)) == len(ids)


def test_an_import_racing_edits_loses_nothing_and_doubles_nothing(served_app, seeded):
    """The secretariat imports a batch while two members of a country team save the same draft
    from the same opened form and a third submits another note: every imported row is one
    note with its own number, exactly one of the two saves lands (the other is told, 409), and
    the submission is whole."""
    from tests.mptf.pipeline.test_exports_and_import import GOOD, IMPORT_HEADER
    from tests.mptf.pipeline.test_pages import LOCK_RE, form_post

    factories.user("secretariat", email="sec@example.org")
    members = [factories.user("country_team", country="KEN", email=f"ken{i}@example.org")
               for i in range(3)]
    shared = factories.note(members[0])
    ready = factories.note(members[0], title="Ready to go")
    db.session.commit()
    edit, submit = f"/pipeline/{shared.id}/edit", f"/pipeline/{ready.id}/edit"
    sessions = [Auth(served_app.test_client()) for _ in range(4)]
    sessions[0].login("sec@example.org")
    for session, member in zip(sessions[1:], members, strict=True):
        session.login(member.email)
    version = LOCK_RE.search(sessions[1].client.get(edit).get_data(as_text=True)).group(1)
    rows = "".join(GOOD.replace("Good note", f"Imported {i}") for i in range(6))
    import_data = {"csrf_token": csrf_token(sessions[0].client, "/pipeline/import"),
                   "file": (io.BytesIO((IMPORT_HEADER + rows).encode()), "batch.csv")}
    edits = [form_post({"title": f"Saved by {i}", "lock_version": version,
                        "csrf_token": csrf_token(sessions[i].client, edit)}) for i in (1, 2)]
    submission = form_post({"title": "Ready to go", "csrf_token": csrf_token(
        sessions[3].client, submit)}, "submit")
    statuses = run_at_once([
        lambda: sessions[0].client.post("/pipeline/import", data=import_data,
                                        content_type="multipart/form-data").status_code,
        lambda: sessions[1].client.post(edit, data=edits[0]).status_code,
        lambda: sessions[2].client.post(edit, data=edits[1]).status_code,
        lambda: sessions[3].client.post(submit, data=submission).status_code,
    ])
    assert statuses[0] == 200 and statuses[3] == 302
    assert sorted(statuses[1:3]) == [302, 409]
    db.session.expire_all()
    notes = db.session.scalars(db.select(ConceptNote).order_by(ConceptNote.id)).all()
    imported = [n for n in notes if n.title.startswith("Imported")]
    assert len(imported) == 6 and len(notes) == 8
    assert len({n.reference for n in notes}) == 8
    winner = 1 if statuses[1] == 302 else 2
    assert db.session.get(ConceptNote, shared.id).title == f"Saved by {winner}"
    edited = db.session.scalars(db.select(AuditEvent).where(
        AuditEvent.action == "note_edited", AuditEvent.entity_id == shared.id)).all()
    assert len(edited) == 1
    submitted = db.session.get(ConceptNote, ready.id)
    assert submitted.status == "submitted" and len(submitted.versions) == 1


def test_two_cycle_runs_at_once(served_app, request):
    """Two runs of one cycle at the same moment: two complete runs, nothing mixed."""
    cycle_id = _cycle_ready(request)
    clients = []
    for _ in range(2):
        c = served_app.test_client()
        Auth(c).login("sec@example.org")
        clients.append((c, csrf_token(c, "/home")))
    path = f"/fund/cycles/{cycle_id}/run"
    statuses = run_at_once([lambda c=c, t=t: c.post(path, data={"csrf_token": t,
                                                                  "method": "greedy"}
                                                       ).status_code for c, t in clients])
    assert statuses == [302, 302]
    runs = db.session.scalars(db.select(AllocationRun).where(
        AllocationRun.cycle_id == cycle_id)).all()
    assert len(runs) == 3  # the fixture's run and the two new ones
    for run in runs:
        assert len(run.lines) == 8
        assert sum(line.amount_cents for line in run.lines) == run.allocated_cents


def _cycle_ready(request) -> int:
    request.getfixturevalue("cycle")
    return db.session.scalar(db.select(FundingCycle.id))


CHILD = textwrap.dedent("""
    import os, signal, sys
    from mptf import create_app
    from mptf.extensions import db
    from mptf.models import Decision, User
    from mptf.allocation import decision_documents, decisions

    def killed_mid_render(decision, verify_url):
        os.kill(os.getpid(), signal.SIGKILL)

    decision_documents.decision_pdf = killed_mid_render
    app = create_app({"SQLALCHEMY_DATABASE_URI": sys.argv[1], "SECRET_KEY": "x",
                      "SQLALCHEMY_ENGINE_OPTIONS": {
                          "connect_args": {"options": "-csearch_path=" + sys.argv[2]}}})
    with app.app_context():
        chair = db.session.scalar(db.select(User).where(User.role == "chair"))
        decision = db.session.get(Decision, int(sys.argv[3]))
        decisions.issue(chair, decision)
        db.session.commit()
""")


def test_a_process_killed_while_issuing_leaves_none_of_the_decision(request):
    from mptf.allocation import decisions
    from tests.mptf.reports.conftest import the_chair

    decision = request.getfixturevalue("draft")
    schema = _schema()
    child = subprocess.run([sys.executable, "-c", CHILD, TEST_DATABASE_URL, schema,
                            str(decision.id)], capture_output=True, timeout=120,
                           env=os.environ | {"PYTHONPATH": os.getcwd()})
    assert child.returncode == -signal.SIGKILL, child.stderr.decode()[-2000:]
    db.session.expire_all()
    assert db.session.get(Decision, decision.id).status == "draft"
    assert db.session.scalars(db.select(Allocation)).all() == []
    assert db.session.get(FundingCycle, decision.cycle_id).status == "draft"
    assert {n.status for n in db.session.scalars(db.select(ConceptNote))} == {"pipeline"}
    decisions.issue(the_chair(), db.session.get(Decision, decision.id))
    db.session.commit()
    assert len(db.session.scalars(db.select(Allocation)).all()) == 3


def _schema() -> str:
    return db.session.execute(db.text("select current_schema()")).scalar_one()


def test_forty_wrong_passwords_at_once_check_no_more_than_the_limit(served_app, seeded):
    """The sign-in lock counted each attempt against a count read before the others wrote
    theirs (8 or 9 of 40 checked instead of 5) and the first inserts of the throttle row
    collided (a 500): each attempt is now counted by one upsert before its password is
    checked."""
    from mptf.models import LoginThrottle
    from tests.mptf.test_auth import wrong_passwords_at_once

    factories.user("secretariat", email="sec@example.org")
    db.session.commit()
    statuses = wrong_passwords_at_once(served_app, "sec@example.org")
    most = served_app.config["LOGIN_MAX_FAILURES"]
    assert sorted(statuses) == [401] * most + [429] * (40 - most)
    assert db.session.scalar(db.select(LoginThrottle.failures)) == 40
    assert db.session.scalar(db.select(db.func.count(AuditEvent.id)).where(
        AuditEvent.action == "login_locked")) == 1
