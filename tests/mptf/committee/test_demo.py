"""The committee demo: rotation orders, three terms made by the rotation service, and a
representative for every current voting seat; with or without the pipeline demo's notes."""

from mptf.auth.services import create_user
from mptf.committee import demo, services
from mptf.demo import DEMO_ACCOUNTS, DEMO_PASSWORD
from mptf.extensions import db
from mptf.models import AuditEvent, ConflictDeclaration, Membership, User
from tests.mptf.committee.conftest import make_note


def _accounts():
    for email, role, country, name in DEMO_ACCOUNTS:
        create_user(email, DEMO_PASSWORD, role, name=name, country_iso3=country)


def test_demo_builds_three_terms_and_seats_a_reviewer_everywhere(seeded):
    _accounts()
    lines = list(demo.build())
    assert lines[0].startswith("Committee: three terms by rotation")
    assert db.session.scalar(db.select(db.func.count(Membership.id))) == 3 * 13
    assert len(db.session.scalars(db.select(AuditEvent).where(
        AuditEvent.action == "rotation_confirmed")).all()) == 3
    today = services.today()
    comp = services.composition(today)
    assert comp.vacant == []
    start = {m.start_date for m in comp.members}
    assert len(start) == 1 and (today - start.pop()).days < 731
    for member in comp.members:
        assert member.representatives, member
    by_seat = {m.seat.label: m for m in comp.members}
    emails = {seat: [r.user.email for r in m.representatives] for seat, m in by_seat.items()}
    assert emails["Chair (Network Coordinator) 1"] == ["chair@demo.mptf.example"]
    assert "reviewer@demo.mptf.example" in emails["UN Network on Migration 1"]
    reviewers = {r.user_id for m in comp.members for r in m.representatives
                 if r.user.role == "reviewer"}
    assert len(reviewers) >= 5
    assert db.session.scalar(db.select(User).where(
        User.email == "reviewer.unfpa@demo.mptf.example")).check_password(DEMO_PASSWORD)
    # Without the pipeline demo there is no note to declare a conflict on.
    assert db.session.scalars(db.select(ConflictDeclaration)).all() == []
    assert list(demo.build()) == ["Committee: memberships exist already; left as they are."]


def test_demo_declares_a_conflict_when_the_pipeline_has_notes(seeded):
    _accounts()
    note = make_note("KEN")
    lines = list(demo.build())
    assert lines[-1].endswith(f"declared a conflict on {note.reference}.")
    declared = db.session.scalar(db.select(ConflictDeclaration))
    assert declared.declared_by.email == "reviewer@demo.mptf.example"
