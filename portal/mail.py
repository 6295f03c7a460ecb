"""The outbox sender: delivers unsent mail in batches, by SMTP or (in development) to the log.

`send_batch()` claims the next unsent rows (FOR UPDATE SKIP LOCKED on PostgreSQL, so two senders
never take the same row; a plain read on SQLite), tries each once and records the outcome. A
failure adds an attempt and keeps the error; the row is tried again by a later run until it
reaches MAIL_MAX_ATTEMPTS. Without MAIL_SERVER the mail is written to the log and marked sent.
The caller commits after each batch (`flask notices send-mail`).
"""

import logging
import smtplib
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any, Protocol

from sqlalchemy import select

from portal.extensions import db
from portal.models import OutboxMail

log = logging.getLogger(__name__)

SMTP_TIMEOUT_SECONDS = 30


@dataclass
class Batch:
    """What one batch did; `last_id` is None when nothing was left to send."""

    last_id: int | None = None
    sent: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    gave_up: list[int] = field(default_factory=list)


class Connection(Protocol):
    def send(self, message: EmailMessage) -> None: ...

    def close(self) -> None: ...


def send_batch(
    config: Mapping[str, Any], clock: Callable[[], datetime], after_id: int = 0
) -> Batch:
    """Claim the next unsent rows after `after_id` and try to deliver each of them once."""
    max_attempts = config["MAIL_MAX_ATTEMPTS"]
    rows = _claim(after_id, config["MAIL_BATCH_SIZE"], max_attempts)
    batch = Batch(last_id=rows[-1].id if rows else None)
    if not rows:
        return batch
    try:
        connection = connect(config)
    except OSError as error:  # smtplib.SMTPException is an OSError
        for row in rows:
            _failed(row, error, max_attempts, batch)
        db.session.flush()
        return batch
    try:
        for row in rows:
            _deliver(row, connection, config, clock, batch)
    finally:
        connection.close()
    db.session.flush()
    return batch


def _claim(after_id: int, size: int, max_attempts: int) -> list[OutboxMail]:
    stmt = (
        select(OutboxMail)
        .where(
            OutboxMail.sent_at.is_(None),
            OutboxMail.attempts < max_attempts,
            OutboxMail.id > after_id,
        )
        .order_by(OutboxMail.id)
        .limit(size)
    )
    if db.session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    return list(db.session.scalars(stmt))


def _deliver(
    row: OutboxMail,
    connection: Connection,
    config: Mapping[str, Any],
    clock: Callable[[], datetime],
    batch: Batch,
) -> None:
    now = clock()
    try:
        connection.send(message(row, config["MAIL_FROM"], now))
    except (OSError, ValueError) as error:
        _failed(row, error, config["MAIL_MAX_ATTEMPTS"], batch)
    else:
        row.attempts += 1
        row.sent_at = now
        row.last_error = None
        batch.sent.append(row.id)


def _failed(row: OutboxMail, error: Exception, max_attempts: int, batch: Batch) -> None:
    row.attempts += 1
    row.last_error = f"{type(error).__name__}: {error}"[:2000]
    batch.failed.append(row.id)
    if row.attempts >= max_attempts:
        batch.gave_up.append(row.id)
        log.warning(
            "Mail %s to %s given up after %s attempts", row.id, row.to_address, row.attempts
        )
    else:
        log.info("Mail %s not sent (attempt %s): %s", row.id, row.attempts, row.last_error)


def message(row: OutboxMail, sender: str, now: datetime) -> EmailMessage:
    """The outbox row as a plain-text e-mail."""
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = row.to_address
    mail["Subject"] = row.subject
    mail["Date"] = format_datetime(now)
    mail["Message-ID"] = make_msgid(f"outbox-{row.id}", domain=_domain(sender))
    mail.set_content(row.body)
    return mail


def _domain(address: str) -> str:
    domain = address.rpartition("@")[2].strip(" >")
    return domain or "localhost"


def connect(config: Mapping[str, Any]) -> Connection:
    """SMTP when MAIL_SERVER is set; otherwise the log."""
    if not config.get("MAIL_SERVER"):
        return LogConnection()
    return SmtpConnection(config)


class LogConnection:
    """Development: the whole message goes to the log, and counts as sent."""

    def send(self, message: EmailMessage) -> None:
        log.info(
            "Mail (MAIL_SERVER is unset: logged, not sent)\nFrom: %s\nTo: %s\nSubject: %s\n\n%s",
            message["From"],
            message["To"],
            message["Subject"],
            message.get_content(),
        )

    def close(self) -> None:
        pass


class SmtpConnection:
    """One SMTP session for a batch: STARTTLS and login when configured."""

    def __init__(self, config: Mapping[str, Any]):
        self.smtp = smtplib.SMTP(
            config["MAIL_SERVER"], config["MAIL_PORT"], timeout=SMTP_TIMEOUT_SECONDS
        )
        try:
            if config.get("MAIL_USE_TLS"):
                self.smtp.starttls(context=ssl.create_default_context())
            if config.get("MAIL_USERNAME"):
                self.smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
        except OSError:
            self.close()
            raise

    def send(self, message: EmailMessage) -> None:
        self.smtp.send_message(message)

    def close(self) -> None:
        try:
            self.smtp.quit()
        except OSError:
            self.smtp.close()
