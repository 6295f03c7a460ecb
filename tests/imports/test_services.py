"""The bulk handover's services on their own: streaming, memory, the pending upload's token."""

from __future__ import annotations

import io
import tracemalloc
from datetime import date

import pytest
from werkzeug.datastructures import FileStorage

from portal.imports import services
from tests.imports.test_readers import GeneratedCsv

TODAY = date(2026, 11, 23)
GENERATED_COLUMNS = {
    "debtor_name": "debtor_name",
    "invoice_number": "invoice_number",
    "issue_date": "issue_date",
    "due_date": "due_date",
    "amount": "amount",
    "currency": "currency",
}


def generated_upload(world, rows: int) -> services.PendingUpload:
    """A CSV of `rows` invoices, each for a different debtor, kept as a pending upload."""
    upload = FileStorage(GeneratedCsv(rows=rows), filename="big.csv")
    pending = services.receive(upload, world.business_admin, "KES")
    return services.with_mapping(pending, GENERATED_COLUMNS, "DMY")


@pytest.mark.slow
def test_preview_memory_stays_flat_on_100000_rows(app, world):
    services.preview(generated_upload(world, 10), TODAY)  # warm up: Babel data, regexes
    pending = generated_upload(world, 100_000)
    tracemalloc.start()
    try:
        result = services.preview(pending, TODAY)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        services.discard(pending)

    assert (result.case_count, result.invoice_count, result.problem_count) == (100_000, 100_000, 0)
    assert len(result.cases) == services.PREVIEW_CASES
    assert result.totals["KES"] > 0
    assert peak < 8 * 1024 * 1024


def test_upload_is_stored_under_a_random_key_not_its_name(app, world):
    content = (
        b"debtor_name,invoice_number,issue_date,due_date,amount\nAma,1,2026-01-01,2026-02-01,5\n"
    )
    upload = FileStorage(io.BytesIO(content), filename="../../etc/passwd.csv")

    pending = services.receive(upload, world.business_admin, "KES")

    assert "passwd" not in pending.key and len(pending.key) == 32
    assert pending.filename == "passwd.csv"
    services.discard(pending)


def test_token_only_opens_for_its_user_in_its_business(app, world):
    content = (
        b"debtor_name,invoice_number,issue_date,due_date,amount\nAma,1,2026-01-01,2026-02-01,5\n"
    )
    pending = services.receive(
        FileStorage(io.BytesIO(content), filename="a.csv"), world.business_admin, "KES"
    )
    token = services.pending_token(pending)

    assert services.pending_from_token(token, world.business_admin) == pending
    assert services.pending_from_token(token, world.business_member) is None
    assert services.pending_from_token(token, world.other_business_admin) is None
    assert services.pending_from_token(token + "x", world.business_admin) is None
    services.discard(pending)
