"""The quorum rule at its boundaries, hand-worked (issue 24): exactly a majority, one short of
it, on an even and an odd committee; one member of a required constituency; and every refusal
read as its whole sentence."""

from __future__ import annotations

import pytest

from mptf.committee.quorum import assess_quorum
from tests.mptf.committee.test_quorum import CHAIR, COTD, CS, EX, FULL, REQUIRED, SH, UN

ELEVEN = [CHAIR, UN, UN, UN, CS, CS, CS, COTD, COTD, SH, SH, EX]  # a cotd seat vacant


def refusal(call) -> str:
    with pytest.raises(ValueError) as raised:
        call()
    return str(raised.value)


@pytest.mark.parametrize(("present", "seated", "met", "reasons"), [
    # 12 voting seated: 12 // 2 + 1 = 7 needed.
    ([CHAIR, UN, UN, UN, CS, CS, CS], FULL, True, []),
    ([CHAIR, UN, UN, UN, CS, CS, EX], FULL, False,
     ["6 of 12 voting members are present; a majority is 7."]),
    # 11 voting seated: 11 // 2 + 1 = 6 needed.
    ([CHAIR, UN, UN, UN, CS, CS], ELEVEN, True, []),
    ([CHAIR, UN, UN, UN, CS, EX], ELEVEN, False,
     ["5 of 11 voting members are present; a majority is 6."]),
    # One voting member seated: that one is a majority of one.
    ([UN], [UN, EX], True, []),
    ([EX], [UN, EX], False, ["0 of 1 voting members are present; a majority is 1."]),
    # Two seated: 2 // 2 + 1 = 2, both needed.
    ([UN], [UN, CS], False, ["1 of 2 voting members are present; a majority is 2."]),
    ([UN, CS], [UN, CS], True, []),
])
def test_exactly_a_majority_and_one_short(present, seated, met, reasons):
    # The defaults are the fund's: a majority, and no constituency required.
    assert assess_quorum(present, seated) == (met, reasons)


def test_without_the_majority_rule_no_voting_member_is_needed():
    assert assess_quorum([EX], [EX], majority=False) == (True, [])
    assert assess_quorum([], [], majority=False, required=()) == (True, [])


def test_exactly_one_member_of_each_required_constituency_is_enough():
    present = [UN, CS, COTD, CHAIR, SH, SH, CS]
    assert assess_quorum(present, FULL, required=REQUIRED) == (True, [])


def test_each_missing_required_constituency_is_named_once_in_the_order_given():
    # The Network is asked twice: named once; the chair and stakeholders are present.
    present = [CHAIR, SH, SH]
    required = ["stakeholder", "cotd_state", "un_network", "cotd_state", "chair", "un_network"]
    assert assess_quorum(present, FULL, majority=False, required=required) == (False, [
        "No member of Countries of origin, transit and destination is present.",
        "No member of UN Network on Migration is present.",
    ])


def test_ex_officio_can_be_required_and_present_without_a_vote():
    assert assess_quorum([EX], FULL, majority=False, required=["ex_officio"]) == (True, [])
    assert assess_quorum([UN], FULL, majority=False, required=["ex_officio"]) == (
        False, ["No member of Ex officio (MPTF Office) is present."])


def test_pairs_may_be_lists_and_the_input_stays_as_it_was():
    present = [["un_network", True], ["contributing_state", True]]
    seated = [["un_network", True], ["contributing_state", True], ["ex_officio", False]]
    assert assess_quorum(present, seated) == (True, [])
    assert present == [["un_network", True], ["contributing_state", True]]
    assert assess_quorum(tuple(map(tuple, present)), tuple(map(tuple, seated))) == (True, [])


def test_as_many_present_as_seated_in_a_constituency_is_allowed():
    assert assess_quorum([UN, UN, UN], [UN, UN, UN]) == (True, [])


@pytest.mark.parametrize(("call", "sentence"), [
    (lambda: assess_quorum("un_network", FULL),
     "present must be a list of (constituency, votes) pairs."),
    (lambda: assess_quorum([], b"un_network"),
     "seated must be a list of (constituency, votes) pairs."),
    (lambda: assess_quorum({UN}, FULL), "present must be a list of (constituency, votes) pairs."),
    (lambda: assess_quorum([UN, ("council", True), ("un_network",), ("chair", 1),
                            ("chair", True, True), "chair"], FULL),
     "present: rows [1, 2, 3, 4, 5] are not (constituency, votes) pairs with a known "
     "constituency (chair, un_network, contributing_state, cotd_state, stakeholder, "
     "ex_officio) and a True/False vote."),
    (lambda: assess_quorum([], [("un_network", "yes")]),
     "seated: rows [0] are not (constituency, votes) pairs with a known constituency (chair, "
     "un_network, contributing_state, cotd_state, stakeholder, ex_officio) and a True/False "
     "vote."),
    (lambda: assess_quorum([], FULL, required=["donors", "un_network", "council"]),
     "required: unknown constituencies ['donors', 'council']."),
    (lambda: assess_quorum([UN, UN, CS, CS, SH], [UN, CS, SH]),
     "More members present than seated in: contributing_state (2 present, 1 seated), "
     "un_network (2 present, 1 seated)"),
    (lambda: assess_quorum([COTD], [UN]),
     "More members present than seated in: cotd_state (1 present, 0 seated)"),
])
def test_each_refusal_is_a_whole_sentence(call, sentence):
    assert refusal(call) == sentence
