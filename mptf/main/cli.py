"""``mptf maintenance``: the daily run of what no page view writes (see
``mptf.main.maintenance``). Run it from a systemd timer or cron once a day (README)."""

from __future__ import annotations

from datetime import timedelta

import click
from flask.cli import with_appcontext
from sqlalchemy.exc import OperationalError, ProgrammingError

from mptf.refusals import refusals_exit_2
from mptf.services.errors import ServiceError


@click.command("maintenance")
@with_appcontext
@refusals_exit_2
def maintenance_command() -> None:
    """Expire notes past their pipeline validity and purge stale rate-limit and sign-in
    throttle counts (daily; idempotent)."""
    from mptf.api import ratelimit
    from mptf.extensions import db
    from mptf.main.maintenance import run_maintenance
    from mptf.models.base import utcnow
    from mptf.services.unit_of_work import commit

    now = utcnow()
    window = timedelta(seconds=max(1, ratelimit.setting("API_RATE_WINDOW")))
    try:
        report = run_maintenance(now)
        report.rate_limit_rows = ratelimit.purge(before=now - window)
        commit("Someone changed a note while the maintenance ran; nothing was changed. Run "
               "'mptf maintenance' again.")
    except (OperationalError, ProgrammingError) as exc:
        db.session.rollback()
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        raise ServiceError(f"The database refused the maintenance run ({reason}); nothing was "
                           "changed. Check that it is reachable and up to date ('mptf db "
                           "upgrade'), then run 'mptf maintenance' again.") from exc
    for line in report.lines():
        click.echo(line)
