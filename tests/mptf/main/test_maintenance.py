"""``mptf maintenance``: the daily run that expires notes past their pipeline validity and
purges stale rate-limit and sign-in throttle counts, run through the command line with the
clock moved by time-machine."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
import time_machine
from sqlalchemy import select

from mptf.api import ratelimit
from mptf.cli import main
from mptf.extensions import db
from mptf.models import ApiRateLimit, AuditEvent, ConceptNote, LoginThrottle
from mptf.models.base import utcnow
from tests import factories


@pytest.fixture
def kenya(seeded):
    team = factories.user("country_team", country="KEN", email="kenya@example.org")
    db.session.commit()
    return team


def _at_noon(day) -> datetime:
    return datetime.combine(day, time(12)).replace(tzinfo=None)


def _throttle(key: str, last_failure_at: datetime, locked_until: datetime | None = None):
    db.session.add(LoginThrottle(key=key, failures=5, last_failure_at=last_failure_at,
                                 locked_until=locked_until))


def test_maintenance_expires_due_notes_and_purges_stale_counts_once(runner, kenya, app):
    due = factories.note(kenya, "pipeline")
    later = factories.note(kenya, "pipeline")
    db.session.commit()
    run_on = _at_noon(due.expires_on)
    later.expires_on = due.expires_on + timedelta(days=1)  # still valid on the run's day
    ratelimit.hit("ip:192.0.2.1", 600, now=run_on - timedelta(hours=1))   # a window long ended
    ratelimit.hit("ip:192.0.2.2", 600, now=run_on)                         # the current one
    lock = timedelta(seconds=app.config["LOGIN_LOCK_SECONDS"])
    _throttle("lapsed@example.org|192.0.2.1", run_on - 2 * lock, run_on - lock)
    _throttle("old@example.org|192.0.2.1", run_on - 2 * lock)
    _throttle("locked@example.org|192.0.2.1", run_on, run_on + lock)
    _throttle("recent@example.org|192.0.2.1", run_on - lock / 2)
    db.session.commit()

    with time_machine.travel(run_on, tick=False):
        first = runner.invoke(main, ["maintenance"])
        second = runner.invoke(main, ["maintenance"])

    assert first.exit_code == 0, first.output
    assert f"1 note(s) expired: {due.reference}" in first.output
    assert "1 API rate-limit count(s) of ended windows purged." in first.output
    assert "2 sign-in throttle count(s) that no longer lock purged." in first.output
    db.session.expire_all()
    assert db.session.get(ConceptNote, due.id).status == "expired"
    assert db.session.get(ConceptNote, later.id).status == "pipeline"
    assert set(db.session.scalars(select(ApiRateLimit.key))) == {"ip:192.0.2.2"}
    assert set(db.session.scalars(select(LoginThrottle.key))) == {
        "locked@example.org|192.0.2.1", "recent@example.org|192.0.2.1"}
    event = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "note_expired", AuditEvent.entity_id == due.id)).one()
    assert event.actor_id is None  # the fund's own process, no account

    # Idempotent: the second run of the day finds nothing left to do.
    assert second.exit_code == 0, second.output
    assert second.output.splitlines() == [
        "0 note(s) expired.",
        "0 API rate-limit count(s) of ended windows purged.",
        "0 sign-in throttle count(s) that no longer lock purged."]


def test_maintenance_moves_with_the_clock(runner, kenya):
    """Run on the day before a note's expiry it leaves the note; the next day expires it."""
    note = factories.note(kenya, "pipeline")
    db.session.commit()
    with time_machine.travel(_at_noon(note.expires_on - timedelta(days=1)), tick=False):
        before = runner.invoke(main, ["maintenance"])
        assert utcnow().date() == note.expires_on - timedelta(days=1)
    assert before.exit_code == 0 and "0 note(s) expired." in before.output
    db.session.expire_all()
    assert db.session.get(ConceptNote, note.id).status == "pipeline"
    with time_machine.travel(_at_noon(note.expires_on), tick=False):
        on_the_day = runner.invoke(main, ["maintenance"])
    assert on_the_day.exit_code == 0
    assert f"1 note(s) expired: {note.reference}" in on_the_day.output


def test_maintenance_without_the_schema_refuses_with_a_sentence(empty_app):
    result = empty_app.test_cli_runner().invoke(main, ["maintenance"])
    assert result.exit_code == 2
    assert "The database refused the maintenance run" in result.output
    assert "'mptf db upgrade'" in result.output
    assert "Traceback" not in result.output
