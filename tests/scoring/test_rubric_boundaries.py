"""Rubric refusals read in full: a mutation that garbles a sentence must fail a test (issue 24).

``pytest.raises(match=...)`` searches, so a message with text added around it still matches;
these tests compare the whole sentence."""

from __future__ import annotations

import pytest

from scoring import Rubric


def refusal(call) -> str:
    with pytest.raises(ValueError) as raised:
        call()
    return str(raised.value)


def test_an_empty_rubric_is_refused_in_one_plain_sentence():
    assert refusal(lambda: Rubric([])) == "a rubric needs at least one criterion"


def test_every_unknown_key_of_a_record_is_named_in_order():
    record = {"code": "a", "label": "A", "weight": 1, "wieght": 2, "guidence": "x"}
    assert refusal(lambda: Rubric.from_records([record])) == (
        "criterion record 0: unknown key(s) guidence, wieght")


def test_every_missing_key_of_a_record_is_named():
    assert refusal(lambda: Rubric.from_records([{"code": "b"}])) == (
        "criterion record 0: missing key(s) label, weight")
