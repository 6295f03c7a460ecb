"""Helpers for the bulk handover tests: upload a file through the page, follow the steps."""

from __future__ import annotations

import io
import re
from html import unescape
from pathlib import Path

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Case

DATA = Path(__file__).parent / "data"
QBO = "quickbooks-online-ar-aging-detail.csv"
QBD = "quickbooks-desktop-open-invoices.csv"
XERO = "xero-aged-receivables-detail.csv"
PLAIN = "plain-placement.csv"
PLAIN_COLUMNS = {
    "account_number": "account_number",
    "debtor_name": "debtor_name",
    "debtor_kind": "debtor_type",
    "contact_person": "contact_person",
    "email": "email",
    "phone": "phone",
    "address": "address",
    "city": "city",
    "country": "country",
    "invoice_number": "invoice_number",
    "issue_date": "issue_date",
    "due_date": "due_date",
    "amount": "amount",
    "paid": "paid",
    "currency": "currency",
    "notes": "notes",
}


def sample(name: str) -> bytes:
    return (DATA / name).read_bytes()


def upload(client, content: bytes | None, filename: str = "accounts.csv", **fields):
    """POST the upload form; `content=None` sends no file at all."""
    data = {"currency": "KES", **fields}
    if content is not None:
        data["file"] = (io.BytesIO(content), filename)
    response = client.post("/imports/", data=data, content_type="multipart/form-data")
    # The test client spools a body over 500 KB to a temporary file it never closes.
    response.request.environ["wsgi.input"].close()
    return response


def step_after_upload(client, content: bytes, filename: str = "accounts.csv", **fields) -> str:
    """Upload and return the address of the next step (columns or preview)."""
    response = upload(client, content, filename, **fields)
    assert response.status_code == 302, page_text(response)
    return response.headers["Location"]


def token_of(location: str) -> str:
    return re.search(r"/imports/([^/]+)/(?:columns|preview)", location).group(1)


def map_columns(client, location: str, columns: dict[str, str], **fields):
    """POST the mapping step for the upload at `location` (a columns address)."""
    token = token_of(location)
    data = dict.fromkeys(_all_fields(), "") | columns | {"date_order": "DMY", **fields}
    return client.post(f"/imports/{token}/columns", data=data)


def guessed_columns(response) -> dict[str, str]:
    """The columns the mapping step pre-selected (our guess from the file's headers)."""
    html = response.get_data(as_text=True)
    found = {}
    for name, options in re.findall(r'<select[^>]*name="(\w+)"[^>]*>(.*?)</select>', html, re.S):
        chosen = re.search(r'<option selected value="([^"]*)"', options)
        if chosen and chosen.group(1) and name != "date_order":
            found[name] = unescape(chosen.group(1))
    return found


def _all_fields():
    from portal.imports.readers import MAPPABLE_FIELDS

    return MAPPABLE_FIELDS


def preview_of(client, content: bytes, filename: str = "accounts.csv", **fields):
    """Upload a recognised file (or one whose columns are guessed) and open its preview."""
    location = step_after_upload(client, content, filename, **fields)
    if "/columns" in location:
        response = map_columns(client, location, guessed_columns(client.get(location)))
        assert response.status_code == 302, page_text(response)
        location = response.headers["Location"]
    return token_of(location), client.get(location)


def confirm(client, token: str):
    return client.post(f"/imports/{token}/confirm")


def case_count() -> int:
    return db.session.scalar(select(func.count(Case.id)))


def cases_by_debtor() -> dict[str, Case]:
    db.session.expire_all()
    return {case.debtor.name: case for case in db.session.scalars(select(Case))}


def page_text(response) -> str:
    """The page as plain text with collapsed spaces (for asserting what a person reads)."""
    html = response.get_data(as_text=True)
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()


def error_beside(response, field_id: str) -> str:
    """The error message shown beside a field (its `<id>-error` paragraph)."""
    html = response.get_data(as_text=True)
    found = re.search(rf'<p class="error" id="{field_id}-error">(.*?)</p>', html, flags=re.S)
    assert found, f"no error beside {field_id}"
    return unescape(found.group(1)).strip()
