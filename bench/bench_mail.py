"""Delivering the outbox: 1,000 queued messages sent by one ``mptf mail deliver`` pass to a
local SMTP server (aiosmtpd on 127.0.0.1), on SQLite; each message is claimed, sent and
marked in a transaction of its own."""

from __future__ import annotations

import shutil
import socket
import statistics
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

from bench.common import Result, against

MESSAGES = 1_000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Sink:
    def __init__(self):
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        return "250 OK"


def benchmarks() -> list[Result]:
    from aiosmtpd.controller import Controller

    from mptf import create_app
    from mptf.auth.services import create_user
    from mptf.extensions import db
    from mptf.notifications.delivery import deliver
    from mptf.notifications.services import notify
    from mptf.reference.seed import seed_reference_data

    folder = Path(tempfile.mkdtemp(prefix="mptf-bench-mail-"))
    sink, port = _Sink(), _free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    times = []
    try:
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'bench.sqlite'}",
                          "SECRET_KEY": "bench", "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
                          "MAIL_SMTP_URL": f"smtp://127.0.0.1:{port}",
                          "BASE_URL": "https://mptf.example.org"})
        with app.app_context():
            db.create_all()
            seed_reference_data()
            people = [create_user(f"sec{i}@example.org", "a-long-password-1", "secretariat")
                      for i in range(MESSAGES)]
            db.session.commit()
            for run in range(3):
                notify(people, "reminder", f"bench:{run}", endpoint="notifications.index",
                       round=SimpleNamespace(name="Round 1", closes_on=None, id=1),
                       message="Please complete your reviews.", notes=[])
                db.session.commit()
                start = time.perf_counter()
                report = deliver()
                times.append(time.perf_counter() - start)
                assert report.sent == MESSAGES, report.lines()
            db.session.remove()
            db.engine.dispose()
    finally:
        controller.stop()
        shutil.rmtree(folder, ignore_errors=True)
    median = statistics.median(times)
    return [against("mail", f"mptf mail deliver, {MESSAGES:,} queued messages to a local "
                    "SMTP server", median, len(times), 60.0,
                    note=f"{MESSAGES / median:,.0f} messages a second; "
                         f"{sink.count:,} received in all")]
