"""``mptf mail``: deliver the outbox once or as a worker, and show what it holds."""

from __future__ import annotations

import signal
import time

import click
from flask.cli import with_appcontext

from mptf.models.base import MAX_ID
from mptf.refusals import refusals_exit_2


@click.group("mail")
def cli() -> None:
    """The outbox of notifications and its delivery by SMTP (MPTF_SMTP_URL)."""


@cli.command("deliver")
@click.option("--limit", type=click.IntRange(1, 1_000_000), default=None,
              help="send at most this many messages")
@with_appcontext
@refusals_exit_2
def deliver_command(limit: int | None) -> None:
    """One pass: send every message that is due, then stop."""
    from mptf.notifications.delivery import deliver

    for line in deliver(limit).lines():
        click.echo(line)


@cli.command("worker")
@click.option("--interval", type=click.IntRange(1, 3600), default=10, show_default=True,
              help="seconds between passes when nothing is due")
@with_appcontext
@refusals_exit_2
def worker_command(interval: int) -> None:
    """Deliver for ever; SIGTERM or SIGINT stops it after the message being sent."""
    from mptf.extensions import db
    from mptf.notifications.delivery import deliver, smtp_settings

    settings = smtp_settings()
    if settings is None:
        from mptf.services.errors import ServiceError

        raise ServiceError("No SMTP server is configured: set MPTF_SMTP_URL (e.g. "
                           "smtp://user:password@mail.example.org:587?starttls=1) and "
                           "MPTF_MAIL_FROM, then start the worker again.")
    stopping: list[int] = []

    def request_stop(signum, frame) -> None:
        stopping.append(signum)

    previous = {s: signal.signal(s, request_stop) for s in (signal.SIGTERM, signal.SIGINT)}
    click.echo(f"Delivering through {settings.host}:{settings.port}; SIGTERM stops.")
    try:
        while not stopping:
            report = deliver(stop=lambda: bool(stopping), settings=settings)
            if report.sent or report.retrying or report.failed:
                for line in report.lines():
                    click.echo(line)
            db.session.remove()
            waited = 0.0
            while not stopping and waited < interval:  # every due message was tried
                time.sleep(0.2)
                waited += 0.2
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    click.echo("Stopped.")


@cli.command("show")
@click.argument("message_id", required=False, type=click.IntRange(1, MAX_ID))
@click.option("--state", type=click.Choice(["queued", "sent", "failed", "site_only"]),
              default=None, help="only messages in this state")
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
@with_appcontext
@refusals_exit_2
def show_command(message_id: int | None, state: str | None, limit: int) -> None:
    """List the outbox, newest first, or print one message whole."""
    from mptf.extensions import db
    from mptf.models import Notification
    from mptf.notifications.services import outbox
    from mptf.services.errors import ServiceError

    if message_id is not None:
        message = db.session.get(Notification, message_id)
        if message is None:
            raise ServiceError(f"There is no message {message_id} in the outbox.")
        click.echo(f"To: {message.email}\nSubject: {message.subject}\n"
                   f"State: {message.state} (tries: {message.attempts})"
                   + (f"\nLast error: {message.last_error}" if message.last_error else "")
                   + f"\nWritten: {message.created_at:%Y-%m-%d %H:%M} UTC\n")
        click.echo(message.body_text)
        return
    messages = list(db.session.scalars(outbox(state).limit(limit)))
    if not messages:
        click.echo("The outbox is empty." if state is None else f"No message is {state}.")
        return
    for m in messages:
        click.echo(f"{m.id:>6}  {m.state:<9}  {m.created_at:%Y-%m-%d %H:%M}  {m.email:<36}  "
                   f"{m.subject}" + (f"  [{m.last_error}]" if m.state == "failed" else ""))
