"""An issued decision tells the chair, the secretariat and the fund office, and each country
team of its own notes only, with the link to its letter; no score is told."""

from __future__ import annotations

from sqlalchemy import select

from mptf.allocation import decisions
from mptf.extensions import db
from mptf.models import Notification
from mptf.notifications.delivery import deliver
from tests import factories
from tests.mptf.reports.conftest import (  # noqa: F401
    chair,
    cycle,
    draft,
    meeting,
    scored,
    the_chair,
)


def test_an_issued_decision_tells_each_of_its_own(mail_app, draft, teams, pipeline_notes,  # noqa: F811
                                                  smtp_server):
    office = factories.user("fund_office", email="office@example.org")
    db.session.commit()
    issued = decisions.issue(the_chair(), draft)
    db.session.commit()
    messages = list(db.session.scalars(select(Notification).where(
        Notification.event == "decision_issued").order_by(Notification.id)))
    overall = [m for m in messages if m.email in ("chair@example.org", "sec@example.org",
                                                  office.email)]
    assert len(overall) == 3
    assert overall[0].subject == f"Decision {issued.reference} issued: Cycle 2026-1"
    assert "3 notes funded, USD 3,210,000.00 allocated" in overall[0].body_text
    kenya = [m for m in messages if m.email == "kenya@example.org"]
    bangladesh = [m for m in messages if m.email == "bangladesh@example.org"]
    assert len(kenya) == 4 and len(bangladesh) == 4
    first = next(m for m in kenya if pipeline_notes[0].reference in m.subject)
    assert first.subject == f"Decision {issued.reference} on {pipeline_notes[0].reference}: funded"
    assert "USD 1,070,000.00" in first.body_text
    assert first.link == (f"https://mptf.example.org/reports/decisions/{issued.id}/letters/"
                          f"{pipeline_notes[0].id}.pdf")
    limited = next(m for m in kenya if pipeline_notes[2].reference in m.subject)
    assert "country limit reached" in limited.subject
    for message in kenya:                     # Kenya's notes only, and no score
        assert not any(n.reference in message.body_text for n in pipeline_notes[4:])
        assert "score" not in message.body_text.lower()
    deliver()
    assert len(smtp_server.recorder.to("kenya@example.org")) >= 4
