"""The fund's pipeline configuration service: only the secretariat changes it, every value
out of its range is named, and each change is in the audit log."""

from __future__ import annotations

from dataclasses import replace

import pytest

from mptf.extensions import db
from mptf.models import AuditEvent
from mptf.models.accounts import SYSTEM
from mptf.pipeline.configuration import configure_pipeline, current_settings
from mptf.services.errors import NotAllowed, ServiceError


def test_the_secretariat_saves_and_the_change_is_recorded(secretariat):
    before = current_settings()
    wanted = replace(before, min_punos=3, pipeline_validity_months=12)
    assert configure_pipeline(secretariat, wanted) == before
    assert current_settings() == wanted
    event = db.session.scalars(db.select(AuditEvent).where(
        AuditEvent.action == "fund_config_changed")).one()
    assert (event.before["min_punos"], event.after["min_punos"]) == (before.min_punos, 3)


@pytest.mark.parametrize("actor", ["kenya", "system"])
def test_no_one_else_changes_it(actor, kenya):
    who = kenya if actor == "kenya" else SYSTEM
    with pytest.raises(NotAllowed, match="Only the Network Secretariat"):
        configure_pipeline(who, replace(current_settings(), min_punos=3))


@pytest.mark.parametrize(("changes", "field", "sentence"), [
    ({"budget_floor_cents": -1}, "budget_floor", "The floor is between"),
    ({"budget_ceiling_cents": 10**20}, "budget_ceiling", "The ceiling is between"),
    ({"budget_floor_cents": 200, "budget_ceiling_cents": 100}, "budget_ceiling",
     "cannot be below the floor"),
    ({"max_duration_months": 0}, "max_duration_months", "between 1 and 120"),
    ({"min_punos": 21}, "min_punos", "between 1 and 20"),
    ({"pipeline_validity_months": True}, "pipeline_validity_months", "between 1 and 120"),
])
def test_a_value_out_of_range_is_refused_with_its_field(secretariat, changes, field,
                                                        sentence):
    before = current_settings()
    with pytest.raises(ServiceError) as refused:
        configure_pipeline(secretariat, replace(before, **changes))
    assert refused.value.message == "The configuration is not saved: 1 value is out of range."
    assert list(refused.value.fields) == [field]
    assert sentence in refused.value.fields[field][0]
    assert current_settings() == before
