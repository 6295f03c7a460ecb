"""Logs never hold passwords, tokens, secrets or full document contents."""

import logging

import pytest

from portal.extensions import db
from portal.privacy.redact import MASK, mask
from tests import factories
from tests.documents.helpers import PDF, files_data, worked_case
from tests.imports.helpers import upload as import_upload

NEW_PASSWORD = "mango tree by the river 42"
WRONG_PASSWORD = "the wrong horse battery staple"
DOCUMENT_SECRET = "Confidential: account 0712 345 678 owes 45,000 shillings"
IMPORT_CONTENT = (
    "account_number,debtor_name,email,invoice_number,issue_date,due_date,amount\n"
    "ACC-77,Kioko Traders,pay@kioko.example,INV-9001,2026-01-02,2026-02-01,1200.00\n"
)


@pytest.fixture
def every_log(caplog):
    caplog.set_level(logging.DEBUG)
    for name in ("portal", "werkzeug", "flask", "flask_limiter", "sqlalchemy.engine"):
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


def _logged(caplog) -> str:
    records = "\n".join(r.getMessage() for r in caplog.records)
    return records + "\n" + caplog.text


def test_sign_in_password_change_upload_and_import_log_no_secret(client, auth, world, every_log):
    case = worked_case(world)
    auth.login(world.business_admin, WRONG_PASSWORD)
    auth.login(world.business_admin)
    client.post(
        "/account/password",
        data={
            "current_password": factories.PASSWORD,
            "new_password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
        },
    )
    document = PDF + f"% {DOCUMENT_SECRET}\n".encode()
    uploaded = client.post(
        f"/cases/{case.id}/documents",
        data=files_data((document, "statement.pdf")),
        content_type="multipart/form-data",
    )
    assert uploaded.status_code == 302
    import_upload(client, IMPORT_CONTENT.encode(), "accounts.csv")
    session_cookie = client.get_cookie("session")
    logged = _logged(every_log)
    assert every_log.records, "nothing was logged: the test would prove nothing"
    for secret in (factories.PASSWORD, WRONG_PASSWORD, NEW_PASSWORD, DOCUMENT_SECRET):
        assert secret not in logged
    assert IMPORT_CONTENT not in logged
    assert session_cookie is None or session_cookie.value not in logged


def test_a_password_or_token_written_to_a_log_is_masked(every_log):
    log = logging.getLogger("portal.anything")
    log.info("login attempt password=%s token: %s", "hunter2-secret", "tok-123456")
    log.warning("settings %s", {"api_key": "k-987", "SECRET_KEY": "abc"})
    log.info("GET /invitation/Zx8f9-secret-token HTTP/1.1")
    log.info("header Authorization: Bearer eyJhbGciOi.secret")
    logged = _logged(every_log)
    for secret in ("hunter2-secret", "tok-123456", "k-987", "abc'", "Zx8f9", "eyJhbGciOi"):
        assert secret not in logged
    assert MASK in logged


def test_a_link_token_in_the_development_mail_log_is_masked(app, every_log):
    from portal import mail
    from portal.models import OutboxMail, utcnow

    token = "kX9-very-secret-reset-token"
    db.session.add(
        OutboxMail(
            to_address="new@acacia.example",
            subject="Reset your password",
            body=f"Open https://portal.test/reset/{token} to choose a new password.",
        )
    )
    db.session.commit()
    mail.send_batch({**app.config, "MAIL_SERVER": None}, utcnow)
    logged = _logged(every_log)
    assert "Reset your password" in logged  # the mail was logged...
    assert token not in logged  # ...without its token


def test_a_very_long_message_is_cut():
    assert len(mask("x" * 100_000)) < 5_000


def test_ordinary_words_are_not_masked():
    text = "Case ACA-2026-00001 accepted; 3 documents; status=closed"
    assert mask(text) == text
