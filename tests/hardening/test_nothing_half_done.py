"""Nothing half-done: an error in the middle of a request leaves no partial rows, no stray file.

Each test lets a real request run until a service function called midway raises (injected with
monkeypatch), after earlier rows were flushed or files stored. The person gets the 500 page;
afterwards the database holds none of the request's rows and the document storage none of the
files it stored (`portal.documents.services.discard_after_failed_request`). Where the person
can retry, the retry works.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import (
    Case,
    CaseStatus,
    CorrespondenceEntry,
    Debtor,
    Document,
    Event,
    Recovery,
    Statement,
    StatementLine,
)
from tests.cases import helpers as case_helpers
from tests.documents.helpers import PDF, files_data, stored_files
from tests.imports.helpers import (
    PLAIN,
    PLAIN_COLUMNS,
    map_columns,
    sample,
    step_after_upload,
    token_of,
)
from tests.imports.helpers import confirm as confirm_import
from tests.ledger.helpers import accepted, payment_form
from tests.statements.helpers import placed_case, recovery


class Injected(RuntimeError):
    """The error injected midway."""


@pytest.fixture
def failing(app, monkeypatch):
    """`failing("module.function", after=n)`: that function works n times, then raises."""
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)

    def inject(target: str, after: int = 0):
        module_name, _, name = target.rpartition(".")
        module = __import__(module_name, fromlist=[name])
        real = getattr(module, name)
        calls = {"n": 0}

        def wrapper(*args, **kwargs):
            calls["n"] += 1
            if calls["n"] > after:
                raise Injected(target)
            return real(*args, **kwargs)

        monkeypatch.setattr(module, name, wrapper)
        return calls

    return inject


def _count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(model.id)))


def test_a_bulk_import_that_fails_midway_creates_no_case_and_can_be_retried(
    client, auth, world, failing, monkeypatch
):
    auth.login(world.business_admin)
    location = step_after_upload(client, sample(PLAIN))
    response = map_columns(client, location, PLAIN_COLUMNS)
    token = token_of(response.headers["Location"])
    debtors, events = _count(Debtor), _count(Event)
    monkeypatch.setattr("portal.imports.services.CASES_PER_BATCH", 1)
    calls = failing("portal.imports.services._write_drafts", after=1)
    response = confirm_import(client, token)
    assert response.status_code == 500
    assert calls["n"] == 2  # the first batch was written before the second failed
    assert _count(Case) == 0 and _count(Debtor) == debtors and _count(Event) == events
    monkeypatch.undo()
    response = confirm_import(client, token)
    assert response.status_code == 302
    assert _count(Case) > 1


def test_a_case_form_that_fails_midway_keeps_no_rows_and_no_files(client, auth, world, failing):
    auth.login(world.business_admin)
    before = stored_files()
    data = case_helpers.case_form(
        **{
            "documents-files": [
                case_helpers.upload(case_helpers.pdf(1), "one.pdf"),
                case_helpers.upload(case_helpers.pdf(2), "two.pdf"),
            ]
        }
    )
    calls = failing("portal.documents.services.attach", after=1)
    response = client.post("/cases/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 500
    assert calls["n"] == 2
    assert _count(Case) == 0 and _count(Document) == 0 and _count(CorrespondenceEntry) == 0
    assert stored_files() == before


def test_a_refused_case_form_keeps_its_staged_files_for_the_next_submit(client, auth, world):
    """The cleanup is for failed requests only: a form refused beside a field keeps its files."""
    auth.login(world.business_admin)
    before = stored_files()
    data = case_helpers.case_form(
        currency="XXX-not-a-currency",
        **{"documents-files": [case_helpers.upload(case_helpers.pdf(3), "kept.pdf")]},
    )
    response = client.post("/cases/new", data=data, content_type="multipart/form-data")
    assert response.status_code in (200, 422)
    assert "kept.pdf" in response.get_data(as_text=True)
    assert len(stored_files() - before) == 1


def test_a_document_upload_whose_second_file_fails_leaves_neither(client, auth, world, failing):
    from tests.documents.helpers import worked_case

    case = worked_case(world)
    auth.login(world.business_admin)
    before = stored_files()
    calls = failing("portal.documents.services.attach", after=1)
    response = client.post(
        f"/cases/{case.id}/documents",
        data=files_data((PDF + b"%1", "first.pdf"), (PDF + b"%2", "second.pdf")),
    )
    assert response.status_code == 500
    assert calls["n"] == 2
    assert _count(Document) == 0
    assert stored_files() == before


def test_a_document_upload_whose_commit_fails_leaves_no_file(
    client, auth, world, failing, monkeypatch
):
    from tests.documents.helpers import worked_case

    case = worked_case(world)
    auth.login(world.business_admin)
    before = stored_files()

    def commit_fails():
        raise Injected("commit")

    monkeypatch.setattr(db.session, "commit", commit_fails)
    response = client.post(f"/cases/{case.id}/documents", data=files_data((PDF, "a.pdf")))
    assert response.status_code == 500
    assert _count(Document) == 0
    assert stored_files() == before


def test_a_submission_that_fails_midway_leaves_the_draft_as_it_was(client, auth, world, failing):
    case = case_helpers.ready_draft(world)
    auth.login(world.business_admin)
    events = _count(Event)
    failing("portal.cases.services.notify")
    response = client.post(f"/cases/{case.id}/submit", data={"agreement_id": world.agreement.id})
    assert response.status_code == 500
    db.session.expire_all()
    case = db.session.get(Case, case.id)
    assert case.status == CaseStatus.DRAFT and case.reference is None and case.agency_id is None
    assert _count(Event) == events


def test_a_payment_that_fails_midway_records_nothing(client, auth, world, failing):
    case = accepted(world)
    auth.login(world.caseworker)
    events = _count(Event)
    failing("portal.ledger.services._after_money_moved")
    response = client.post(f"/cases/{case.id}/payments", data=payment_form(amount="500.00"))
    assert response.status_code == 500
    assert _count(Recovery) == 0 and _count(Event) == events
    db.session.expire_all()
    case = db.session.get(Case, case.id)
    assert case.status == CaseStatus.IN_COLLECTION


def test_a_statement_that_fails_midway_is_not_issued(client, auth, world, failing):
    case = placed_case(world.agreement)
    recovery(case, 5_000_00, date(2026, 10, 3))
    db.session.commit()
    auth.login(world.agency_admin)
    from portal.statements import services

    checked = services.preview(
        world.agreement, date(2026, 10, 1), date(2026, 10, 31), date(2026, 11, 20)
    ).fingerprint
    data = {
        "agreement_id": world.agreement.id,
        "period_start": "2026-10-01",
        "period_end": "2026-10-31",
        "checked": checked,
        "confirm": "y",
    }
    failing("portal.statements.services._announce")
    response = client.post("/statements/issue", data=data)
    assert response.status_code == 500
    assert _count(Statement) == 0
    assert _count(StatementLine) == 0


def test_a_savepoint_on_sqlite_does_not_commit_what_a_rollback_should_undo(app, world):
    """A `begin_nested()` after reads only must not commit on release (pysqlite's old habit)."""
    from portal.models import Organisation

    before = _count(Organisation)
    db.session.scalars(select(Case)).all()  # a read first: no transaction for pysqlite yet
    with db.session.begin_nested():
        db.session.add(
            Organisation(
                kind=world.business.kind,
                name="Ghost",
                country="KE",
                timezone="Africa/Nairobi",
                currency="KES",
                case_prefix="GHO",
            )
        )
    db.session.rollback()
    assert _count(Organisation) == before


def test_an_import_upload_that_fails_after_storing_its_file_removes_it(
    client, auth, world, failing
):
    from tests.imports.helpers import upload

    auth.login(world.business_admin)
    before = stored_files()
    failing("portal.imports.routes._next_step")
    response = upload(client, sample(PLAIN))
    assert response.status_code == 500
    assert stored_files() == before
