"""Who is told of what: a round opened (each reviewer, with the notes they score and never one
they are recused from), the secretariat's reminder (as typed, to that member's
representatives), a note withdrawn or expired; delivered to the SMTP server."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from mptf.extensions import db
from mptf.models import Assignment, Notification
from mptf.notifications.delivery import deliver
from mptf.pipeline import services as pipeline
from mptf.review import services as review
from tests import factories

OPENING = date(2026, 3, 1)


def messages(event: str) -> list[Notification]:
    return list(db.session.scalars(select(Notification).where(Notification.event == event)
                                   .order_by(Notification.id)))


def opened(committee, teams, pipeline_notes):
    round_ = review.create_round(teams["sec"], review.RoundInput(
        name="Round 1", opens_on=OPENING, closes_on=date(2026, 4, 1),
        note_ids=[n.id for n in pipeline_notes]))
    review.open_round(teams["sec"], round_, OPENING)
    db.session.commit()
    return round_


def test_each_reviewer_is_sent_the_round_with_only_the_notes_they_score(
        mail_app, committee, teams, pipeline_notes, smtp_server):
    round_ = opened(committee, teams, pipeline_notes)
    sent = {m.email: m for m in messages("round_opened")}
    assert set(sent) == {"iom@reviewers.example", "undp@reviewers.example",
                         "deu@reviewers.example", "ken@reviewers.example",
                         "cso@reviewers.example"}
    kenya = sent["ken@reviewers.example"]          # recused from Kenya's four notes
    assert kenya.subject == "Review round opened: Round 1, reviews due 2026-04-01"
    for note in pipeline_notes[:4]:
        assert f"/review/{round_.id}/notes/{note.id}" not in kenya.body_text + kenya.body_html
        assert note.reference not in kenya.body_text
    for note in pipeline_notes[4:]:
        link = f"https://mptf.example.org/review/{round_.id}/notes/{note.id}"
        assert link in kenya.body_text and f'href="{link}"' in kenya.body_html
    assert "recused from 4 other notes" in kenya.body_text
    iom = sent["iom@reviewers.example"]            # a PUNO of every note: scores none
    assert "You score 0 concept notes" in iom.body_text
    assert "/notes/" not in iom.body_text
    deliver()
    received = [r for r in smtp_server.received if "round opened" in r.message["Subject"]]
    assert sorted(r.recipients[0] for r in received) == sorted(sent)


def test_the_secretariats_reminder_reaches_the_members_representatives_as_typed(
        mail_app, committee, teams, pipeline_notes, smtp_server):
    round_ = opened(committee, teams, pipeline_notes)
    deu = committee["DEU"]
    alternate = factories.user("reviewer", email="deu.alternate@reviewers.example")
    from mptf.models import MembershipRepresentative

    db.session.add(MembershipRepresentative(membership=deu, user=alternate, is_alternate=True))
    review.save_review(deu.representatives[0].user, round_, pipeline_notes[0].id,
                       dict.fromkeys(review.round_rubric(round_).codes, 3), {}, "",
                       submit=True)
    db.session.commit()
    typed = "Dear colleagues, <please> finish by Friday & tell us of any conflict."
    review.send_reminder(teams["sec"], round_, deu.id, typed)
    db.session.commit()
    reminders = messages("reminder")
    assert sorted(m.email for m in reminders) == ["deu.alternate@reviewers.example",
                                                  "deu@reviewers.example"]
    message = reminders[0]
    assert typed in message.body_text
    assert "&lt;please&gt; finish by Friday &amp; tell us" in message.body_html
    # the reviews still missing: every assigned note but the one submitted
    assigned = set(db.session.scalars(select(Assignment.note_id).where(
        Assignment.round_id == round_.id, Assignment.membership_id == deu.id,
        Assignment.status == "assigned")))
    for note in pipeline_notes:
        link = f"/review/{round_.id}/notes/{note.id}"
        assert (link in message.body_text) == (note.id in assigned
                                               and note.id != pipeline_notes[0].id)
    deliver()
    received = [r for r in smtp_server.received if "Reminder" in r.message["Subject"]]
    assert sorted(r.recipients[0] for r in received) == ["deu.alternate@reviewers.example",
                                                         "deu@reviewers.example"]
    assert typed in received[0].part("plain")


def test_a_withdrawn_note_tells_its_team_and_the_secretariat(mail_app, teams):
    note = factories.note(teams["KEN"], "pipeline")
    pipeline.withdraw(teams["KEN"], note, "The government changed its priorities.")
    db.session.commit()
    [to_team, to_secretariat] = messages("note_withdrawn")
    assert (to_team.email, to_secretariat.email) == ("kenya@example.org", "sec@example.org")
    assert "The government changed its priorities." in to_team.body_text


def test_an_expired_note_tells_its_team_once(mail_app, teams):
    note = factories.note(teams["KEN"], "pipeline")
    db.session.commit()
    pipeline.expire_notes(note.expires_on)
    db.session.commit()
    pipeline.expire_notes(note.expires_on)
    db.session.commit()
    [message] = messages("note_expired")
    assert message.email == "kenya@example.org"
    assert f"until {note.expires_on.isoformat()}" in message.body_text
    assert message.link.startswith("https://mptf.example.org/pipeline/")


def test_a_note_screened_into_the_pipeline_says_until_when(mail_app, teams):
    note = factories.note(teams["KEN"], "pipeline")
    db.session.commit()
    [message] = messages("note_in_pipeline")
    assert message.subject == f"{note.reference} is in the fund's pipeline: {note.title}"
    assert f"until {note.expires_on.isoformat()}" in message.body_text
