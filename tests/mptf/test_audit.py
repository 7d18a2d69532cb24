"""The audit log records changes and the admin page lists and filters them."""

from mptf.extensions import db
from mptf.models import AuditEvent, User
from mptf.services.audit import events_for, record
from tests import factories


def test_record_writes_an_event_with_before_and_after(seeded):
    actor = factories.user("admin")
    target = factories.user("chair")
    record(actor, "user_deactivated", target, before={"active": True}, after={"active": False})
    db.session.commit()
    events = events_for("users", target.id)
    assert [e.action for e in events] == ["user_created", "user_deactivated"]
    assert events[-1].actor_id == actor.id
    assert events[-1].before == {"active": True} and events[-1].after == {"active": False}


def test_deactivating_through_the_page_is_audited_and_blocks_login(client, auth, seeded):
    admin = factories.user("admin", email="admin@example.org")
    chair = factories.user("chair", email="chair@example.org")
    db.session.commit()
    auth.login("admin@example.org")
    response = auth.post(f"/admin/users/{chair.id}/active", {"active": "0"})
    assert response.status_code == 302
    event = db.session.scalar(db.select(AuditEvent).where(
        AuditEvent.action == "user_deactivated"))
    assert event.actor_id == admin.id and event.entity_id == chair.id
    db.session.expire_all()
    assert db.session.get(User, chair.id).active is False
    auth.logout()
    assert auth.login("chair@example.org").status_code == 401


def test_audit_page_filters(client, auth, seeded):
    factories.user("admin", email="admin@example.org")
    factories.user("chair", email="chair@example.org")
    db.session.commit()
    auth.login("admin@example.org")
    page = client.get("/admin/audit?action=user_created").get_data(as_text=True)
    assert "chair@example.org" in page
    assert "2 events" in page
    page = client.get("/admin/audit?action=login").get_data(as_text=True)
    assert "1 event" in page
    bad = client.get("/admin/audit?date_from=yesterday&entity_id=x").get_data(as_text=True)
    assert "A date as YYYY-MM-DD." in bad and "A whole number." in bad


def test_the_audit_page_shows_money_in_dollars_and_keeps_cents_in_the_record(client, auth,
                                                                             seeded):
    from datetime import date

    from mptf.allocation import services as fund

    factories.user("admin", email="admin@example.org")
    office = factories.fund_office()
    contribution = fund.record_contribution(office, fund.ContributionInput(
        reference="DEP-9", donor_id=factories.state("DEU").id, deposited_on=date(2026, 1, 5),
        amount_cents=125_000_050, earmark_area_id=None))
    record(office, "fund_config_changed", None, entity_type="fund_config",
           before={"budget_floor_cents": 25_000_000}, after={"budget_floor_cents": 25_000_050})
    db.session.commit()
    auth.login("admin@example.org")
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "amount</span>: USD 1,250,000.50" in page
    assert "fee</span>: USD 12,500.01" in page and "net</span>: USD 1,237,500.49" in page
    assert "fee rate</span>: 1.00 %" in page
    assert "budget floor</span>: USD 250,000.00" in page
    assert "budget floor</span>: USD 250,000.50" in page
    assert "125000050" not in page and "25000050" not in page
    event = events_for("contributions", contribution.id)[-1]
    assert event.after["amount"] == 125_000_050  # the record stays machine-readable
