"""Every submission rule refuses with a message on its field, all problems at once."""

import pytest

from mptf.extensions import db
from mptf.models import FundConfig
from mptf.pipeline import services
from mptf.services.errors import ServiceError
from tests import factories


def submit_problems(team, **overrides) -> dict[str, list[str]]:
    note = services.create_draft(team, factories.note_data(**overrides))
    with pytest.raises(ServiceError) as raised:
        services.submit(team, note)
    assert note.status == "draft"
    return raised.value.fields


def test_a_complete_note_has_no_problems(kenya):
    note = services.create_draft(kenya, factories.note_data())
    assert services.problems(note) == {}
    # direct 600,000 + 400,000 = 1,000,000; indirect 7 % = 70,000; total 1,070,000
    assert note.total_direct_cents == 100_000_000
    assert note.total_indirect_cents == 7_000_000
    assert note.total_cents == 107_000_000


def test_budget_below_the_floor(kenya):
    fields = submit_problems(kenya, punos=[("IOM", 30_000_000), ("ILO", 30_000_000)])
    assert any("must be between USD 1,000,000.00 and USD 3,000,000.00" in p
               for p in fields["punos"])


def test_budget_above_the_ceiling(kenya):
    fields = submit_problems(kenya, punos=[("IOM", 200_000_000), ("ILO", 100_000_000)])
    assert any("USD 3,210,000.00" in p for p in fields["punos"])


def test_budget_limits_come_from_the_fund_configuration(kenya):
    db.session.get(FundConfig, 1).budget_ceiling_cents = 400_000_000
    note = services.create_draft(kenya, factories.note_data(
        punos=[("IOM", 200_000_000), ("ILO", 100_000_000)]))
    assert services.problems(note) == {}


def test_one_puno_is_not_a_joint_programme(kenya):
    fields = submit_problems(kenya, punos=[("IOM", 100_000_000)])
    assert any("at least 2 participating UN organisations" in p for p in fields["punos"])


def test_puno_must_be_a_network_member(kenya):
    from mptf.models import Organisation

    outsider = Organisation(kind="un_entity", acronym="XYZ", name="Not a member",
                            network_member=False)
    db.session.add(outsider)
    db.session.flush()
    note = services.create_draft(kenya, factories.note_data())
    note.puno_lines[1].organisation_id = outsider.id
    db.session.flush()
    db.session.expire(note.puno_lines[1], ["organisation"])
    found = services.problems(note)
    assert any("XYZ is not a member of the UN Network on Migration" in p
               for p in found["punos"])


def test_puno_must_be_present_in_the_country_network(kenya):
    # UNESCO is a Network member but not in the Kenya country network seeded.
    fields = submit_problems(kenya, punos=[("IOM", 60_000_000), ("UNESCO", 40_000_000)])
    assert any("UNESCO is not in the country's UN Network on Migration" in p
               for p in fields["punos"])


def test_a_non_un_party_is_refused_as_puno_even_in_a_draft(kenya):
    from mptf.pipeline.services import PunoInput

    state = factories.state("KEN")
    with pytest.raises(ServiceError, match="must be a UN entity"):
        services.create_draft(kenya, factories.note_data() | {
            "punos": [PunoInput(state.id, 100, True)]})


def test_duration_too_long(kenya):
    fields = submit_problems(kenya, duration_months=48)
    assert fields["duration_months"] == ["The duration is 48 months; the fund allows at most 36."]


def test_no_objective(kenya):
    assert submit_problems(kenya, objective_ids=[])["objective_ids"] == [
        "Choose at least one GCM objective."]


def test_no_government_partner(kenya):
    fields = submit_problems(kenya, national_partners=[{"name": "Red Cross",
                                                        "kind": "civil_society"}])
    assert fields["national_partners"] == [
        "Name at least one government entity among the national partners."]


def test_markers_need_justification_and_gender_child_principles_are_required(kenya):
    fields = submit_problems(kenya, gender_justification="", child_marker=None,
                             principles={factories.principle_id("people"): "Migrants first."})
    assert fields["gender_justification"] == ["Justify the gender equality marker."]
    assert fields["child_marker"] == ["Choose the child-sensitivity marker."]
    assert "Every submission must address the gender-responsive principle." in fields["principles"]
    assert "Every submission must address the child-sensitive principle." in fields["principles"]


def test_every_problem_is_listed_at_once(kenya):
    fields = submit_problems(kenya, title="", summary="", objective_ids=[], duration_months=None,
                             punos=[("IOM", 100)], national_partners=[], stakeholders=[])
    assert {"title", "summary", "objective_ids", "duration_months", "punos",
            "national_partners", "stakeholders"} <= set(fields)


def test_regional_note_needs_two_countries(kenya):
    fields = submit_problems(kenya, is_regional=True, country_ids=[])
    assert fields["country_ids"] == ["A regional note covers at least two countries."]
    rwanda = factories.country("RWA")
    note = services.create_draft(kenya, factories.note_data(is_regional=True,
                                                            country_ids=[rwanda.id]))
    assert {c.iso3 for c in note.countries} == {"KEN", "RWA"}
    assert "country_ids" not in services.problems(note)


def test_endorsement_date(kenya):
    from datetime import date

    fields = submit_problems(kenya, endorsement_date=None)
    assert fields["endorsement_date"] == ["Give the date of the government's endorsement."]
    fields = submit_problems(kenya, endorsement_date=date(2099, 1, 1))
    assert fields["endorsement_date"] == ["The endorsement date cannot be in the future."]
