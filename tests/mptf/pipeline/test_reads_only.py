"""Views never write on GET: the pipeline listing shows a note past its validity without
expiring it (``mptf maintenance`` does, daily), and the configuration page is saved only by
its POST, through the configuration service."""

from __future__ import annotations

import contextlib
import re
from datetime import datetime, time

import time_machine
from sqlalchemy import event

from mptf.extensions import db
from mptf.models import AuditEvent, ConceptNote
from tests import factories

WRITES = re.compile(r"^\s*(INSERT|UPDATE|DELETE|MERGE)\b|\bFOR\s+(UPDATE|SHARE)\b",
                    re.IGNORECASE)


@contextlib.contextmanager
def writes_of(app):
    """The statements ``app``'s requests send that write or lock rows."""
    seen: list[str] = []

    def watch(conn, cursor, statement, parameters, context, executemany):
        if WRITES.search(statement):
            seen.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", watch)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", watch)


def test_the_listing_writes_nothing_even_with_a_note_past_its_validity(
        served_app, client, auth, kenya, secretariat):
    note = factories.note(kenya, "pipeline")
    db.session.commit()
    with time_machine.travel(datetime.combine(note.expires_on, time(12)), tick=False):
        assert auth.login("sec@example.org").status_code == 302
        with writes_of(served_app) as writes:
            for path in ("/pipeline/", "/pipeline/?status=pipeline", f"/pipeline/{note.id}",
                         "/pipeline/config", "/pipeline/export.csv"):
                assert client.get(path).status_code == 200, path
    assert writes == []
    db.session.expire_all()
    assert db.session.get(ConceptNote, note.id).status == "pipeline"


def test_the_configuration_is_saved_by_its_post_with_its_audit_event(auth, secretariat):
    auth.login("sec@example.org")
    response = auth.post("/pipeline/config", {
        "budget_floor": "500,000.00", "budget_ceiling": "2,500,000.00",
        "max_duration_months": "30", "min_punos": "2", "pipeline_validity_months": "18"},
        token_from="/pipeline/config")
    assert response.status_code == 302
    from mptf.pipeline.configuration import current_settings

    db.session.expire_all()
    saved = current_settings()
    assert (saved.budget_floor_cents, saved.budget_ceiling_cents, saved.max_duration_months,
            saved.min_punos, saved.pipeline_validity_months) == (
        50_000_000, 250_000_000, 30, 2, 18)
    change = db.session.scalars(db.select(AuditEvent).where(
        AuditEvent.action == "fund_config_changed")).one()
    assert change.actor_id == secretariat.id
    assert change.before["pipeline_validity_months"] == 24
    assert change.after["pipeline_validity_months"] == 18
