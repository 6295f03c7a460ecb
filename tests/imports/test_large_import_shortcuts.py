"""The shortcuts that keep a large import quick read and save exactly what the long way does."""

from __future__ import annotations

import io
from dataclasses import fields
from datetime import date

import pytest

from portal.imports import readers
from portal.imports.readers import InvoiceRow, RowProblem, parse
from tests.imports.helpers import cases_by_debtor, confirm, page_text
from tests.imports.helpers import preview_of as _preview_of

TODAY = date(2026, 11, 23)


@pytest.fixture
def signed_in(client, auth, world):
    auth.login(world.business_member)
    return world


def preview_of(client, lines: list[str]):
    content = "\n".join(["debtor_name,invoice_number,issue_date,due_date,amount,email", *lines])
    return _preview_of(client, (content + "\n").encode(), "accounts.csv")


# --- reading ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cell",
    ["1204500.00", "7", "0012.50", "1.000", "-5", "-0.00", "0", "12345678901234567890123456789.99"],
)
def test_a_plain_amount_reads_exactly_as_a_written_amount_is_read(cell):
    quick, written = readers._parse_amount(cell), readers._parse_written_amount(cell)

    assert quick == written
    assert [str(quick[0]), quick[0].as_tuple()] == [str(written[0]), written[0].as_tuple()]


def test_every_row_read_has_all_the_fields_of_an_invoice_row():
    content = (
        b"debtor_name,invoice_number,issue_date,due_date,amount,paid,currency,country\n"
        b"Ama Ltd,INV-1,2026-01-01,2026-02-01,100.50,,KES,KE\n"
    )

    (row,) = parse(io.BytesIO(content), "a.csv", today=TODAY)

    assert type(row) is InvoiceRow
    assert set(vars(row)) == {field.name for field in fields(InvoiceRow)}
    assert row == InvoiceRow(
        **{field.name: getattr(row, field.name) for field in fields(InvoiceRow)}
    )


def test_a_date_repeated_on_many_lines_is_read_or_refused_on_each():
    lines = [f"Ama,{n},2026-01-10,31/02/2026,10" for n in range(3)]
    lines += [f"Kofi,{n},2026-01-10,2026-02-28,10" for n in range(3)]
    content = "debtor_name,invoice_number,issue_date,due_date,amount\n" + "\n".join(lines) + "\n"

    items = list(parse(io.BytesIO(content.encode()), "a.csv", today=TODAY))

    assert [(item.row_number, item.message) for item in items[:3]] == [
        (row, 'Due date "31/02/2026" is not a date we can read (write it as 2026-08-20).')
        for row in (2, 3, 4)
    ]
    assert all(isinstance(item, RowProblem) for item in items[:3])
    assert [item.due_date for item in items[3:]] == [date(2026, 2, 28)] * 3


# --- previewing and confirming ---------------------------------------------------------------


def test_a_bad_email_is_a_problem_on_every_row_that_repeats_it(client, signed_in):
    _, response = preview_of(
        client,
        [
            "Ama,1,2026-01-01,2026-02-01,10,not-an-address",
            "Ama,2,2026-01-01,2026-02-01,10,not-an-address",
        ],
    )

    text = page_text(response)
    assert "2 email “not-an-address” is not an e-mail address." in text
    assert "3 email “not-an-address” is not an e-mail address." in text


def test_a_debtor_is_named_as_written_on_its_first_row(client, signed_in):
    token, response = preview_of(
        client,
        [
            "ama ltd,1,2026-01-01,2026-02-01,10,",
            "Ama Ltd,2,2026-01-01,2026-02-01,10,",
            "AMA LTD,3,2026-01-01,2026-02-01,10,",
        ],
    )

    assert "ama ltd 3 KES 30.00 2" in page_text(response)  # invoices, outstanding, first row
    assert confirm(client, token).status_code == 302
    assert list(cases_by_debtor()) == ["ama ltd"]


def test_details_a_file_leaves_empty_are_saved_empty(client, signed_in, world):
    token, _ = preview_of(client, ["Ama,1,2026-01-01,2026-02-01,10,"])

    assert confirm(client, token).status_code == 302

    case = cases_by_debtor()["Ama"]
    debtor = case.debtor
    assert (debtor.account_number, debtor.contact_person, debtor.address) == ("", "", "")
    assert (debtor.emails, debtor.phones) == ([], [])
    assert debtor.country == world.business.country
    assert (
        case.notes == "Imported from “accounts.csv” (Spreadsheet or CSV with your column mapping)."
    )
