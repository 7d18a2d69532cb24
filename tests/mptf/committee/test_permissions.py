"""Only the secretariat changes the roster: every POST that does is 403 for other roles,
and leaves nothing changed. Members declare conflicts; other roles do not."""

from datetime import date

import pytest

from mptf.committee import services
from mptf.extensions import db
from mptf.models import AuditEvent, ConflictDeclaration
from mptf.services.policy import SYSTEM
from tests import factories
from tests.mptf.committee.conftest import make_note

OTHER_ROLES = ["country_team", "reviewer", "chair", "fund_office", "admin"]


@pytest.fixture
def roster(seeded):
    for role in OTHER_ROLES:
        factories.user(role, country="KEN" if role == "country_team" else None,
                       email=f"{role}@example.org")
    membership = factories.membership("un_network", 1, "ILO", date(2025, 1, 1),
                                      date(2099, 1, 1))
    reviewer = factories.user("reviewer")
    services.add_representative(SYSTEM, membership, reviewer)
    note = make_note("KEN")
    db.session.commit()
    return membership, reviewer, note


def _roster_posts(membership, reviewer) -> list[tuple[str, dict]]:
    seat = factories.seat("un_network", 2)
    return [
        ("/committee/memberships/new", {"seat": str(seat.id), "party": "UNDP",
                                        "start_date": "2027-01-01"}),
        (f"/committee/memberships/{membership.id}/end", {"end_date": "2026-01-01"}),
        (f"/committee/memberships/{membership.id}/representatives",
         {"user": str(reviewer.id)}),
        (f"/committee/memberships/{membership.id}/representatives/{reviewer.id}/remove", {}),
        ("/committee/config", {"seats_un_network": "5", "term_months": "12"}),
        ("/committee/rotation-order/un_network", {"un_network-parties": "ILO"}),
        ("/committee/rotation", {"on": "2027-01-01", "confirm": "1"}),
    ]


@pytest.mark.parametrize("role", OTHER_ROLES)
def test_every_roster_post_is_403_for_other_roles(client, auth, roster, role):
    membership, reviewer, _ = roster
    events = db.session.scalar(db.select(db.func.count(AuditEvent.id)))
    auth.login(f"{role}@example.org")
    for path, data in _roster_posts(membership, reviewer):
        assert auth.post(path, data).status_code == 403, path
    for path in ("/committee/config", "/committee/rotation-order", "/committee/rotation"):
        assert client.get(path).status_code == 403, path
    db.session.expire_all()
    assert db.session.scalar(db.select(db.func.count(AuditEvent.id))) == events + 1  # login


@pytest.mark.parametrize("role", ["country_team", "fund_office", "admin"])
def test_only_members_and_the_secretariat_declare_conflicts(client, auth, roster, role):
    membership, _, note = roster
    auth.login(f"{role}@example.org")
    response = auth.post("/committee/conflicts", {"membership": str(membership.id),
                                                  "note": str(note.id), "reason": "x"})
    assert response.status_code == 403
    assert client.get("/committee/conflicts").status_code == 403
    assert db.session.scalars(db.select(ConflictDeclaration)).all() == []


def test_the_secretariat_sees_the_roster_forms_others_do_not(client, auth, roster, secretariat):
    membership, _, _ = roster
    auth.login("reviewer@example.org")
    assert "Appoint a member" not in client.get("/committee/memberships").get_data(as_text=True)
    page = client.get(f"/committee/memberships/{membership.id}").get_data(as_text=True)
    assert "End or extend" not in page and "Remove" not in page
    assert "/committee/rotation" not in client.get("/committee/").get_data(as_text=True)
    auth.logout()
    auth.login("sec@example.org")
    assert "Appoint a member" in client.get("/committee/memberships").get_data(as_text=True)
    assert "/committee/rotation" in client.get("/committee/").get_data(as_text=True)
