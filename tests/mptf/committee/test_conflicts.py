"""Conflicts of interest, detected (PUNO entities, own-country and regional states) and
declared (with a reason), and the batched recusals review rounds rely on."""

from datetime import date

import pytest

from mptf.committee import services
from mptf.extensions import db
from mptf.models import AuditEvent, ConflictDeclaration
from mptf.services.errors import ServiceError
from mptf.services.policy import SYSTEM
from tests import factories
from tests.conftest import counting_queries
from tests.mptf.committee.conftest import make_note

ON = date(2026, 6, 1)
TERM = factories.sitting_term()


@pytest.fixture
def committee(seeded):
    """IOM chairs; ILO and UNDP sit for the Network, Kenya and Germany for the states,
    ICMC for the stakeholders, the MPTF Office ex officio."""
    made = {
        "IOM": factories.membership("chair", 1, "IOM", *TERM),
        "ILO": factories.membership("un_network", 1, "ILO", *TERM),
        "UNDP": factories.membership("un_network", 2, "UNDP", *TERM),
        "KEN": factories.membership("cotd_state", 1, "KEN", *TERM),
        "DEU": factories.membership("contributing_state", 1, "DEU", *TERM),
        "ICMC": factories.membership("stakeholder", 1, "ICMC", *TERM),
        "MPTF": services.appoint(SYSTEM, factories.seat("ex_officio"), factories.mptf_office(),
                                 *TERM),
    }
    db.session.commit()
    return made


def test_puno_entities_and_own_country_states_are_recused(committee):
    kenyan = make_note("KEN", punos=("IOM", "ILO"))
    rwandan = make_note("RWA", punos=("UNICEF", "UNDP"))
    regional = make_note("KEN", punos=("OHCHR", "UNHCR"), regional=("KEN", "UGA", "DEU"))
    regional_elsewhere = make_note("RWA", punos=("WHO", "UNFPA"), regional=("RWA", "KEN"))
    notes = [kenyan, rwandan, regional, regional_elsewhere]
    found = services.recusals(list(committee.values()), notes, ON)
    ex_officio = "Multi-Partner Trust Fund Office sits ex officio and has no vote."
    expected = {
        ("IOM", kenyan): [f"IOM is a participating UN organisation (PUNO) of {kenyan.reference}."],
        ("ILO", kenyan): [f"ILO is a participating UN organisation (PUNO) of {kenyan.reference}."],
        ("UNDP", rwandan): [f"UNDP is a participating UN organisation (PUNO) of "
                            f"{rwandan.reference}."],
        ("KEN", kenyan): [f"Kenya is the country of {kenyan.reference}."],
        ("KEN", regional): [f"Kenya is the country of {regional.reference}."],
        ("KEN", regional_elsewhere): [f"Kenya is covered by the regional note "
                                      f"{regional_elsewhere.reference}."],
        ("DEU", regional): [f"Germany is covered by the regional note {regional.reference}."],
        **{("MPTF", n): [ex_officio] for n in notes},
    }
    assert found == {(committee[k].id, n.id): v for (k, n), v in expected.items()}
    # ICMC, the stakeholder, is free of all four.
    assert all(services.eligibility(committee["ICMC"], n, ON).allowed for n in notes)


def test_eligibility_gives_every_reason(committee):
    note = make_note("KEN", punos=("ILO", "IOM"))
    services.declare_conflict(factories.user("secretariat"), committee["ILO"], note,
                              "Its country director drafted the note.")
    verdict = services.eligibility(committee["ILO"], note, TERM[1])
    assert verdict.allowed is False
    assert verdict.reasons == [
        f"ILO does not sit on the committee on {TERM[1]} (term 2025-01-01 to {TERM[1]}).",
        f"ILO is a participating UN organisation (PUNO) of {note.reference}.",
        "Declared conflict: Its country director drafted the note.",
    ]
    assert services.eligibility(committee["UNDP"], note, ON) == services.Eligibility(True, [])
    assert not services.eligibility(committee["UNDP"], note, date(2024, 12, 31)).allowed


def test_declared_conflicts_need_a_reason_and_a_right_to_declare(committee):
    note = make_note("MEX", punos=("WHO", "UNFPA"))
    reviewer = factories.user("reviewer")
    services.add_representative(SYSTEM, committee["UNDP"], reviewer)
    for reason in ("", "   "):
        with pytest.raises(ServiceError, match="Give the reason"):
            services.declare_conflict(reviewer, committee["UNDP"], note, reason)
    with pytest.raises(ServiceError, match="You do not act for ILO") as refused:
        services.declare_conflict(reviewer, committee["ILO"], note, "A reason.")
    assert refused.value.status == 403
    with pytest.raises(ServiceError, match="Only members of the committee"):
        services.declare_conflict(factories.user("fund_office"), committee["UNDP"], note, "x")
    with pytest.raises(ServiceError, match="is a draft"):
        services.declare_conflict(reviewer, committee["UNDP"], make_note(status="draft"), "x")
    assert db.session.scalars(db.select(ConflictDeclaration)).all() == []
    declared = services.declare_conflict(reviewer, committee["UNDP"], note,
                                         "  Our regional director sits on its board.  ")
    assert declared.reason == "Our regional director sits on its board."
    assert declared.declared_by_id == reviewer.id
    with pytest.raises(ServiceError, match="already declared"):
        services.declare_conflict(reviewer, committee["UNDP"], note, "Again.")
    secretariat = factories.user("secretariat")
    services.declare_conflict(secretariat, committee["ICMC"], note, "Told us by phone.")
    assert services.recusals([committee["UNDP"], committee["ICMC"]], [note], ON) == {
        (committee["UNDP"].id, note.id): [
            "Declared conflict: Our regional director sits on its board."],
        (committee["ICMC"].id, note.id): ["Declared conflict: Told us by phone."],
    }
    events = db.session.scalars(db.select(AuditEvent).where(
        AuditEvent.action == "conflict_declared").order_by(AuditEvent.id)).all()
    assert [e.after["on_behalf"] for e in events] == [False, True]


def test_a_declaration_is_for_a_running_term(committee):
    past = factories.membership("un_network", 3, "WHO", date(2020, 1, 1), date(2022, 1, 1))
    with pytest.raises(ServiceError, match="ended on 2022-01-01"):
        services.declare_conflict(factories.user("secretariat"), past, make_note(), "x")


def test_recusals_take_a_constant_number_of_queries(committee):
    members = list(committee.values())
    few = [make_note("KEN", punos=("IOM", "ILO")) for _ in range(2)]
    many = few + [make_note(c, punos=("UNDP", "WHO"), regional=(c, "KEN"))
                  for c in ("RWA", "UGA", "TZA") for _ in range(10)]
    db.session.commit()
    db.session.expire_all()

    def queries(notes) -> tuple[int, dict]:
        with counting_queries(db.engine) as statements:
            result = services.recusals(members, notes, ON)
        return len(statements), result

    n_few, _ = queries(few)
    n_many, result = queries(many)
    assert n_few == n_many == 5
    assert len(result) == 2 * 4 + 30 * 3  # IOM, ILO, KEN, MPTF on each of the two; UNDP,
    # KEN and MPTF on each of the thirty regional notes
    assert sum(1 for (m, _) in result if m == committee["MPTF"].id) == 32


# --- the page --------------------------------------------------------------------------------

def test_a_reviewer_declares_their_own_conflict_from_the_page(client, auth, committee):
    note = make_note("MEX", punos=("WHO", "UNFPA"))
    reviewer = factories.user("reviewer", email="rev@example.org")
    services.add_representative(SYSTEM, committee["UNDP"], reviewer)
    db.session.commit()
    auth.login("rev@example.org")
    page = client.get("/committee/conflicts").get_data(as_text=True)
    assert note.reference in page and "UNDP" in page and "ILO (UN" not in page
    data = {"membership": str(committee["UNDP"].id), "note": str(note.id), "reason": ""}
    empty = auth.post("/committee/conflicts", data, token_from="/committee/conflicts")
    assert empty.status_code == 400
    assert "Give the reason for the conflict of interest." in empty.get_data(as_text=True)
    assert db.session.scalars(db.select(ConflictDeclaration)).all() == []
    other = auth.post("/committee/conflicts", {**data, "membership": str(committee["ILO"].id),
                                               "reason": "Mine."},
                      token_from="/committee/conflicts")
    assert other.status_code == 400  # not one of the reviewer's memberships
    assert db.session.scalars(db.select(ConflictDeclaration)).all() == []
    done = auth.post("/committee/conflicts", {**data, "reason": "A former employee wrote it.",
                                              "confirm": "yes"},
                     token_from="/committee/conflicts")
    assert done.status_code == 302
    declared = db.session.scalar(db.select(ConflictDeclaration))
    assert (declared.membership_id, declared.note_id, declared.declared_by_id) == (
        committee["UNDP"].id, note.id, reviewer.id)
    assert "A former employee wrote it." in client.get("/committee/conflicts").get_data(
        as_text=True)


def test_the_secretariat_declares_on_behalf_and_sees_detected_conflicts(
        client, auth, committee, secretariat):
    note = make_note("KEN", punos=("IOM", "ILO"))
    db.session.commit()
    auth.login("sec@example.org")
    page = client.get("/committee/conflicts").get_data(as_text=True)
    assert f"Kenya is the country of {note.reference}." in page
    done = auth.post("/committee/conflicts", {"membership": str(committee["ICMC"].id),
                                              "note": str(note.id), "reason": "By phone.",
                                              "confirm": "yes"},
                     token_from="/committee/conflicts")
    assert done.status_code == 302
    declared = db.session.scalar(db.select(ConflictDeclaration))
    assert declared.declared_by_id == secretariat.id
