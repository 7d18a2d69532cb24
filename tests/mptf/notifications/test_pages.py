"""On the site: each user's notifications with the unread count in the navigation, their
choices of messages by e-mail, and the admin's outbox."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from mptf.extensions import db
from mptf.models import Notification, NotificationPreference
from mptf.notifications import services
from mptf.pipeline import services as pipeline
from mptf.services.errors import ServiceError
from tests import factories

BADGE = re.compile(r'Inbox <span class="badge">(\d+)<span class="visually-hidden"> '
                   r'unread</span></span>')


def nav_count(page: str) -> int | None:
    match = BADGE.search(page)
    return int(match.group(1)) if match else None


def returned(teams, reasons="The budget lacks a breakdown per PUNO."):
    note = factories.note(teams["KEN"], "submitted")
    pipeline.screen(teams["sec"], note, {}, "returned", reasons)
    db.session.commit()
    return note


def test_a_team_sees_its_notifications_and_the_unread_count(client, auth, teams):
    note = returned(teams, reasons="<b>Budget</b> incomplete")
    auth.login("kenya@example.org")
    page = client.get("/notifications/").get_data(as_text=True)
    assert nav_count(page) == 2                  # the receipt and the return
    assert f"{note.reference} returned with reasons" in page
    assert "&lt;b&gt;Budget&lt;/b&gt; incomplete" in page
    assert "<b>Budget</b>" not in page
    assert f'href="/pipeline/{note.id}"' in page
    response = auth.post("/notifications/read", {"upto": re.search(
        r'name="upto" value="(\d+)"', page).group(1)}, token_from="/notifications/")
    assert response.status_code == 302
    assert nav_count(client.get("/home").get_data(as_text=True)) is None


def test_marking_read_keeps_what_arrived_after_the_page_unread(client, auth, teams):
    returned(teams)
    auth.login("kenya@example.org")
    page = client.get("/notifications/").get_data(as_text=True)
    upto = re.search(r'name="upto" value="(\d+)"', page).group(1)
    pipeline.submit(teams["KEN"], factories.note(teams["KEN"], "draft"))
    db.session.commit()
    auth.post("/notifications/read", {"upto": upto}, token_from="/notifications/")
    assert nav_count(client.get("/home").get_data(as_text=True)) == 1


def test_marking_read_without_saying_up_to_which_is_refused(client, auth, teams):
    returned(teams)
    auth.login("kenya@example.org")
    for data in ({}, {"upto": "x"}, {"upto": "0"}, {"upto": "٣"}):
        response = auth.post("/notifications/read", data, token_from="/notifications/")
        assert response.status_code == 400, data
    assert nav_count(client.get("/home").get_data(as_text=True)) == 2


def test_nobody_sees_anothers_notifications(client, auth, teams):
    note = returned(teams)
    auth.login("bangladesh@example.org")
    page = client.get("/notifications/").get_data(as_text=True)
    assert note.reference not in page
    assert nav_count(page) is None


def test_choices_turn_optional_messages_off_but_not_those_one_must_receive(
        client, auth, teams):
    auth.login("sec@example.org")
    page = client.get("/notifications/preferences").get_data(as_text=True)
    assert 'name="email_note_to_screen"' in page
    assert 'name="email_note_returned"' not in page      # a must: shown ticked, disabled
    assert "Always sent" in page
    response = auth.post("/notifications/preferences", {"email_decision_issued": "y"},
                         token_from="/notifications/preferences")
    assert response.status_code == 302
    db.session.expire_all()
    choices = services.preferences(teams["sec"])
    assert choices["note_to_screen"] is False and choices["decision_issued"] is True
    assert choices["note_returned"] is True
    factories.note(teams["KEN"], "submitted")
    db.session.commit()
    [to_screen] = db.session.scalars(select(Notification).where(
        Notification.event == "note_to_screen"))
    assert to_screen.state == "site_only"                 # on the site, never e-mailed
    with pytest.raises(ServiceError, match="cannot be turned off"):
        services.set_preferences(teams["KEN"], {"note_returned": False})
    assert db.session.get(NotificationPreference, (teams["KEN"].id, "note_returned")) is None


def test_the_secretariat_reads_the_outbox_and_queues_a_failed_message_again(client, auth, teams):
    returned(teams)
    factories.user("admin", email="admin@example.org")
    failed = db.session.scalars(select(Notification).order_by(Notification.id)).first()
    failed.state, failed.attempts, failed.last_error = "failed", 3, "550 5.1.1 No such user"
    db.session.commit()
    auth.login("sec@example.org")
    page = client.get("/notifications/outbox").get_data(as_text=True)
    assert "No SMTP server is configured" in page
    assert "550 5.1.1 No such user" in page and "kenya@example.org" in page
    only_failed = client.get("/notifications/outbox?state=failed").get_data(as_text=True)
    assert only_failed.count("kenya@example.org") == 1 and "sec@example.org" not in only_failed
    assert client.get("/notifications/outbox?state=nonsense").status_code == 200
    one = client.get(f"/notifications/outbox/{failed.id}").get_data(as_text=True)
    assert "Send again" in one and "The fund received your concept note" in one
    response = auth.post(f"/notifications/outbox/{failed.id}/retry",
                         token_from=f"/notifications/outbox/{failed.id}")
    assert response.status_code == 302
    db.session.expire_all()
    assert (failed.state, failed.attempts) == ("queued", 0)
    again = auth.post(f"/notifications/outbox/{failed.id}/retry",
                      token_from=f"/notifications/outbox/{failed.id}", follow_redirects=True)
    assert "Only a message that failed can be sent again" in again.get_data(as_text=True)
    assert client.get("/notifications/outbox/999999").status_code == 404


def test_the_secretariat_reads_the_messages_the_admin_their_delivery(client, auth, teams):
    note = returned(teams)
    factories.user("admin", email="admin@example.org")
    db.session.commit()
    message = db.session.scalars(select(Notification).where(
        Notification.event == "note_returned")).one()
    auth.login("sec@example.org")
    assert note.title in client.get("/notifications/outbox").get_data(as_text=True)
    assert "breakdown per PUNO" in client.get(
        f"/notifications/outbox/{message.id}").get_data(as_text=True)
    auth.logout()
    auth.login("admin@example.org")
    for path in ("/notifications/outbox", f"/notifications/outbox/{message.id}"):
        page = client.get(path).get_data(as_text=True)
        assert "kenya@example.org" in page and "A concept note returned with reasons" in page
        assert note.title not in page and "breakdown per PUNO" not in page
    auth.logout()
    auth.login("kenya@example.org")
    assert client.get("/notifications/outbox").status_code == 403


def test_unexpected_fields_on_the_choices_change_nothing_else(client, auth, teams):
    """The choices are checkboxes (any value is a tick), so the bad-input property has
    nothing to refuse there: what it could try is asserted here."""
    auth.login("kenya@example.org")
    ticked = {f"email_{e}": "y" for e, k in services.EVENTS.items() if not k.mandatory}
    for noise in ({"email_note_returned": ""}, {"email_reminder": "0", "is_admin": "1"},
                  {"user_id": str(teams["sec"].id), "email_note_expired": "off"},
                  {"email_unknown_event": "y"}):
        response = auth.post("/notifications/preferences", {**ticked, **noise},
                             token_from="/notifications/preferences")
        assert response.status_code == 302, noise
    refused = auth.post("/notifications/preferences", {**ticked, "email_reminder": "\x00"},
                        token_from="/notifications/preferences")
    assert refused.status_code == 400                     # a NUL is refused, with a sentence
    assert "NUL" in refused.get_data(as_text=True) or "null" in refused.get_data(as_text=True)
    assert db.session.scalar(select(NotificationPreference.user_id).limit(1)) is None
    assert all(services.preferences(teams["KEN"]).values())
    assert all(services.preferences(teams["sec"]).values())
