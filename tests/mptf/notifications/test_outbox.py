"""The outbox: messages written in the caller's transaction, rendered from the templates,
each once per recipient and key; delivered to a real SMTP server, reliably."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from mptf.extensions import db
from mptf.models import Notification
from mptf.models.base import utcnow
from mptf.notifications.cli import cli as mail
from mptf.notifications.delivery import deliver, parse_smtp_url
from mptf.notifications.services import notify
from mptf.pipeline import services as pipeline
from tests import factories
from tests.conftest import run_at_once
from tests.mptf.notifications.conftest import SmtpServer, free_port

HOSTILE = '<script>alert("x")</script> & <b>bold</b>'


def outbox() -> list[Notification]:
    return list(db.session.scalars(select(Notification).order_by(Notification.id)))


def returned_note(teams, reasons: str = "The budget lacks a breakdown per PUNO."):
    """A Kenyan note returned by the secretariat, through the services, committed."""
    note = factories.note(teams["KEN"], "submitted")
    pipeline.screen(teams["sec"], note, {}, "returned", reasons)
    db.session.commit()
    return note


def one_each(teams) -> None:
    """One message to Kenya's team and one to the secretariat, committed."""
    note = factories.note(teams["KEN"], "draft")
    for user in (teams["KEN"], teams["sec"]):
        notify([user], "note_returned", "one", endpoint="pipeline.show",
               values={"note_id": note.id}, note=note, reasons="Incomplete.")
    db.session.commit()


def test_a_returned_note_tells_its_country_team_with_the_reasons_and_a_link(mail_app, teams):
    note = returned_note(teams, reasons=HOSTILE)
    [message] = [m for m in outbox() if m.event == "note_returned"]
    assert message.email == "kenya@example.org"
    assert message.state == "queued"
    assert message.subject == f"{note.reference} returned with reasons: {note.title}"
    link = f"https://mptf.example.org/pipeline/{note.id}"
    assert message.link == link
    # plain text carries the reasons as typed; the HTML part escapes them
    assert HOSTILE in message.body_text
    assert "<script>" not in message.body_html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" \
        in message.body_html
    assert f'href="{link}"' in message.body_html
    for part in (message.body_text, message.body_html):
        assert "Migration Multi-Partner Trust Fund" in part
        assert "https://mptf.example.org/notifications/preferences" in part


def test_only_the_notes_own_country_team_is_told(mail_app, teams):
    returned_note(teams)
    recipients = {m.email for m in outbox()}
    assert "bangladesh@example.org" not in recipients
    assert recipients == {"kenya@example.org", "sec@example.org"}  # + the new note to screen


def test_a_submission_tells_the_team_and_the_secretariat(mail_app, teams):
    note = factories.note(teams["KEN"], "submitted")
    db.session.commit()
    by_event = {m.event: m for m in outbox()}
    assert by_event["note_submitted"].email == "kenya@example.org"
    assert note.reference in by_event["note_submitted"].subject
    assert by_event["note_to_screen"].email == "sec@example.org"
    assert by_event["note_to_screen"].link == f"https://mptf.example.org/pipeline/{note.id}/screen"


def test_a_rolled_back_change_leaves_no_message(mail_app, teams):
    note = factories.note(teams["KEN"], "submitted")
    db.session.commit()
    before = len(outbox())
    pipeline.screen(teams["sec"], note, {}, "returned", "Incomplete.")
    assert len(outbox()) == before + 1          # written in the change's transaction
    db.session.rollback()                       # the change fails after it was written
    assert len(outbox()) == before
    assert db.session.get(type(note), note.id).status == "submitted"


def test_the_same_key_is_one_message_per_recipient(mail_app, teams):
    note = factories.note(teams["KEN"], "submitted")
    first = notify([teams["KEN"]], "note_submitted", "receipt:1", endpoint="pipeline.show",
                   values={"note_id": note.id}, note=note, resubmitted=False)
    db.session.commit()
    again = notify([teams["KEN"], teams["BGD"]], "note_submitted", "receipt:1",
                   endpoint="pipeline.show", values={"note_id": note.id}, note=note,
                   resubmitted=False)
    db.session.commit()
    assert len(first) == 1
    assert [m.email for m in again] == ["bangladesh@example.org"]


def test_a_deactivated_user_is_not_written_to(mail_app, teams):
    teams["KEN"].active = False
    db.session.commit()
    note = factories.note(teams["KEN"], "submitted")
    db.session.commit()
    assert "kenya@example.org" not in {m.email for m in outbox()}
    assert note.status == "submitted"


# --- delivery -------------------------------------------------------------------------------------

def test_delivery_sends_both_parts_to_the_recipient(mail_app, teams, smtp_server):
    note = returned_note(teams, reasons=HOSTILE)
    report = deliver()
    assert (report.sent, report.retrying, report.failed) == (3, 0, 0)   # with the receipt
    [received] = [r for r in smtp_server.recorder.to("kenya@example.org")
                  if "returned" in r.message["Subject"]]
    message = received.message
    assert received.sender == "mptf@fund.example"
    assert message["To"] == "kenya@example.org"
    assert message["From"] == "Migration MPTF <mptf@fund.example>"
    assert message["Subject"] == f"{note.reference} returned with reasons: {note.title}"
    assert message["Message-ID"].endswith("@fund.example>")
    assert HOSTILE in received.part("plain")
    assert "&lt;script&gt;" in received.part("html")
    assert f"https://mptf.example.org/pipeline/{note.id}" in received.part("html")
    assert all(m.state == "sent" and m.sent_at and m.attempts == 1 for m in outbox())
    assert deliver().sent == 0                   # nothing twice
    assert len(smtp_server.received) == 3


def test_without_smtp_the_messages_stay_in_the_outbox(app, teams, runner):
    app.config["MAIL_SMTP_URL"] = ""
    returned_note(teams)
    report = deliver()
    assert not report.configured
    assert {m.state for m in outbox()} == {"queued"}
    result = runner.invoke(mail, ["deliver"])
    assert result.exit_code == 0
    assert "No SMTP server is configured" in result.output
    listing = runner.invoke(mail, ["show"])
    assert "kenya@example.org" in listing.output and "queued" in listing.output
    one = runner.invoke(mail, ["show", str(outbox()[-1].id)])
    assert "The budget lacks a breakdown per PUNO." in one.output
    missing = runner.invoke(mail, ["show", "999999"])
    assert missing.exit_code == 2
    assert "There is no message 999999 in the outbox." in missing.output


def test_a_server_that_is_down_loses_nothing_and_each_goes_once_when_it_returns(
        mail_app, teams):
    server = SmtpServer(port=free_port())        # nothing listens there yet
    mail_app.config["MAIL_SMTP_URL"] = server.url
    one_each(teams)
    report = deliver()
    assert (report.sent, report.retrying) == (0, 1)
    assert "ConnectionRefusedError" in report.errors[0]
    messages = outbox()
    assert {m.state for m in messages} == {"queued"}
    tried = [m for m in messages if m.attempts]
    assert len(tried) == 1 and "ConnectionRefused" in tried[0].last_error
    assert tried[0].next_attempt_at > utcnow()
    server.start()
    try:
        first = deliver()                        # the one not tried yet goes at once
        assert first.sent == 1
        with time_machine.travel(utcnow() + timedelta(minutes=2), tick=False):
            second = deliver()                   # the other after its delay
        assert second.sent == 1
        assert deliver().sent == 0
        assert sorted(r.recipients[0] for r in server.received) == [
            "kenya@example.org", "sec@example.org"]
    finally:
        server.stop()
    db.session.expire_all()
    assert {m.state for m in outbox()} == {"sent"}


def test_a_rejected_recipient_fails_with_the_servers_reply_and_the_others_go(
        mail_app, teams, smtp_server):
    smtp_server.recorder.refuse["kenya@example.org"] = "550 5.1.1 No such mailbox here"
    one_each(teams)
    report = deliver()
    assert (report.sent, report.failed) == (1, 1)
    by_email = {m.email: m for m in outbox()}
    assert by_email["kenya@example.org"].state == "failed"
    assert by_email["kenya@example.org"].last_error == "550 5.1.1 No such mailbox here"
    assert by_email["sec@example.org"].state == "sent"
    assert [r.recipients for r in smtp_server.received] == [["sec@example.org"]]


def test_a_temporary_refusal_is_tried_again_then_given_up(mail_app, teams, smtp_server):
    mail_app.config["MAIL_MAX_ATTEMPTS"] = 3
    smtp_server.recorder.refuse["kenya@example.org"] = "451 4.3.0 Try again later"
    one_each(teams)
    deliver()
    kenya = next(m for m in outbox() if m.email == "kenya@example.org")
    assert (kenya.state, kenya.attempts) == ("queued", 1)
    assert kenya.last_error == "451 4.3.0 Try again later"
    delays = []
    for _ in range(2):
        db.session.expire_all()
        due = kenya.next_attempt_at
        delays.append(due - utcnow())
        with time_machine.travel(due + timedelta(seconds=1), tick=False):
            deliver()
    db.session.expire_all()
    assert (kenya.state, kenya.attempts) == ("failed", 3)
    assert delays[1] > delays[0]                  # the delay grows
    assert not smtp_server.recorder.to("kenya@example.org")


def test_the_smtp_address_is_read_with_its_options():
    settings = parse_smtp_url("smtp://fund%40example.org:p%3Ass@mail.example.org:587"
                              "?starttls=1")
    assert (settings.host, settings.port, settings.username, settings.password,
            settings.starttls) == ("mail.example.org", 587, "fund@example.org", "p:ss", True)
    assert "p:ss" not in repr(settings)
    assert parse_smtp_url("smtps://mail.example.org").port == 465
    for bad, says in [("http://mail.example.org", "smtp or smtps"),
                      ("smtp://mail.example.org:99999", "port"),
                      ("smtp://mail.example.org?tls=1", "tls")]:
        with pytest.raises(ValueError, match=says):
            parse_smtp_url(bad)


@pytest.mark.postgres
def test_two_workers_at_once_send_each_message_once(mail_app, seeded, smtp_server):
    people = [factories.user("secretariat", email=f"s{i}@example.org") for i in range(40)]
    db.session.commit()
    note = factories.note(factories.user("country_team", country="KEN"), "draft")
    notify(people, "note_to_screen", "many", endpoint="pipeline.show",
           values={"note_id": note.id}, note=note, resubmitted=False)
    db.session.commit()
    app = mail_app

    def worker():
        with app.app_context():
            try:
                return deliver().sent
            finally:
                db.session.remove()

    counts = run_at_once([worker, worker])
    assert sum(counts) == 40
    received = sorted(r.recipients[0] for r in smtp_server.received)
    assert received == sorted(p.email for p in people)
    assert db.session.scalar(select(func.count()).where(Notification.state == "sent")) == 40
