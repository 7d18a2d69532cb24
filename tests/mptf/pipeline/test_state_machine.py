"""The note's state machine: exactly the transitions of DESIGN.md §3, each other one refused
with a sentence."""

import itertools

import pytest

from mptf.extensions import db
from mptf.models import NOTE_STATUSES, ROLES, AuditEvent
from mptf.pipeline import services
from mptf.pipeline.rules import TRANSITION_ROLES, TRANSITIONS, add_months, indirect_cents, refusal
from mptf.services.errors import NotAllowed, ServiceError
from mptf.services.policy import SYSTEM
from tests import factories

ALLOWED = {
    ("draft", "submitted"), ("draft", "withdrawn"),
    ("submitted", "pipeline"), ("submitted", "returned"), ("submitted", "withdrawn"),
    ("returned", "submitted"), ("returned", "withdrawn"),
    ("pipeline", "selected"), ("pipeline", "withdrawn"), ("pipeline", "expired"),
    ("selected", "funded"),
}


def test_the_transition_table_is_exactly_the_design():
    table = {(a, b) for a, targets in TRANSITIONS.items() for b in targets}
    assert table == ALLOWED
    assert set(TRANSITIONS) == set(NOTE_STATUSES)


@pytest.mark.parametrize("current,target", [
    pair for pair in itertools.product(NOTE_STATUSES, NOTE_STATUSES)
    if pair not in ALLOWED and pair[0] != pair[1]])
def test_every_other_transition_is_refused_with_a_sentence(current, target):
    message = refusal(current, target)
    assert message and message.endswith(".")
    assert "cannot become" in message


def test_full_life_draft_submitted_returned_resubmitted_pipeline_expired(kenya, secretariat):
    note = factories.note(kenya, "draft")
    assert note.reference.startswith("MIG-") and note.reference.endswith("-0001")
    services.submit(kenya, note)
    services.screen(secretariat, note, dict.fromkeys(services.CHECKLIST, True), "returned",
                    "Add the ministry's endorsement letter.")
    assert note.status == "returned"
    services.update_draft(kenya, note, {"title": "Revised title"})
    services.submit(kenya, note)
    assert [v.number for v in note.versions] == [1, 2]
    services.screen(secretariat, note, dict.fromkeys(services.CHECKLIST, True), "pipeline", "")
    assert note.status == "pipeline"
    assert note.expires_on == add_months(note.pipeline_at.date(), 24)
    assert services.expire_notes(note.expires_on) == [note.reference]
    assert note.status == "expired"
    actions = db.session.scalars(db.select(AuditEvent.action).where(
        AuditEvent.entity_id == note.id, AuditEvent.entity_type == "concept_notes")
        .order_by(AuditEvent.id)).all()
    assert actions == ["note_created", "note_submitted", "note_returned", "note_edited",
                       "note_submitted", "note_pipeline", "note_expired"]


def test_expiry_leaves_notes_still_valid(kenya):
    note = factories.note(kenya, "pipeline")
    assert services.expire_notes(note.expires_on.replace(day=1)
                                 if note.expires_on.day > 1 else note.pipeline_at.date()) == []
    assert note.status == "pipeline"


def test_refusals_change_nothing(kenya, secretariat):
    note = factories.note(kenya, "pipeline")
    with pytest.raises(ServiceError, match="cannot become submitted"):
        services.submit(kenya, note)
    with pytest.raises(ServiceError, match="only drafts and returned notes can be edited"):
        services.update_draft(kenya, note, {"title": "x"})
    with pytest.raises(ServiceError, match="Only submitted notes are screened"):
        services.screen(secretariat, note, {}, "pipeline", "")
    services.withdraw(kenya, note)
    with pytest.raises(ServiceError, match="cannot change any more"):
        services.withdraw(kenya, note)
    assert note.status == "withdrawn"


def test_roles(kenya, bangladesh, secretariat):
    note = factories.note(kenya, "draft")
    with pytest.raises(NotAllowed):
        services.submit(bangladesh, note)
    with pytest.raises(NotAllowed):
        services.submit(secretariat, note)
    with pytest.raises(NotAllowed):
        services.withdraw(bangladesh, note)
    services.submit(kenya, note)
    with pytest.raises(NotAllowed):
        services.screen(kenya, note, dict.fromkeys(services.CHECKLIST, True), "pipeline", "")
    with pytest.raises(NotAllowed):
        services.create_draft(secretariat, {})


def test_screening_rules(kenya, secretariat):
    note = factories.note(kenya, "submitted")
    partial = dict.fromkeys(services.CHECKLIST, True) | {"endorsement_present": False}
    with pytest.raises(ServiceError, match="not ticked: Government endorsement present"):
        services.screen(secretariat, note, partial, "pipeline", "")
    with pytest.raises(ServiceError, match="Say why the note is returned"):
        services.screen(secretariat, note, partial, "returned", "  ")
    with pytest.raises(ServiceError, match="Choose an outcome"):
        services.screen(secretariat, note, partial, "maybe", "")
    assert note.status == "submitted"


def test_money_rules_hand_checked():
    assert indirect_cents(10_000_000, 700) == 700_000
    assert indirect_cents(1, 700) == 0          # 0.07 cent rounds down
    assert indirect_cents(8, 700) == 1          # 0.56 cent rounds up
    assert indirect_cents(50, 100) == 1         # exactly half a cent rounds up


def test_add_months_clamps_to_the_month_end():
    from datetime import date

    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2026, 11, 22), 24) == date(2028, 11, 22)
    assert add_months(date(2027, 12, 15), 1) == date(2028, 1, 15)


def test_who_moves_a_note_into_each_state_is_exactly_the_design():
    assert {target: set(roles) for target, roles in TRANSITION_ROLES.items()} == {
        "submitted": {"country_team", "secretariat"}, "withdrawn": {"country_team"},
        "pipeline": {"secretariat"}, "returned": {"secretariat"},
        "expired": {"secretariat", "system"}, "selected": {"chair"},
        "funded": {"fund_office", "chair"},
    }


@pytest.mark.parametrize("role", [*ROLES, SYSTEM.role])
def test_move_note_refuses_a_role_that_does_not_make_the_move(kenya, role):
    """Every path that changes a note's state goes through move_note, which enforces both
    tables: a role outside TRANSITION_ROLES is refused with a sentence naming who may, and
    the note and the audit log are unchanged."""
    note = factories.note(kenya, "pipeline")
    actor = SYSTEM if role == SYSTEM.role else factories.user(
        role, "KEN" if role == "country_team" else None)
    events = db.session.scalar(db.select(db.func.count(AuditEvent.id)))
    for target in sorted(TRANSITIONS["pipeline"]):
        if role in TRANSITION_ROLES[target]:
            continue
        with pytest.raises(NotAllowed, match=r"^Only the .+\.$"):
            services.move_note(actor, note, target)
        assert note.status == "pipeline"
    assert db.session.scalar(db.select(db.func.count(AuditEvent.id))) == events


def test_move_note_refuses_a_move_the_machine_does_not_have_before_asking_the_role(kenya):
    note = factories.note(kenya, "draft")
    with pytest.raises(ServiceError, match="cannot become selected") as refused:
        services.move_note(SYSTEM, note, "selected")
    assert refused.value.status == 409 and note.status == "draft"


def test_the_system_expires_notes_and_the_log_names_no_account(kenya):
    note = factories.note(kenya, "pipeline")
    assert services.expire_notes(note.expires_on) == [note.reference]
    event = db.session.scalars(db.select(AuditEvent).where(
        AuditEvent.action == "note_expired", AuditEvent.entity_id == note.id)).one()
    assert event.actor_id is None and event.after["status"] == "expired"
