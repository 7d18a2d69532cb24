"""Recusal and the quorum on a note at their boundaries, hand-worked (issue 24): a term ending
on the day of the meeting, one starting on it, a quorum of exactly the required members after
recusals, a reason of exactly the longest length; every refusal read as its whole sentence."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from mptf.committee import services
from mptf.extensions import db
from mptf.services.errors import NotAllowed, ServiceError
from tests import factories
from tests.mptf.committee.conftest import make_note

MEETING = date(2026, 6, 1)


def refused(call) -> ServiceError:
    with pytest.raises(ServiceError) as raised:
        call()
    return raised.value


@pytest.fixture
def seven(seeded):
    """Seven voting members for a full term (majority 4): IOM chairs; ILO and UNDP for the
    Network; Germany and the Netherlands contribute; Kenya and Mexico for the cotd states."""
    term = factories.sitting_term()
    made = {code: factories.membership(constituency, position, code, *term)
            for constituency, position, code in [
                ("chair", 1, "IOM"), ("un_network", 1, "ILO"), ("un_network", 2, "UNDP"),
                ("contributing_state", 1, "DEU"), ("contributing_state", 2, "NLD"),
                ("cotd_state", 1, "KEN"), ("cotd_state", 2, "MEX")]}
    db.session.commit()
    return made


def test_a_term_ending_on_the_day_of_the_meeting_does_not_sit_that_day(seeded):
    # Terms include their start and exclude their end: WHO sits 2025-01-01 to 2026-06-01,
    # so on 1 June it does not; its successor starting on 1 June does.
    leaving = factories.membership("un_network", 1, "WHO", date(2025, 1, 1), MEETING)
    arriving = factories.membership("un_network", 1, "UNFPA", MEETING, date(2028, 6, 1))
    note = make_note("MEX", punos=("IOM",))
    assert services.eligibility(leaving, note, MEETING - timedelta(days=1)).allowed is True
    assert services.eligibility(leaving, note, MEETING) == services.Eligibility(False, [
        "WHO does not sit on the committee on 2026-06-01 (term 2025-01-01 to 2026-06-01)."])
    assert services.eligibility(arriving, note, MEETING) == services.Eligibility(True, [])
    assert services.eligibility(arriving, note, MEETING - timedelta(days=1)) == (
        services.Eligibility(False, ["UNFPA does not sit on the committee on 2026-05-31 "
                                     "(term 2026-06-01 to 2028-06-01)."]))


def test_a_regional_note_recuses_the_states_it_covers_and_its_own_country(seven):
    # A regional note of Kenya covering Mexico and Uganda: Kenya as its country, Mexico as a
    # covered state; Germany is not covered. A note that is not regional recuses only its
    # own country, even if it lists countries.
    regional = make_note("KEN", punos=("UNHCR",), regional=("KEN", "MEX", "UGA"))
    plain = make_note("RWA", punos=("UNHCR",))
    plain.countries = [factories.country("MEX")]
    db.session.flush()
    found = services.recusals([seven["KEN"], seven["MEX"], seven["DEU"]], [regional, plain],
                              MEETING)
    assert found == {
        (seven["KEN"].id, regional.id): [f"Kenya is the country of {regional.reference}."],
        (seven["MEX"].id, regional.id): [f"Mexico is covered by the regional note "
                                         f"{regional.reference}."],
    }


def test_nothing_to_recuse_from_is_an_empty_answer(seven):
    assert services.recusals([], [make_note()], MEETING) == {}
    assert services.recusals([seven["IOM"]], [], MEETING) == {}


def test_a_quorum_of_exactly_the_majority_after_recusals_is_met(seven):
    # On a Kenyan note of IOM and ILO, with Germany's declared conflict: IOM, ILO, Kenya and
    # Germany are recused; UNDP, the Netherlands and Mexico remain: 3 of 7, one short of 4.
    # Without Germany's conflict, 4 of 7: exactly the majority, every required constituency
    # present (UNDP, the Netherlands, Mexico).
    kenyan = make_note("KEN", punos=("IOM", "ILO"))
    everyone = list(seven.values())
    assert services.quorum_met(everyone, MEETING, note=kenyan) == (True, [])
    services.declare_conflict(factories.user("secretariat"), seven["DEU"], kenyan,
                              "Its ambassador chairs the programme's board.")
    assert services.quorum_met(everyone, MEETING, note=kenyan) == (
        False, ["3 of 7 voting members are present; a majority is 4."])
    # The meeting itself, on no note, still has all seven.
    assert services.quorum_met(everyone, MEETING) == (True, [])
    # A member listed twice counts once: six distinct of seven, without IOM.
    twice = [seven[c] for c in ("ILO", "ILO", "UNDP", "DEU", "NLD", "KEN", "MEX")]
    assert services.quorum_met(twice, MEETING) == (True, [])


def test_quorums_on_several_notes_are_each_their_own(seven):
    kenyan = make_note("KEN", punos=("IOM", "ILO"))
    mexican = make_note("MEX", punos=("UNDP",))
    present = [seven[c] for c in ("IOM", "ILO", "UNDP", "DEU", "KEN", "MEX")]
    # Kenyan: IOM, ILO, KEN recused: UNDP, DEU, MEX, 3 of 7. Mexican: UNDP and MEX recused:
    # IOM, ILO, DEU, KEN, 4 of 7, with the Network through ILO.
    assert services.quorums_on_notes(present, MEETING, [kenyan, mexican]) == {
        kenyan.id: (False, ["3 of 7 voting members are present; a majority is 4."]),
        mexican.id: (True, []),
    }


def test_members_not_seated_are_refused_by_name(seven):
    past = factories.membership("un_network", 3, "WHO", date(2020, 1, 1), date(2022, 1, 1))
    later = factories.membership("un_network", 3, "UNFPA", date(2027, 1, 1), date(2029, 1, 1))
    error = refused(lambda: services.quorum_met([seven["IOM"], past, later], MEETING))
    assert error.message == "Not seated on 2026-06-01: WHO, UNFPA."


def test_a_reason_of_exactly_2000_characters_is_kept_and_one_more_refused(seven):
    secretariat = factories.user("secretariat")
    note = make_note("MEX", punos=("WHO",))
    error = refused(lambda: services.declare_conflict(secretariat, seven["DEU"], note,
                                                      "x" * 2001))
    assert (error.message, error.fields, error.status) == (
        "Keep the reason under 2,000 characters.", {"reason": ["Too long."]}, 400)
    declared = services.declare_conflict(secretariat, seven["DEU"], note, "x" * 2000)
    assert declared.reason == "x" * 2000


def test_a_term_ending_today_takes_no_declaration_and_one_ending_tomorrow_does(seeded):
    today = services.today()
    secretariat = factories.user("secretariat")
    ending = factories.membership("un_network", 1, "WHO", date(2025, 1, 1), today)
    error = refused(lambda: services.declare_conflict(secretariat, ending, make_note(), "x"))
    assert (error.message, error.fields) == (
        f"The term of WHO ended on {today}; conflicts are declared for current or future "
        "terms.", {"membership": ["Term ended."]})
    tomorrow = factories.membership("un_network", 2, "UNFPA", date(2025, 1, 1),
                                    today + timedelta(days=1))
    assert services.declare_conflict(secretariat, tomorrow, make_note(), "x").reason == "x"


def test_each_declaration_refusal_is_a_whole_sentence(seven):
    note = make_note("MEX", punos=("WHO",))
    reviewer, chair = factories.user("reviewer"), factories.user("chair")
    services.add_representative(factories.user("secretariat"), seven["UNDP"], reviewer)
    error = refused(lambda: services.declare_conflict(factories.user("fund_office"),
                                                      seven["UNDP"], note, "x"))
    assert isinstance(error, NotAllowed)
    assert (error.message, error.status) == (
        "Only members of the committee and the secretariat declare conflicts of interest.", 403)
    error = refused(lambda: services.declare_conflict(chair, seven["UNDP"], note, "x"))
    assert (error.message, error.status) == (
        "You do not act for UNDP; the secretariat can declare a conflict on its behalf.", 403)
    error = refused(lambda: services.declare_conflict(reviewer, seven["UNDP"], note, None))
    assert (error.message, error.fields) == (
        "Give the reason for the conflict of interest.", {"reason": ["Required."]})
    draft = make_note(status="draft")
    error = refused(lambda: services.declare_conflict(reviewer, seven["UNDP"], draft, "x"))
    assert (error.message, error.fields) == (
        f"{draft.reference} is a draft; conflicts are declared on submitted notes.",
        {"note": ["A draft."]})
    services.declare_conflict(reviewer, seven["UNDP"], note, "x")
    error = refused(lambda: services.declare_conflict(reviewer, seven["UNDP"], note, "y"))
    assert (error.message, error.fields) == (
        f"UNDP has already declared a conflict on {note.reference}.",
        {"note": ["Already declared."]})


def test_the_chair_declares_for_the_membership_it_represents(seeded):
    chair = factories.user("chair")
    term = factories.sitting_term()
    iom = factories.membership("chair", 1, "IOM", *term, representatives=[(chair, True)])
    note = make_note("MEX", punos=("WHO",))
    declared = services.declare_conflict(chair, iom, note, "IOM staff drafted it.")
    assert (declared.membership_id, declared.declared_by_id) == (iom.id, chair.id)


def test_the_consequences_of_a_declaration_are_said_before_it_is_made(seven):
    note = make_note("MEX", punos=("WHO",))
    before = services.declaration_consequences(seven["DEU"], note)
    assert before.final == [
        f"Germany does not count towards the quorum on {note.reference} when the committee "
        "decides, and is recused from it in every review round opened from now on.",
        "The declaration and its reason stay on the committee's record; it cannot be "
        "withdrawn."]
    assert before.refusal is None
    services.declare_conflict(factories.user("secretariat"), seven["DEU"], note, "x")
    after = services.declaration_consequences(seven["DEU"], note)
    assert after.refusal == f"Germany has already declared a conflict on {note.reference}."
