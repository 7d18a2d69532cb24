"""The quorum: the pure rule on hand-worked cases, then the service with recusals."""

from datetime import date

import pytest

from mptf.committee import services
from mptf.committee.quorum import assess_quorum
from mptf.extensions import db
from tests import factories
from tests.mptf.committee.conftest import make_note

CHAIR, UN, CS, COTD, SH, EX = (("chair", True), ("un_network", True),
                               ("contributing_state", True), ("cotd_state", True),
                               ("stakeholder", True), ("ex_officio", False))
# The seeded committee, every seat filled: 12 voting members (majority 7) and ex officio.
FULL = [CHAIR, UN, UN, UN, CS, CS, CS, COTD, COTD, COTD, SH, SH, EX]
REQUIRED = ("un_network", "contributing_state", "cotd_state")

CASES = [
    # (present, seated, majority, required, met, reasons)
    ([CHAIR, UN, UN, CS, CS, COTD, COTD], FULL, True, REQUIRED, True, []),
    ([CHAIR, UN, UN, UN, CS, CS, SH], FULL, True, REQUIRED, False,
     ["No member of Countries of origin, transit and destination is present."]),
    ([UN, CS, COTD, SH, SH, EX], FULL, True, REQUIRED, False,
     ["5 of 12 voting members are present; a majority is 7."]),
    # Ex officio is present but has no vote: 6 voting members.
    ([CHAIR, UN, UN, UN, SH, SH, EX], FULL, True, REQUIRED, False,
     ["6 of 12 voting members are present; a majority is 7.",
      "No member of Contributing states is present.",
      "No member of Countries of origin, transit and destination is present."]),
    # 6 of 12 is half, not a majority.
    ([UN, UN, CS, CS, COTD, COTD], FULL, True, REQUIRED, False,
     ["6 of 12 voting members are present; a majority is 7."]),
    # One cotd seat vacant: 11 voting members, majority 6.
    ([UN, UN, CS, CS, COTD, SH], [s for s in FULL if s != COTD] + [COTD, COTD], True,
     REQUIRED, True, []),
    ([], FULL, True, (), False, ["0 of 12 voting members are present; a majority is 7."]),
    ([EX], [EX], True, (), False, ["No voting member sits on the committee on that date."]),
    ([UN], FULL, False, ("un_network",), True, []),
    ([], FULL, False, (), True, []),
]


@pytest.mark.parametrize("present, seated, majority, required, met, reasons", CASES)
def test_quorum_on_hand_worked_cases(present, seated, majority, required, met, reasons):
    assert assess_quorum(present, seated, majority=majority, required=required) == (met, reasons)


def test_quorum_input_is_checked_at_the_door():
    with pytest.raises(ValueError, match="More members present than seated in: un_network "
                                         r"\(2 present, 1 seated\)"):
        assess_quorum([UN, UN], [UN, CS])
    with pytest.raises(ValueError, match=r"present: rows \[1\]"):
        assess_quorum([UN, ("council", True)], FULL)
    with pytest.raises(ValueError, match=r"seated: rows \[0\]"):
        assess_quorum([], [("un_network", "yes")])
    with pytest.raises(ValueError, match="unknown constituencies"):
        assess_quorum([], FULL, required=["donors"])
    present = [UN]
    assess_quorum(present, FULL)
    assert present == [UN]  # never mutated


def test_quorum_met_for_a_meeting_and_for_a_note(seeded):
    term = (date(2025, 1, 1), date(2027, 1, 1))
    members = [
        factories.membership("chair", 1, "IOM", *term),
        factories.membership("un_network", 1, "ILO", *term),
        factories.membership("un_network", 2, "UNDP", *term),
        factories.membership("contributing_state", 1, "DEU", *term),
        factories.membership("contributing_state", 2, "NLD", *term),
        factories.membership("cotd_state", 1, "KEN", *term),
        factories.membership("cotd_state", 2, "MEX", *term),
    ]
    on = date(2026, 3, 1)
    # 7 voting members seated, all present: majority 4, every required constituency there.
    assert services.quorum_met(members, on) == (True, [])
    # On a Kenyan note of IOM and ILO, IOM, ILO and Kenya are recused and do not count:
    # 4 of 7 present (a majority) and the Network is still there through UNDP.
    kenyan = make_note("KEN", punos=("IOM", "ILO"))
    assert services.quorum_met(members, on, note=kenyan) == (True, [])
    # Without UNDP, the Network is missing for that note.
    without_undp = [m for m in members if m.organisation.acronym != "UNDP"]
    assert services.quorum_met(without_undp, on, note=kenyan) == (
        False, ["3 of 7 voting members are present; a majority is 4.",
                "No member of UN Network on Migration is present."])
    config = services.fund_config()
    config.quorum_constituencies = "contributing_state"
    db.session.flush()
    assert services.quorum_met(without_undp, on, config, note=kenyan) == (
        False, ["3 of 7 voting members are present; a majority is 4."])


def test_quorum_met_refuses_members_not_seated(seeded):
    past = factories.membership("un_network", 1, "ILO", date(2020, 1, 1), date(2022, 1, 1))
    with pytest.raises(services.ServiceError, match="Not seated on 2026-03-01: ILO"):
        services.quorum_met([past], date(2026, 3, 1))
