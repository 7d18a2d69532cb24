import dataclasses
import math

import pandas as pd
import pytest

from scoring import Criterion, Rubric


def make_rubric() -> Rubric:
    return Rubric([
        Criterion("relevance", "Relevance to the GCM", 3, guidance="Which objectives?"),
        Criterion("feasibility", "Feasibility", 2),
        Criterion("budget", "Value for money", 0.5, scale_min=0, scale_max=10),
    ])


def test_criterion_defaults():
    c = Criterion("relevance", "Relevance", 2)
    assert (c.code, c.label, c.weight, c.scale_min, c.scale_max, c.guidance) == (
        "relevance", "Relevance", 2, 1, 5, "")


def test_criterion_is_frozen():
    c = Criterion("relevance", "Relevance", 2)
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.weight = 3


@pytest.mark.parametrize("code", ["", "   ", None, 7])
def test_criterion_code_must_be_a_non_empty_string(code):
    with pytest.raises(ValueError, match="criterion code must be a non-empty string"):
        Criterion(code, "Label", 1)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"weight": 0}, "criterion 'rel': weight must be > 0, got 0"),
        ({"weight": -1.5}, "criterion 'rel': weight must be > 0, got -1.5"),
        ({"weight": math.nan}, "criterion 'rel': weight must be a finite number, got nan"),
        ({"weight": math.inf}, "criterion 'rel': weight must be a finite number, got inf"),
        ({"weight": True}, "criterion 'rel': weight must be a finite number, got True"),
        ({"weight": "2"}, "criterion 'rel': weight must be a finite number, got '2'"),
        ({"scale_min": None}, "criterion 'rel': scale_min must be a finite number, got None"),
        ({"scale_max": math.inf}, "criterion 'rel': scale_max must be a finite number, got inf"),
        ({"scale_min": 5, "scale_max": 5},
         r"criterion 'rel': scale_max \(5\) must be greater than scale_min \(5\)"),
        ({"scale_min": 5, "scale_max": 1},
         r"criterion 'rel': scale_max \(1\) must be greater than scale_min \(5\)"),
        ({"label": None}, "criterion 'rel': label must be a string, got None"),
        ({"guidance": None}, "criterion 'rel': guidance must be a string, got None"),
    ],
)
def test_criterion_rejects_bad_fields(kwargs, message):
    fields = {"code": "rel", "label": "Relevance", "weight": 1} | kwargs
    with pytest.raises(ValueError, match=message):
        Criterion(**fields)


def test_criterion_accepts_float_scales():
    c = Criterion("rel", "Relevance", 0.25, scale_min=-1.5, scale_max=1.5)
    assert (c.scale_min, c.scale_max, c.weight) == (-1.5, 1.5, 0.25)


def test_rubric_holds_a_tuple_and_answers_questions():
    rubric = make_rubric()
    assert isinstance(rubric.criteria, tuple)
    assert rubric.codes == ("relevance", "feasibility", "budget")
    assert rubric.total_weight == 5.5
    assert len(rubric) == 3
    assert [c.code for c in rubric] == ["relevance", "feasibility", "budget"]
    assert rubric.get("feasibility") == Criterion("feasibility", "Feasibility", 2)
    assert rubric.get("impact") is None


def test_rubric_from_generator_equals_rubric_from_list():
    listed = make_rubric()
    assert Rubric(c for c in listed.criteria) == listed
    assert hash(Rubric(list(listed.criteria))) == hash(listed)


def test_rubric_to_frame():
    expected = pd.DataFrame({
        "code": ["relevance", "feasibility", "budget"],
        "label": ["Relevance to the GCM", "Feasibility", "Value for money"],
        "weight": [3.0, 2.0, 0.5],
        "scale_min": [1.0, 1.0, 0.0],
        "scale_max": [5.0, 5.0, 10.0],
        "guidance": ["Which objectives?", "", ""],
    })
    pd.testing.assert_frame_equal(make_rubric().to_frame(), expected)


def test_rubric_needs_a_criterion():
    with pytest.raises(ValueError, match="a rubric needs at least one criterion"):
        Rubric([])


def test_rubric_rejects_duplicate_codes():
    with pytest.raises(ValueError, match="duplicate criterion code 'relevance'"):
        Rubric([Criterion("relevance", "A", 1), Criterion("feasibility", "B", 1),
                Criterion("relevance", "C", 2)])


def test_rubric_rejects_non_criteria():
    with pytest.raises(ValueError, match="rubric item 1 is not a Criterion"):
        Rubric([Criterion("relevance", "A", 1), {"code": "feasibility"}])


@pytest.mark.parametrize("criteria", ["relevance", None, 3, {"code": "x"}])
def test_rubric_rejects_a_non_sequence(criteria):
    with pytest.raises(ValueError, match="a rubric needs a sequence of criteria"):
        Rubric(criteria)


def test_from_records():
    rubric = Rubric.from_records([
        {"code": "relevance", "label": "Relevance to the GCM", "weight": 3,
         "guidance": "Which objectives?"},
        {"code": "feasibility", "label": "Feasibility", "weight": 2, "scale_min": None,
         "scale_max": None, "guidance": None},
        {"code": "budget", "label": "Value for money", "weight": 0.5, "scale_min": 0,
         "scale_max": 10},
    ])
    assert rubric == make_rubric()


def test_from_records_names_a_missing_key():
    with pytest.raises(ValueError, match="criterion record 1: missing key\\(s\\) label, weight"):
        Rubric.from_records([{"code": "a", "label": "A", "weight": 1}, {"code": "b"}])


def test_from_records_names_an_unknown_key():
    with pytest.raises(ValueError, match="criterion record 0: unknown key\\(s\\) wieght"):
        Rubric.from_records([{"code": "a", "label": "A", "weight": 1, "wieght": 2}])


def test_from_records_rejects_a_non_mapping():
    with pytest.raises(ValueError, match="criterion record 0 is not a mapping"):
        Rubric.from_records([("a", "A", 1)])


def test_from_records_passes_criterion_errors_on():
    with pytest.raises(ValueError, match="criterion 'a': weight must be > 0"):
        Rubric.from_records([{"code": "a", "label": "A", "weight": 0}])


def test_from_records_rejects_duplicates():
    with pytest.raises(ValueError, match="duplicate criterion code 'a'"):
        Rubric.from_records([{"code": "a", "label": "A", "weight": 1},
                             {"code": "a", "label": "A again", "weight": 1}])
