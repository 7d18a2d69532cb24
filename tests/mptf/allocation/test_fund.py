"""The fund balance from the database on the hand-worked example (conftest.hand_worked), the
funds a cycle may spend, and corrections that would overdraw the fund."""

from datetime import date

import pytest

from mptf.allocation import services
from mptf.extensions import db
from mptf.models import AuditEvent, Contribution, FundConfig
from mptf.services.errors import ServiceError
from tests import factories


def test_the_balance_falls_exactly(hand_worked):
    fund = services.balance()
    assert (fund.gross, fund.fee, fund.net) == (175_033_433, 1_750_335, 173_283_098)
    assert (fund.allocated, fund.available) == (110_000_000, 63_283_098)
    assert fund.unearmarked == 63_283_049
    assert fund.earmarked == {1: 0, 2: 0, 3: 0, 4: 0, 5: 49}
    assert services.available_funds() == (63_283_049, {1: 0, 2: 0, 3: 0, 4: 0, 5: 49})


def test_available_funds_on_a_day(hand_worked):
    assert services.available_funds(date(2025, 8, 31)) == (
        69_033_000, {1: 0, 2: 14_250_049, 3: 0, 4: 0, 5: 49})
    assert services.available_funds(date(2025, 1, 14)) == (0, dict.fromkeys(range(1, 6), 0))


def test_allocated_by_cycle_has_names(hand_worked):
    table = services.allocated_by_cycle()
    assert table["name"].tolist() == ["Cycle 2025-A", "Cycle 2025-B"]
    assert table["amount"].tolist() == [90_000_000, 20_000_000]
    assert table["notes"].tolist() == [2, 1]


def test_nothing_recorded_yet(office):
    assert services.available_funds() == (0, dict.fromkeys(range(1, 6), 0))
    assert services.allocated_by_cycle().empty


def _input(contribution, **changes):
    data = services.ContributionInput(
        reference=contribution.reference, donor_id=contribution.donor_id,
        deposited_on=contribution.deposited_on, amount_cents=contribution.amount_cents,
        earmark_area_id=contribution.earmark_area_id)
    for key, value in changes.items():
        setattr(data, key, value)
    return data


def _by_reference(reference):
    return db.session.scalar(db.select(Contribution).where(Contribution.reference == reference))


def test_a_correction_keeps_the_row_and_audits_before_and_after(hand_worked, office):
    deposit = _by_reference("DEP-A")
    # The fund's rate changes later; the correction keeps the rate charged at deposit.
    db.session.get(FundConfig, 1).aa_fee_rate_bp = 200
    services.correct_contribution(office, deposit, _input(deposit, amount_cents=100_000_100),
                                  "The bank's advice shows USD 1,000,001.00.")
    db.session.commit()
    deposit = _by_reference("DEP-A")
    assert (deposit.amount_cents, deposit.fee_cents, deposit.net_cents) == (
        100_000_100, 1_000_001, 99_000_099)
    assert deposit.fee_rate_bp == 100
    event = db.session.scalar(db.select(AuditEvent).where(
        AuditEvent.action == "contribution_corrected"))
    assert event.entity_id == deposit.id and event.actor_id == office.id
    assert event.before == {"amount": 100_000_000, "fee": 1_000_000, "net": 99_000_000}
    assert event.after == {"amount": 100_000_100, "fee": 1_000_001, "net": 99_000_099,
                           "reason": "The bank's advice shows USD 1,000,001.00."}
    assert services.balance().net == 173_283_098 + 99


def test_a_change_of_donor_is_audited_with_names(hand_worked, office):
    deposit = _by_reference("DEP-B")
    portugal = factories.state("PRT")
    services.correct_contribution(office, deposit, _input(deposit, donor_id=portugal.id),
                                  "Portugal paid, through the Dutch account.")
    event = db.session.scalar(db.select(AuditEvent).where(
        AuditEvent.action == "contribution_corrected"))
    assert event.before == {"donor": factories.state("NLD").id,
                            "donor_name": factories.state("NLD").name}
    assert event.after == {"donor": portugal.id, "donor_name": portugal.name,
                           "reason": "Portugal paid, through the Dutch account."}


def test_a_new_contribution_takes_the_current_rate(office):
    db.session.get(FundConfig, 1).aa_fee_rate_bp = 250
    made = factories.contribution("PRT", "333.33", date(2026, 1, 5))
    assert (made.fee_rate_bp, made.fee_cents, made.net_cents) == (250, 833, 32_500)


@pytest.mark.parametrize("changes", [
    {"amount_cents": 40_000_000},        # area 2 would hold 643,500.49 against 742,500.49
    {"earmark_area_id": None},            # the money would leave area 2's earmark
    {"earmark_area_id": 3},
])
def test_a_correction_may_not_overdraw_the_fund(hand_worked, office, changes):
    deposit = _by_reference("DEP-E")
    with pytest.raises(ServiceError, match="already allocated from it; nothing was changed") \
            as refused:
        services.correct_contribution(office, deposit, _input(deposit, **changes), "Typo.")
    assert refused.value.status == 409
    db.session.rollback()
    deposit = _by_reference("DEP-E")
    assert (deposit.amount_cents, deposit.earmark_area_id) == (50_000_000, 2)
    assert not db.session.scalar(db.select(AuditEvent.id).where(
        AuditEvent.action == "contribution_corrected"))


def test_a_correction_may_move_money_that_was_not_spent(hand_worked, office):
    deposit = _by_reference("DEP-D")            # USD 0.50 earmarked to area 5, unspent
    services.correct_contribution(office, deposit, _input(deposit, earmark_area_id=None),
                                  "Not earmarked after all.")
    assert services.available_funds() == (63_283_098, dict.fromkeys(range(1, 6), 0))


def test_correction_refusals(hand_worked, office, people):
    deposit = _by_reference("DEP-B")
    with pytest.raises(ServiceError, match="Nothing to correct"):
        services.correct_contribution(office, deposit, _input(deposit), "No change.")
    with pytest.raises(ServiceError, match="Say why"):
        services.correct_contribution(office, deposit, _input(deposit, amount_cents=1), "  ")
    with pytest.raises(ServiceError, match="Reference DEP-A is already recorded"):
        services.correct_contribution(office, deposit, _input(deposit, reference="dep-a"),
                                      "Typo.")
    with pytest.raises(ServiceError, match="Only the fund office") as refused:
        services.correct_contribution(people["secretariat"], deposit,
                                      _input(deposit, amount_cents=1), "Typo.")
    assert refused.value.status == 403


def test_record_refuses_every_problem_at_once(office):
    with pytest.raises(ServiceError) as refused:
        services.record_contribution(office, services.ContributionInput(
            reference="  ", donor_id=None, deposited_on=date(2999, 1, 1), amount_cents=0,
            earmark_area_id=99))
    assert set(refused.value.fields) == {"reference", "donor", "deposited_on", "amount",
                                         "earmark"}
    assert "See 4 more problems below." in refused.value.message
    un_entity = factories.entity("IOM")
    with pytest.raises(ServiceError) as refused:
        services.record_contribution(office, services.ContributionInput(
            reference="X-1", donor_id=un_entity.id, deposited_on=date(2026, 1, 1),
            amount_cents=100_000_000_000_001))
    assert set(refused.value.fields) == {"donor", "amount"}
    assert db.session.scalars(db.select(Contribution)).all() == []


def test_a_recorded_contribution_is_audited(office, foundation):
    made = factories.contribution(foundation, "1,250,000.50", date(2026, 2, 2), earmark=5,
                                  reference="HMF-2026-01")
    assert (made.amount_cents, made.fee_cents, made.net_cents) == (
        125_000_050, 1_250_001, 123_750_049)
    event = db.session.scalar(db.select(AuditEvent).where(
        AuditEvent.action == "contribution_recorded"))
    assert event.entity_type == "contributions" and event.entity_id == made.id
    assert event.after == {"reference": "HMF-2026-01", "donor": foundation.id,
                           "donor_name": "Horizon Migration Foundation",
                           "deposited_on": "2026-02-02", "amount": 125_000_050,
                           "fee": 1_250_001, "net": 123_750_049, "fee_rate_bp": 100,
                           "earmark": 5}
    assert db.session.scalar(db.select(AuditEvent).where(
        AuditEvent.action == "partner_added")).entity_id == foundation.id


def test_the_database_holds_the_fee_rule(office):
    """Written around the service, the CHECK constraints still refuse a wrong fee."""
    from sqlalchemy.exc import IntegrityError

    db.session.add(Contribution(reference="RAW-1", donor=factories.state("DEU"),
                                deposited_on=date(2026, 1, 1), amount_cents=50, fee_cents=0,
                                net_cents=50, fee_rate_bp=100))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_partners_are_not_duplicated(office, foundation):
    with pytest.raises(ServiceError, match="is already a donor"):
        services.add_partner(office, "horizon migration foundation")
    with pytest.raises(ServiceError, match="is already a donor"):
        services.add_partner(office, "Another name", "hmf")
    with pytest.raises(ServiceError, match="Name the new partner"):
        services.add_partner(office, "   ")
    partner = services.add_partner(office, "Open Borders Trust")
    assert (partner.kind, partner.acronym) == ("other", "Open Borders Trust")
    assert partner in services.donors()


# --- concurrency ---------------------------------------------------------------------------

@pytest.mark.postgres
def test_two_concurrent_corrections_cannot_overdraw_together(hand_worked, office, served_app):
    """Each correction alone leaves unearmarked money for what was allocated from it; both
    would not. The first holds the fund's configuration lock until it commits; the second
    waits, then sees the first and is refused."""
    import threading
    import time

    factories.contribution("GBR", "500,000.00", date(2025, 7, 1), reference="DEP-F")
    db.session.commit()   # unearmarked available: 1,127,830.49
    first = _by_reference("DEP-A")
    services.correct_contribution(office, first, _input(first, amount_cents=30_000_000),
                                  "Only USD 300,000 arrived.")   # frees 693,000.00
    outcome = {}

    def second():
        with served_app.app_context():
            try:
                actor = db.session.get(type(office), office.id)
                deposit = _by_reference("DEP-F")
                services.correct_contribution(actor, deposit, _input(deposit, amount_cents=100),
                                              "Only USD 1 arrived.")   # frees 494,999.01
                db.session.commit()
                outcome["result"] = "corrected"
            except ServiceError as exc:
                db.session.rollback()
                outcome["result"] = exc.message

    thread = threading.Thread(target=second)
    thread.start()
    time.sleep(0.5)  # let the second correction reach the lock
    db.session.commit()
    thread.join(timeout=30)
    assert "already allocated from it; nothing was changed" in outcome["result"]
    assert _by_reference("DEP-F").amount_cents == 50_000_000
    assert services.available_funds()[0] == 43_483_049   # 1,127,830.49 - 693,000.00
