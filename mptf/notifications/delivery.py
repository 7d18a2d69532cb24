"""Delivering the outbox by SMTP (``mptf mail deliver`` and ``mptf mail worker``).

Each message is claimed in a transaction of its own: on PostgreSQL with ``SELECT … FOR
UPDATE SKIP LOCKED``, so that workers running at once each take other messages and none is
sent twice; the row stays locked while it is sent and is marked sent in the same
transaction. A message the server refuses for now (it is down, a 4xx reply) waits and is tried
again with a growing delay; one refused for good (a 5xx reply about it, or too many tries)
is marked failed with the server's reply, and the admin's outbox page shows it.

A worker that dies between the server's acceptance and its commit sends that message again
when it restarts: delivery is at least once, and exactly once whenever the commit follows.
"""

from __future__ import annotations

import contextlib
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from urllib.parse import parse_qs, unquote, urlsplit

from flask import current_app
from sqlalchemy import select

from mptf.extensions import db
from mptf.models import Notification
from mptf.models.base import utcnow

DEFAULT_MAIL_FROM = "mptf@localhost"
TIMEOUT_SECONDS = 30


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    ssl: bool = False

    def __repr__(self) -> str:  # never the password, in a log or a traceback
        return (f"SmtpSettings(host={self.host!r}, port={self.port}, "
                f"username={self.username!r}, starttls={self.starttls}, ssl={self.ssl})")


def parse_smtp_url(url: str) -> SmtpSettings:
    """``smtp://user:pass@host:587?starttls=1`` or ``smtps://host:465`` (user and password
    percent-encoded), as MPTF_SMTP_URL gives it."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ValueError("MPTF_SMTP_URL is not an address such as "
                         "smtp://user:password@mail.example.org:587?starttls=1 "
                         "(smtp or smtps, a host).")
    try:
        port = parts.port
    except ValueError as exc:
        raise ValueError("MPTF_SMTP_URL has a port that is not a number from 1 to 65535.") \
            from exc
    query = parse_qs(parts.query)
    unknown = set(query) - {"starttls"}
    if unknown:
        raise ValueError("MPTF_SMTP_URL has an option mptf does not know: "
                         + ", ".join(sorted(unknown)) + " (only starttls=1 is).")
    starttls = query.get("starttls", ["0"])[-1] in ("1", "true", "yes")
    secure = parts.scheme == "smtps"
    return SmtpSettings(
        host=parts.hostname, port=port or (465 if secure else 25),
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        starttls=starttls and not secure, ssl=secure)


def smtp_settings() -> SmtpSettings | None:
    """The configured server (``MAIL_SMTP_URL``, from MPTF_SMTP_URL), or None: messages
    then stay in the outbox."""
    url = current_app.config.get("MAIL_SMTP_URL")
    if url is None:
        import os

        url = os.environ.get("MPTF_SMTP_URL", "")
    return parse_smtp_url(url) if url.strip() else None


def mail_from() -> str:
    import os

    return (current_app.config.get("MAIL_FROM") or os.environ.get("MPTF_MAIL_FROM")
            or DEFAULT_MAIL_FROM)


def retry_delay(attempts: int) -> timedelta:
    """After the n-th failed try: 1, 2, 4, … minutes, at most 6 hours."""
    base = current_app.config.get("MAIL_RETRY_SECONDS", 60)
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), 6 * 3600))


def max_attempts() -> int:
    return current_app.config.get("MAIL_MAX_ATTEMPTS", 10)


def build_message(message: Notification, sender: str) -> EmailMessage:
    """The stdlib's MIME: a plain-text part and an HTML alternative."""
    email = EmailMessage()
    email["From"] = sender
    email["To"] = Address(addr_spec=message.email)
    email["Subject"] = message.subject
    email["Date"] = format_datetime(message.created_at.replace(tzinfo=UTC), usegmt=True)
    domain = sender.rpartition("@")[2].strip("> ") or "localhost"
    email["Message-ID"] = make_msgid(idstring=f"mptf.{message.id}", domain=domain)
    email["Auto-Submitted"] = "auto-generated"
    email.set_content(message.body_text)
    email.add_alternative(message.body_html, subtype="html")
    return email


class Connection:
    """One SMTP session, opened on first use and kept for the pass."""

    def __init__(self, settings: SmtpSettings):
        self.settings = settings
        self.smtp: smtplib.SMTP | None = None

    def open(self) -> smtplib.SMTP:
        if self.smtp is None:
            s = self.settings
            if s.ssl:
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    s.host, s.port, timeout=TIMEOUT_SECONDS,
                    context=ssl.create_default_context())
            else:
                smtp = smtplib.SMTP(s.host, s.port, timeout=TIMEOUT_SECONDS)
                if s.starttls:
                    smtp.starttls(context=ssl.create_default_context())
            if s.username:
                smtp.login(s.username, s.password or "")
            self.smtp = smtp
        return self.smtp

    def send(self, email: EmailMessage) -> None:
        self.open().send_message(email)

    def drop(self) -> None:
        """Forget a session that failed (it may be half-closed)."""
        smtp, self.smtp = self.smtp, None
        if smtp is not None:
            with contextlib.suppress(OSError):
                smtp.close()

    def close(self) -> None:
        smtp, self.smtp = self.smtp, None
        if smtp is not None:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()


@dataclass
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)
    configured: bool = True

    def lines(self) -> list[str]:
        if not self.configured:
            return ["No SMTP server is configured (MPTF_SMTP_URL): messages stay in the "
                    "outbox; 'mptf mail show' lists them."]
        lines = [f"Sent {self.sent}, to try again later {self.retrying}, failed for good "
                 f"{self.failed}."]
        return lines + [f"  {e}" for e in self.errors]


def _reply(exc: Exception) -> tuple[bool, str]:
    """(for good?, what the server said) for a failed send."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, text = next(iter(exc.recipients.values()))
        return code >= 500, f"{code} {_text(text)}"
    if isinstance(exc, smtplib.SMTPSenderRefused | smtplib.SMTPDataError
                  | smtplib.SMTPResponseException):
        return exc.smtp_code >= 500, f"{exc.smtp_code} {_text(exc.smtp_error)}"
    return False, f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _claim(now: datetime, skip: set[int]) -> Notification | None:
    query = (select(Notification).where(Notification.state == "queued",
                                        Notification.next_attempt_at <= now)
             .order_by(Notification.next_attempt_at, Notification.id).limit(1)
             .with_for_update(skip_locked=True))
    if skip:
        query = query.where(Notification.id.not_in(skip))
    return db.session.scalar(query)


def deliver(limit: int | None = None, *, stop: Callable[[], bool] = lambda: False,
            settings: SmtpSettings | None = None) -> DeliveryReport:
    """One pass over the messages due: each claimed, sent and marked in a transaction of
    its own. Stops when none is due, after ``limit`` messages, when ``stop()`` says so
    (checked between messages), or when the server cannot be reached (the message waits)."""
    settings = settings or smtp_settings()
    report = DeliveryReport()
    if settings is None:
        report.configured = False
        return report
    sender = mail_from()
    connection = Connection(settings)
    tried: set[int] = set()
    try:
        while (limit is None or len(tried) < limit) and not stop():
            now = utcnow()
            message = _claim(now, tried)
            if message is None:
                db.session.rollback()
                break
            tried.add(message.id)
            message.attempts += 1
            try:
                connection.send(build_message(message, sender))
            except (smtplib.SMTPException, OSError) as exc:
                connection.drop()
                final, reply = _reply(exc)
                message.last_error = reply[:2000]
                if final or message.attempts >= max_attempts():
                    message.state = "failed"
                    report.failed += 1
                    report.errors.append(f"message {message.id} to {message.email}: failed "
                                         f"for good: {reply}")
                else:
                    message.next_attempt_at = now + retry_delay(message.attempts)
                    report.retrying += 1
                    report.errors.append(f"message {message.id} to {message.email}: will be "
                                         f"tried again: {reply}")
                db.session.commit()
                if not isinstance(exc, smtplib.SMTPResponseException | smtplib
                                  .SMTPRecipientsRefused):
                    break  # the server is unreachable: the others wait for the next pass
                continue
            message.state = "sent"
            message.sent_at = utcnow()
            message.last_error = ""
            db.session.commit()
            report.sent += 1
    finally:
        connection.close()
    return report
