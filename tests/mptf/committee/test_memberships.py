"""Appointing members: no overlapping terms in a seat, one seat per party at a time, a term
that ends after it starts, a known party of the right kind; the pages; concurrency."""

import threading
import time
from datetime import date
from html import unescape

import pytest

from mptf.committee import services
from mptf.extensions import db
from mptf.models import AuditEvent, Membership, MembershipRepresentative
from mptf.services.errors import ServiceError
from mptf.services.policy import SYSTEM
from tests import factories


def _count() -> int:
    return len(db.session.scalars(db.select(Membership)).all())


def test_a_default_term_lasts_the_fund_term(seeded):
    m = factories.membership("un_network", 1, "ILO", date(2025, 3, 1))
    assert (m.start_date, m.end_date) == (date(2025, 3, 1), date(2027, 3, 1))
    event = db.session.scalar(db.select(AuditEvent).where(
        AuditEvent.action == "membership_added"))
    assert event.entity_id == m.id and event.after["party"] == "ILO"


def test_overlapping_terms_in_one_seat_are_refused(seeded):
    factories.membership("un_network", 1, "ILO", date(2025, 1, 1), date(2027, 1, 1))
    for start, end in [(date(2026, 12, 31), date(2028, 1, 1)),   # last day of ILO's term
                       (date(2024, 1, 1), date(2025, 1, 2)),     # ILO's first day
                       (date(2025, 6, 1), date(2025, 7, 1))]:    # inside
        with pytest.raises(ServiceError, match="Terms in one seat cannot overlap"):
            factories.membership("un_network", 1, "UNDP", start, end)
    # Touching terms do not overlap: the end is excluded.
    factories.membership("un_network", 1, "UNDP", date(2027, 1, 1), date(2029, 1, 1))
    factories.membership("un_network", 1, "OHCHR", date(2024, 1, 1), date(2025, 1, 1))
    assert _count() == 3


def test_a_party_never_holds_two_seats_at_once(seeded):
    factories.membership("un_network", 1, "ILO", date(2025, 1, 1), date(2027, 1, 1))
    with pytest.raises(ServiceError, match="A party holds at most one seat at a time"):
        factories.membership("un_network", 2, "ILO", date(2026, 1, 1), date(2028, 1, 1))
    with pytest.raises(ServiceError, match="ILO already holds a seat"):
        factories.membership("chair", 1, "ILO", date(2024, 6, 1), date(2025, 6, 1))
    # A state in both state constituencies, one after the other.
    factories.membership("contributing_state", 1, "MEX", date(2025, 1, 1), date(2027, 1, 1))
    with pytest.raises(ServiceError, match="at most one seat"):
        factories.membership("cotd_state", 1, "MEX", date(2026, 1, 1), date(2028, 1, 1))
    factories.membership("cotd_state", 1, "MEX", date(2027, 1, 1), date(2029, 1, 1))
    factories.membership("un_network", 2, "ILO", date(2027, 1, 1), date(2029, 1, 1))
    assert _count() == 4


def test_bad_input_is_refused_with_a_sentence(seeded):
    with pytest.raises(ServiceError, match="The term must end after it starts: it starts on "
                                           "2027-01-01 and would end on 2026-12-31"):
        factories.membership("un_network", 1, "ILO", date(2027, 1, 1), date(2026, 12, 31))
    with pytest.raises(ServiceError, match="must end after it starts"):
        factories.membership("un_network", 1, "ILO", date(2027, 1, 1), date(2027, 1, 1))
    with pytest.raises(ServiceError, match="Unknown party 'XYZ' for UN Network on Migration; "
                                           "give the acronym of a UN Network member"):
        factories.membership("un_network", 1, "XYZ", date(2027, 1, 1))
    with pytest.raises(ServiceError, match="Germany cannot sit for UN Network on Migration"):
        factories.membership("un_network", 1, "DEU", date(2027, 1, 1))
    with pytest.raises(ServiceError, match="ILO cannot sit for Contributing states: that "
                                           "constituency seats states"):
        factories.membership("contributing_state", 1, "ILO", date(2027, 1, 1))
    assert _count() == 0


def test_representatives_have_the_right_role(seeded):
    reviewer = factories.user("reviewer")
    chair = factories.user("chair")
    fund_office = factories.user("fund_office")
    with pytest.raises(ServiceError, match="must have the role chair"):
        factories.membership("chair", 1, "IOM", date(2025, 1, 1),
                             representatives=[(reviewer, False)])
    chair_seat = factories.membership("chair", 1, "IOM", date(2025, 1, 1),
                                      representatives=[(chair, False)])
    assert [r.user for r in chair_seat.representatives] == [chair]
    un = factories.membership("un_network", 1, "ILO", date(2025, 1, 1),
                              representatives=[(reviewer, False)])
    with pytest.raises(ServiceError, match="already acts"):
        services.add_representative(SYSTEM, un, reviewer)
    with pytest.raises(ServiceError, match="must have the role reviewer"):
        services.add_representative(SYSTEM, un, fund_office)
    office = services.appoint(SYSTEM, factories.seat("ex_officio"), factories.mptf_office(),
                              date(2025, 1, 1), representatives=[(fund_office, False)])
    assert office.representatives[0].user == fund_office
    services.remove_representative(SYSTEM, un, reviewer)
    assert un.representatives == []


def test_only_the_secretariat_or_the_command_line_changes_the_roster(seeded):
    reviewer = factories.user("reviewer")
    with pytest.raises(ServiceError, match="Only the Network Secretariat") as refused:
        services.appoint(reviewer, factories.seat("un_network"), factories.entity("ILO"),
                         date(2025, 1, 1))
    assert refused.value.status == 403


def test_ending_a_term_early_and_extending_it(seeded):
    ilo = factories.membership("un_network", 1, "ILO", date(2025, 1, 1), date(2027, 1, 1))
    factories.membership("un_network", 1, "UNDP", date(2027, 1, 1), date(2029, 1, 1))
    services.end_membership(SYSTEM, ilo, date(2026, 6, 1))
    assert ilo.end_date == date(2026, 6, 1)
    with pytest.raises(ServiceError, match="cannot overlap"):
        services.end_membership(SYSTEM, ilo, date(2027, 2, 1))
    with pytest.raises(ServiceError, match="must end after it starts"):
        services.end_membership(SYSTEM, ilo, date(2024, 12, 1))
    services.end_membership(SYSTEM, ilo, date(2027, 1, 1))
    assert ilo.end_date == date(2027, 1, 1)


# --- the pages -------------------------------------------------------------------------------

@pytest.fixture
def sec(client, auth, secretariat):
    factories.user("reviewer", email="rev@example.org")
    db.session.commit()
    auth.login("sec@example.org")
    return auth


def _post_membership(auth, **overrides):
    seat = factories.seat("un_network", 1)
    data = {"seat": str(seat.id), "party": "ILO", "start_date": "2027-01-01",
            "end_date": "2029-01-01", "representative": "", "alternate": ""}
    data.update(overrides)
    return auth.post("/committee/memberships/new", data, token_from="/committee/memberships")


def test_the_secretariat_appoints_through_the_form(client, sec):
    reviewer = db.session.scalar(db.select(factories.User).where(
        factories.User.email == "rev@example.org"))
    response = _post_membership(sec, representative=str(reviewer.id))
    assert response.status_code == 302
    m = db.session.scalar(db.select(Membership))
    assert (m.organisation.acronym, m.start_date, m.end_date) == (
        "ILO", date(2027, 1, 1), date(2029, 1, 1))
    assert [(r.user.email, r.is_alternate) for r in m.representatives] == [
        ("rev@example.org", False)]
    page = client.get(f"/committee/memberships/{m.id}").get_data(as_text=True)
    assert "rev@example.org" in page and "End or extend the term" in page


@pytest.mark.parametrize("overrides, message", [
    ({"end_date": "2026-06-01"}, "The term must end after it starts."),
    ({"party": "XYZ"}, "Unknown party 'XYZ' for UN Network on Migration"),
    ({"party": "DEU"}, "Germany cannot sit for UN Network on Migration"),
    ({"start_date": "2027-02-30"}, "Not a valid date value."),
])
def test_bad_input_through_the_form_saves_nothing(client, sec, overrides, message):
    response = _post_membership(sec, **overrides)
    assert response.status_code == 400
    assert message in unescape(response.get_data(as_text=True))
    assert _count() == 0


def test_an_overlap_through_the_form_is_refused(client, sec):
    assert _post_membership(sec).status_code == 302
    response = _post_membership(sec, party="UNDP", start_date="2028-01-01",
                                end_date="2030-01-01")
    assert response.status_code == 400
    assert "Terms in one seat cannot overlap" in response.get_data(as_text=True)
    assert _count() == 1


def test_end_and_representatives_through_the_forms(client, sec):
    _post_membership(sec)
    m = db.session.scalar(db.select(Membership))
    path = f"/committee/memberships/{m.id}"
    bad = sec.post(f"{path}/end", {"end_date": "2026-01-01"}, token_from=path)
    assert bad.status_code == 400 and "must end after it starts" in bad.get_data(as_text=True)
    assert sec.post(f"{path}/end", {"end_date": "2028-07-01"},
                    token_from=path).status_code == 302
    reviewer = db.session.scalar(db.select(factories.User).where(
        factories.User.email == "rev@example.org"))
    added = sec.post(f"{path}/representatives", {"user": str(reviewer.id), "alternate": "y"},
                     token_from=path)
    assert added.status_code == 302
    db.session.expire_all()
    m = db.session.get(Membership, m.id)
    assert m.end_date == date(2028, 7, 1)
    assert [(r.user_id, r.is_alternate) for r in m.representatives] == [(reviewer.id, True)]
    removed = sec.post(f"{path}/representatives/{reviewer.id}/remove", token_from=path)
    assert removed.status_code == 302
    assert db.session.scalars(db.select(MembershipRepresentative)).all() == []


# --- concurrency -----------------------------------------------------------------------------

@pytest.mark.postgres
def test_two_concurrent_overlapping_appointments_cannot_both_succeed(seeded, served_app):
    """The first appointment holds the seat's row lock until it commits; the second waits,
    then sees the first term and is refused."""
    first = factories.membership("un_network", 1, "ILO", date(2027, 1, 1), date(2029, 1, 1))
    outcome = {}

    def second():
        with served_app.app_context():
            try:
                factories.membership("un_network", 1, "UNDP", date(2028, 1, 1),
                                     date(2030, 1, 1))
                db.session.commit()
                outcome["result"] = "appointed"
            except ServiceError as exc:
                db.session.rollback()
                outcome["result"] = exc.message

    thread = threading.Thread(target=second)
    thread.start()
    time.sleep(0.5)  # let the second appointment reach the lock
    db.session.commit()
    thread.join(timeout=30)
    assert "Terms in one seat cannot overlap" in outcome["result"]
    assert [m.id for m in db.session.scalars(db.select(Membership))] == [first.id]
