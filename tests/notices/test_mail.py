"""The outbox sender: the log in development, SMTP otherwise, failures kept and retried."""

import logging
import smtplib
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal import mail
from portal.extensions import db
from portal.models import OutboxMail

NOW = datetime(2026, 9, 1, 8, 30, tzinfo=UTC)


def _clock() -> datetime:
    return NOW


def _queue(n: int) -> list[OutboxMail]:
    rows = [
        OutboxMail(
            to_address=f"person{i}@acacia.example",
            subject=f"ACA-2026-0000{i}: placement accepted",
            body=f"Hello,\n\nMail number {i}.\n",
            attempts=0,
        )
        for i in range(n)
    ]
    db.session.add_all(rows)
    db.session.commit()
    return rows


@pytest.fixture
def config(app):
    return {**app.config, "MAIL_SERVER": None, "MAIL_BATCH_SIZE": 10, "MAIL_MAX_ATTEMPTS": 3}


@pytest.fixture
def smtp_config(config):
    return {
        **config,
        "MAIL_SERVER": "smtp.portal.example",
        "MAIL_PORT": 2525,
        "MAIL_USE_TLS": True,
        "MAIL_USERNAME": "sender",
        "MAIL_PASSWORD": "secret",
        "MAIL_FROM": "portal@portal.example",
    }


class FakeSMTP:
    """Stands in for smtplib.SMTP; `refuse` makes every delivery fail."""

    instances: list["FakeSMTP"] = []
    refuse = False

    def __init__(self, host, port, timeout=None):
        self.host, self.port = host, port
        self.tls = False
        self.login_as = None
        self.delivered = []
        self.quit_called = False
        FakeSMTP.instances.append(self)

    def starttls(self, context=None):
        self.tls = True

    def login(self, user, password):
        self.login_as = (user, password)

    def send_message(self, message):
        if FakeSMTP.refuse:
            raise smtplib.SMTPRecipientsRefused({message["To"]: (550, b"No such mailbox")})
        self.delivered.append(message)

    def quit(self):
        self.quit_called = True

    def close(self):
        pass


@pytest.fixture
def fake_smtp(monkeypatch):
    FakeSMTP.instances = []
    FakeSMTP.refuse = False
    monkeypatch.setattr(smtplib, "SMTP", FakeSMTP)
    return FakeSMTP


def test_the_sender_in_log_mode_writes_the_mail_to_the_log_and_marks_it_sent(config, caplog):
    (row,) = _queue(1)
    with caplog.at_level(logging.INFO, logger="portal.mail"):
        batch = mail.send_batch(config, _clock)
    db.session.commit()
    assert batch.sent == [row.id]
    assert "Mail number 0." in caplog.text and "person0@acacia.example" in caplog.text
    db.session.refresh(row)
    assert row.sent_at == NOW and row.attempts == 1 and row.last_error is None


def test_a_sent_mail_is_not_sent_again(config):
    _queue(1)
    mail.send_batch(config, _clock)
    db.session.commit()
    assert mail.send_batch(config, _clock).last_id is None


def test_smtp_delivers_with_tls_and_login_from_the_environment(smtp_config, fake_smtp):
    row, _ = _queue(2)
    batch = mail.send_batch(smtp_config, _clock)
    db.session.commit()
    (conn,) = fake_smtp.instances  # one session for the batch
    assert (conn.host, conn.port, conn.tls, conn.login_as) == (
        "smtp.portal.example",
        2525,
        True,
        ("sender", "secret"),
    )
    assert len(batch.sent) == 2 and conn.quit_called
    message = conn.delivered[0]
    assert message["From"] == "portal@portal.example"
    assert message["To"] == row.to_address
    assert message["Subject"] == row.subject
    assert "Mail number 0." in message.get_content()


def test_an_smtp_failure_records_the_error_and_is_retried_up_to_the_limit(smtp_config, fake_smtp):
    (row,) = _queue(1)
    fake_smtp.refuse = True
    for attempt in (1, 2, 3):
        batch = mail.send_batch(smtp_config, _clock)
        db.session.commit()
        db.session.refresh(row)
        assert batch.failed == [row.id]
        assert row.attempts == attempt and row.sent_at is None
        assert "SMTPRecipientsRefused" in row.last_error and "No such mailbox" in row.last_error
    assert batch.gave_up == [row.id]
    # The limit (3) is reached: the row is no longer claimed.
    assert mail.send_batch(smtp_config, _clock).last_id is None


def test_a_retry_that_succeeds_clears_the_error(smtp_config, fake_smtp):
    (row,) = _queue(1)
    fake_smtp.refuse = True
    mail.send_batch(smtp_config, _clock)
    db.session.commit()
    fake_smtp.refuse = False
    mail.send_batch(smtp_config, _clock)
    db.session.commit()
    db.session.refresh(row)
    assert row.sent_at == NOW and row.attempts == 2 and row.last_error is None


def test_an_unreachable_server_fails_the_whole_batch_for_a_later_retry(smtp_config, monkeypatch):
    rows = _queue(2)

    def unreachable(*args, **kwargs):
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr(smtplib, "SMTP", unreachable)
    batch = mail.send_batch(smtp_config, _clock)
    db.session.commit()
    assert batch.failed == [r.id for r in rows]
    for row in rows:
        db.session.refresh(row)
        assert row.attempts == 1 and "Connection refused" in row.last_error


def test_the_sender_takes_the_outbox_in_batches(config):
    rows = _queue(5)
    config["MAIL_BATCH_SIZE"] = 2
    first = mail.send_batch(config, _clock)
    second = mail.send_batch(config, _clock, after_id=first.last_id)
    assert first.sent == [rows[0].id, rows[1].id]
    assert second.sent == [rows[2].id, rows[3].id]


def test_the_send_mail_command_delivers_every_unsent_mail(app, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_SERVER", None)
    monkeypatch.setitem(app.config, "MAIL_BATCH_SIZE", 2)
    _queue(5)
    result = app.test_cli_runner().invoke(args=["notices", "send-mail"])
    assert result.exit_code == 0, result.output
    assert "5 sent to the log; 0 failed." in result.output
    db.session.expire_all()
    assert all(r.sent_at is not None for r in db.session.scalars(select(OutboxMail)))


def test_the_send_mail_command_tries_a_failing_mail_once_per_run(app, monkeypatch, fake_smtp):
    for key, value in {
        "MAIL_SERVER": "smtp.portal.example",
        "MAIL_USERNAME": None,
        "MAIL_MAX_ATTEMPTS": 2,
    }.items():
        monkeypatch.setitem(app.config, key, value)
    fake_smtp.refuse = True
    (row,) = _queue(1)
    runner = app.test_cli_runner()
    first = runner.invoke(args=["notices", "send-mail"])
    assert "0 sent by SMTP via smtp.portal.example; 1 failed." in first.output
    second = runner.invoke(args=["notices", "send-mail"])
    assert "1 will not be tried again (after 2 attempts)." in second.output
    db.session.expire_all()
    assert db.session.get(OutboxMail, row.id).attempts == 2


def test_two_senders_never_claim_the_same_mail(config):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("row locks (FOR UPDATE SKIP LOCKED) need PostgreSQL; SQLite claims plainly")
    rows = _queue(4)
    config["MAIL_BATCH_SIZE"] = 2
    with Session(db.engine) as other_sender:
        held = other_sender.scalars(
            select(OutboxMail).order_by(OutboxMail.id).limit(2).with_for_update(skip_locked=True)
        ).all()
        assert [r.id for r in held] == [rows[0].id, rows[1].id]
        batch = mail.send_batch(config, _clock)
        db.session.commit()
        other_sender.rollback()
    assert batch.sent == [rows[2].id, rows[3].id]
