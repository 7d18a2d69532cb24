"""``mptf mail worker`` as it runs in production: a process of its own, delivering as messages
arrive, stopped by SIGTERM after the message it is sending."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import select

from mptf.extensions import db
from mptf.models import Notification
from mptf.notifications.services import notify
from tests import factories
from tests.conftest import on_postgres

pytestmark = pytest.mark.skipif(on_postgres(), reason="the worker process reaches the test's "
                                "SQLite file through MPTF_DATABASE_URL; PostgreSQL's test "
                                "schemas are set per connection")


def wait_for(condition, seconds: float = 30.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_the_worker_delivers_as_messages_arrive_and_stops_on_sigterm(app, seeded,
                                                                     smtp_server, tmp_path):
    people = [factories.user("secretariat", email=f"s{i}@example.org") for i in range(3)]
    note = factories.note(factories.user("country_team", country="KEN"), "draft")
    db.session.commit()
    environment = {**os.environ, "MPTF_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
                   "MPTF_SECRET_KEY": "test-secret-key", "MPTF_SMTP_URL": smtp_server.url,
                   "MPTF_MAIL_FROM": "mptf@fund.example", "PYTHONWARNINGS": "ignore"}
    worker = subprocess.Popen(
        [sys.executable, "-c", "from mptf.cli import main; main()", "mail", "worker",
         "--interval", "1"], env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, cwd=tmp_path)
    try:
        for i, person in enumerate(people):
            notify([person], "note_to_screen", f"arrival:{i}", endpoint="pipeline.show",
                   values={"note_id": note.id}, note=note, resubmitted=False)
            db.session.commit()
            assert wait_for(lambda n=i: len(smtp_server.received) == n + 1), \
                worker.stderr.read() if worker.poll() is not None else "no delivery"
        worker.send_signal(signal.SIGTERM)
        out, err = worker.communicate(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.communicate()
    assert worker.returncode == 0, err
    assert "Stopped." in out
    assert [r.recipients for r in smtp_server.received] == [[p.email] for p in people]
    db.session.expire_all()
    assert {m.state for m in db.session.scalars(select(Notification))} == {"sent"}


def test_the_worker_refuses_to_start_without_a_server(app, runner):
    from mptf.notifications.cli import cli as mail

    app.config["MAIL_SMTP_URL"] = ""
    result = runner.invoke(mail, ["worker"])
    assert result.exit_code == 2
    assert "No SMTP server is configured: set MPTF_SMTP_URL" in result.output
