"""Tests for portal.imports.readers: accounting exports to normalised invoice rows."""

from __future__ import annotations

import inspect
import io
import tracemalloc
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from itertools import islice
from pathlib import Path

import openpyxl
import pytest

from portal.imports.readers import (
    FORMATS,
    ImportFormatError,
    InvoiceRow,
    RowProblem,
    detect_format,
    header_of,
    parse,
    read_table,
    suggest_mapping,
)
from tests.imports.helpers import PLAIN_COLUMNS as PLAIN_MAPPING

DATA = Path(__file__).parent / "data"
TODAY = date(2026, 11, 23)
PLAIN_HEADER = "debtor_name,invoice_number,issue_date,due_date,amount,paid,currency,country"
KAMAU = "Kamau Hardware & Sons"


def parse_bytes(content: bytes | str, filename: str = "upload.csv", **options) -> list:
    """Parse an in-memory upload with a fixed 'today'."""
    if isinstance(content, str):
        content = content.encode("utf-8")
    options.setdefault("today", TODAY)
    return list(parse(io.BytesIO(content), filename, **options))


def parse_sample(name: str, **options) -> list:
    with (DATA / name).open("rb") as stream:
        return list(parse(stream, name, today=TODAY, **options))


def plain(*lines: str, header: str = PLAIN_HEADER) -> str:
    return "\n".join([header, *lines]) + "\n"


def only_row(items: list) -> InvoiceRow:
    assert len(items) == 1, items
    assert isinstance(items[0], InvoiceRow), items
    return items[0]


def only_problem(items: list) -> RowProblem:
    assert len(items) == 1, items
    assert isinstance(items[0], RowProblem), items
    return items[0]


def summary(rows: list) -> list[tuple]:
    """The money-relevant fields of each row, in order."""
    assert all(isinstance(row, InvoiceRow) for row in rows), rows
    return [
        (
            row.row_number,
            row.debtor_name,
            row.transaction_type,
            row.invoice_number,
            row.issue_date,
            row.due_date,
            row.amount,
            row.paid,
            row.open_balance,
            row.notes,
        )
        for row in rows
    ]


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    """An .xlsx workbook; strings starting with '=' are stored as text, not formulas."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for values in rows:
        sheet.append(values)
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


class GeneratedCsv(io.RawIOBase):
    """A CSV upload produced line by line on demand; counts the bytes handed out."""

    def __init__(self, rows: int) -> None:
        super().__init__()
        self._lines = self._generate(rows)
        self._pending = bytearray()
        self.bytes_read = 0

    @staticmethod
    def _generate(rows: int) -> Iterator[bytes]:
        yield b"debtor_name,invoice_number,issue_date,due_date,amount,currency\n"
        for n in range(rows):
            yield f"Debtor {n},INV-{n},2026-01-01,2026-02-01,{n % 997 + 1}.50,KES\n".encode()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while len(self._pending) < len(buffer):
            line = next(self._lines, None)
            if line is None:
                break
            self._pending += line
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        del self._pending[:size]
        self.bytes_read += size
        return size


class NonSeekable(io.RawIOBase):
    """A stream that can only be read forward (like a socket or a pipe)."""

    def __init__(self, content: bytes) -> None:
        super().__init__()
        self._inner = io.BytesIO(content)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self._inner.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


# --------------------------------------------------------------------------- the four samples


def test_quickbooks_online_sample_gives_exact_rows_and_amounts():
    rows = parse_sample("quickbooks-online-ar-aging-detail.csv")

    assert summary(rows) == [
        (7, "Riverside Clinic", "Invoice", "1052", date(2026, 11, 3), date(2026, 12, 3),
         Decimal("8400.00"), Decimal(0), Decimal("8400.00"), None),
        (10, KAMAU, "Invoice", "1031", date(2026, 8, 20), date(2026, 9, 19),
         Decimal("45000.00"), Decimal(0), Decimal("45000.00"), None),
        (11, KAMAU, "Invoice", "1036", date(2026, 9, 2), date(2026, 10, 2),
         Decimal("12750.50"), Decimal(0), Decimal("12750.50"), None),
        (12, KAMAU, "Credit Memo", "CM-12", date(2026, 9, 10), date(2026, 9, 10),
         Decimal("-2000.00"), Decimal(0), Decimal("-2000.00"), None),
        (15, "Wanjiru Catering Services", "Invoice", "0988", date(2026, 5, 14),
         date(2026, 6, 13), Decimal("128300.00"), Decimal("30000.00"), Decimal("98300.00"),
         None),
        (16, "Wanjiru Catering Services", "Invoice", "0995", date(2026, 6, 1), date(2026, 7, 1),
         Decimal("15000.00"), Decimal(0), Decimal("15000.00"), None),
        (17, "Lakeview Academy", "Invoice", "0971", date(2026, 4, 22), date(2026, 5, 22),
         Decimal("1204500.00"), Decimal(0), Decimal("1204500.00"), None),
    ]  # fmt: skip
    assert {row.currency for row in rows} == {None}


def test_quickbooks_online_skips_title_group_and_total_rows():
    items = parse_sample("quickbooks-online-ar-aging-detail.csv")

    assert not [item for item in items if isinstance(item, RowProblem)]
    # rows 1-4 title, 5 header, 6/9/14 age buckets, 8/13/18 "Total for", 19 TOTAL, 23 footer
    assert [item.row_number for item in items] == [7, 10, 11, 12, 15, 16, 17]


def test_quickbooks_online_credit_memo_is_a_negative_row_not_a_problem():
    rows = parse_sample("quickbooks-online-ar-aging-detail.csv")

    memo = next(row for row in rows if row.invoice_number == "CM-12")
    assert memo.transaction_type == "Credit Memo"
    assert memo.amount == Decimal("-2000.00")
    kamau_balance = sum(row.open_balance for row in rows if row.debtor_name == KAMAU)
    assert kamau_balance == Decimal("55750.50")


def test_quickbooks_online_paid_is_amount_minus_open_balance():
    rows = parse_sample("quickbooks-online-ar-aging-detail.csv")

    part_paid = next(row for row in rows if row.invoice_number == "0988")
    assert (part_paid.amount, part_paid.paid, part_paid.open_balance) == (
        Decimal("128300.00"),
        Decimal("30000.00"),
        Decimal("98300.00"),
    )


def test_quickbooks_desktop_sample_takes_customer_from_heading_rows():
    rows = parse_sample("quickbooks-desktop-open-invoices.csv")

    assert summary(rows) == [
        (3, KAMAU, "Invoice", "1031", date(2026, 8, 20), date(2026, 9, 19),
         Decimal("45000.00"), Decimal(0), Decimal("45000.00"), "P.O. #: PO-5512"),
        (4, KAMAU, "Invoice", "1036", date(2026, 9, 2), date(2026, 10, 2),
         Decimal("12750.50"), Decimal(0), Decimal("12750.50"), None),
        (5, KAMAU, "Payment", "", date(2026, 9, 30), None,
         Decimal("-5000.00"), Decimal(0), Decimal("-5000.00"), None),
        (8, "Lakeview Academy", "Invoice", "0971", date(2026, 4, 22), date(2026, 5, 22),
         Decimal("1204500.00"), Decimal(0), Decimal("1204500.00"), "P.O. #: LA-2026-14"),
    ]  # fmt: skip


def test_quickbooks_desktop_payment_line_is_kept_and_nets_against_the_total():
    rows = parse_sample("quickbooks-desktop-open-invoices.csv")

    payment = next(row for row in rows if row.transaction_type == "Payment")
    assert payment.amount == Decimal("-5000.00")
    assert sum(row.amount for row in rows if row.debtor_name == KAMAU) == Decimal("52750.50")
    assert sum(row.amount for row in rows) == Decimal("1257250.50")  # the file's TOTAL line


def test_xero_sample_gives_exact_rows_with_reference_in_notes():
    rows = parse_sample("xero-aged-receivables-detail.csv")

    assert summary(rows) == [
        (8, KAMAU, "Invoice", "INV-1031", date(2026, 8, 20), date(2026, 9, 19),
         Decimal("45000.00"), Decimal(0), Decimal("45000.00"),
         "Invoice reference: PO-5512"),
        (9, KAMAU, "Invoice", "INV-1036", date(2026, 9, 2), date(2026, 10, 2),
         Decimal("12750.50"), Decimal(0), Decimal("12750.50"), None),
        (12, "Wanjiru Catering Services", "Invoice", "INV-0988", date(2026, 5, 14),
         date(2026, 6, 13), Decimal("98300.00"), Decimal(0), Decimal("98300.00"),
         "Invoice reference: Event 14/5"),
    ]  # fmt: skip
    assert sum(row.amount for row in rows) == Decimal("156050.50")  # the file's Total line


def test_plain_sample_with_saved_mapping_gives_exact_rows():
    rows = parse_sample("plain-placement.csv", mapping=PLAIN_MAPPING)

    kamau = {
        "debtor_name": KAMAU,
        "debtor_kind": "company",
        "account_number": "C-0041",
        "contact_person": "Peter Kamau",
        "email": "accounts@kamau-hardware.example",
        "phone": "+254 722 000 111",
        "address": "Moi Avenue 12",
        "city": "Nairobi",
        "country": "KE",
        "currency": "KES",
    }
    assert rows == [
        InvoiceRow(
            row_number=2,
            **kamau,
            invoice_number="1031",
            issue_date=date(2026, 8, 20),
            due_date=date(2026, 9, 19),
            amount=Decimal("45000.00"),
            paid=Decimal(0),
            notes="Called 2026-10-05; promised payment by month end",
        ),
        InvoiceRow(
            row_number=3,
            **kamau,
            invoice_number="1036",
            issue_date=date(2026, 9, 2),
            due_date=date(2026, 10, 2),
            amount=Decimal("12750.50"),
        ),
        InvoiceRow(
            row_number=4,
            debtor_name="Grace Wanjirũ Njoroge",
            debtor_kind="person",
            account_number="C-0077",
            email="grace.njoroge@example.com",
            phone="+254 733 555 010",
            address="P.O. Box 1234-00100",
            city="Nairobi",
            country="KE",
            invoice_number="0988",
            issue_date=date(2026, 5, 14),
            due_date=date(2026, 6, 13),
            amount=Decimal("128300.00"),
            paid=Decimal("30000.00"),
            currency="KES",
            notes="Part-paid in June; disputes delivery date",
        ),
    ]


def test_plain_sample_is_mapped_automatically_from_its_headers():
    assert parse_sample("plain-placement.csv") == parse_sample(
        "plain-placement.csv", mapping=PLAIN_MAPPING
    )


def test_amounts_are_decimals_never_floats():
    rows = parse_sample("quickbooks-online-ar-aging-detail.csv")

    assert all(type(row.amount) is Decimal and type(row.paid) is Decimal for row in rows)
    assert str(rows[2].amount) == "12750.50"


# --------------------------------------------------------------------------- detection


@pytest.mark.parametrize(
    ("sample", "expected"),
    [
        ("quickbooks-online-ar-aging-detail.csv", "quickbooks_online"),
        ("quickbooks-desktop-open-invoices.csv", "quickbooks_desktop"),
        ("xero-aged-receivables-detail.csv", "xero"),
        ("plain-placement.csv", None),
    ],
)
def test_detect_format_recognises_each_export_from_its_first_rows(sample, expected):
    with (DATA / sample).open("rb") as stream:
        first_rows = [cells for _, cells in islice(read_table(stream, sample), 10)]

    assert detect_format(first_rows) == expected
    assert expected is None or expected in FORMATS


def test_detect_format_ignores_case_spaces_bom_and_extra_columns():
    header = ["\ufeff", " DATE ", "transaction TYPE", "num ", "Customer Full Name", "Due Date",
              "Amount", "OPEN BALANCE", "Memo/Description", "Location"]  # fmt: skip

    assert detect_format([["A/R Aging Detail"], [], header]) == "quickbooks_online"
    assert detect_format([["TYPE", "date", "NUM", "Terms", " due date", "open balance "]]) == (
        "quickbooks_desktop"
    )
    xero = ["\ufeffinvoice number", "Invoice Date", "DUE DATE", "Current", "< 1 month", "TOTAL"]
    assert detect_format([xero]) == "xero"


def test_detect_format_returns_none_for_plain_headers():
    assert detect_format([["debtor_name", "invoice_number", "due_date", "amount"]]) is None
    assert detect_format([["Invoice Number", "Due Date", "Total"]]) is None  # no age buckets
    assert detect_format([]) is None


def test_header_of_returns_format_and_header_and_rewinds_the_stream():
    with (DATA / "xero-aged-receivables-detail.csv").open("rb") as stream:
        found, header = header_of(stream, "xero.csv")
        assert stream.tell() == 0
        rows = list(parse(stream, "xero.csv", today=TODAY))

    assert found == "xero"
    assert header[:4] == ["Invoice Number", "Invoice Date", "Due Date", "Invoice Reference"]
    assert header[-1] == "Total"
    assert len(rows) == 3


def test_header_of_plain_file_gives_no_format_and_its_headers():
    content = "Statement of accounts\n\nClient,Inv #,Sum owed,When due,\nA,1,5,2026-01-01,\n"

    found, header = header_of(io.BytesIO(content.encode()), "mine.csv")

    assert found is None
    assert header == ["Client", "Inv #", "Sum owed", "When due"]


def test_suggest_mapping_uses_field_names_and_common_synonyms():
    headers = ["Customer Name", "Invoice No.", "Invoice Date", "Due Date", "Total", "E-mail",
               "debtor_type", "Balance", "Country"]  # fmt: skip

    assert suggest_mapping(headers) == {
        "debtor_name": "Customer Name",
        "invoice_number": "Invoice No.",
        "issue_date": "Invoice Date",
        "due_date": "Due Date",
        "amount": "Total",
        "email": "E-mail",
        "debtor_kind": "debtor_type",
        "open_balance": "Balance",
        "country": "Country",
    }


def test_suggest_mapping_uses_each_header_once():
    mapping = suggest_mapping(["Customer", "Contact", "Num", "Due", "Amount"])

    assert mapping["debtor_name"] == "Customer"
    assert mapping["contact_person"] == "Contact"
    assert len(set(mapping.values())) == len(mapping)


# --------------------------------------------------------------------------- reading files


def test_windows_1252_file_reads():
    content = plain("Café Müller – “Ltd”,1,2026-01-01,2026-02-01,10.00,,EUR,").encode("cp1252")

    row = only_row(parse_bytes(content))

    assert row.debtor_name == "Café Müller – “Ltd”"


def test_bad_byte_after_the_first_chunk_is_read_as_windows_1252():
    filler = [f"Debtor {n},F{n},2026-01-01,2026-02-01,1.00,,KES," for n in range(3000)]
    content = plain(*filler).encode() + b"Andr\xe9 \x80 Ltd,X1,2026-01-01,2026-02-01,1.00,,KES,\n"
    assert len(content) > 100_000  # the bad byte lies beyond the 64 KiB that are sniffed

    rows = parse_bytes(content)

    assert len(rows) == 3001
    assert rows[-1].debtor_name == "André € Ltd"


def test_utf8_bom_header_is_recognised():
    content = b"\xef\xbb\xbf" + plain("Ama,7,2026-01-01,2026-02-01,5,,KES,").encode()

    row = only_row(parse_bytes(content))
    with (DATA / "quickbooks-online-ar-aging-detail.csv").open("rb") as stream:
        qbo = b"\xef\xbb\xbf" + stream.read()

    assert row.debtor_name == "Ama"
    assert header_of(io.BytesIO(qbo), "qbo.csv")[0] == "quickbooks_online"


def test_utf16_unicode_text_export_reads():
    content = plain("Wanjirũ,7,2026-01-01,2026-02-01,5,,KES,").replace(",", "\t")

    row = only_row(parse_bytes(content.encode("utf-16")))

    assert (row.debtor_name, row.amount) == ("Wanjirũ", Decimal(5))


def test_semicolon_delimiter_is_sniffed_with_decimal_commas():
    content = "debtor_name;invoice_number;due_date;amount\nAma;7;01.02.2026;1.234,56\n"

    row = only_row(parse_bytes(content))

    assert (row.due_date, row.amount) == (date(2026, 2, 1), Decimal("1234.56"))


def test_tab_delimiter_is_sniffed():
    content = "debtor_name\tinvoice_number\tdue_date\tamount\nAma, Ltd\t7\t2026-02-01\t1,000\n"

    row = only_row(parse_bytes(content))

    assert (row.debtor_name, row.amount) == ("Ama, Ltd", Decimal(1000))


def test_excel_sep_line_sets_the_delimiter_and_counts_as_a_row():
    content = "sep=;\ndebtor_name;invoice_number;due_date;amount\nAma;7;2026-02-01;10,5\n"

    row = only_row(parse_bytes(content))

    assert (row.row_number, row.amount) == (3, Decimal("10.5"))


def test_row_numbers_count_records_so_multiline_cells_stay_one_row():
    content = plain('"Ama\nLtd",7,2026-01-01,2026-02-01,5,,,', "Kofi,8,2026-01-01,2026-02-01,5,,,")

    rows = parse_bytes(content)

    assert [(row.row_number, row.debtor_name) for row in rows] == [(2, "Ama\nLtd"), (3, "Kofi")]


def test_nul_bytes_and_surrounding_spaces_are_removed():
    content = plain("  Am\x00a  ,\x007 , 2026-01-01 ,2026-02-01,  5  ,,kes,")

    row = only_row(parse_bytes(content))

    assert (row.debtor_name, row.invoice_number, row.currency) == ("Ama", "7", "KES")


@pytest.mark.parametrize("text", ["=1+2", "+254 722 000 111", "-Ama-", "@SUM(A1:A2)"])
def test_formula_like_cell_kept_as_text(text):
    content = plain(f'"{text}",{text},2026-01-01,2026-02-01,5,,,')

    row = only_row(parse_bytes(content))

    assert (row.debtor_name, row.invoice_number) == (text, text)


def test_read_table_yields_numbered_rows_lazily():
    rows = read_table(io.BytesIO(b"a,b\n\n1,2\n"), "x.csv")

    assert inspect.isgenerator(rows)
    assert list(rows) == [(1, ["a", "b"]), (2, []), (3, ["1", "2"])]


# --------------------------------------------------------------------------- XLSX


def xlsx_invoice_sheet() -> bytes:
    return xlsx_bytes(
        [
            ["Acacia Office Supplies Ltd: overdue accounts"],
            [],
            ["Debtor name", "Invoice no", "Issue date", "Due date", "Amount", "Paid", "Notes"],
            [KAMAU, 1031, datetime(2026, 8, 20), datetime(2026, 9, 19), 45000, 0, "=1+2"],
            [
                "Lakeview Academy",
                "0971",
                datetime(2026, 4, 22),
                datetime(2026, 5, 22),
                12750.5,
                0.1,
                None,
            ],
            ["Total", None, None, None, 57750.5, None, None],
        ]
    )


def test_xlsx_round_trip_gives_exact_rows():
    rows = parse_bytes(xlsx_invoice_sheet(), "accounts.xlsx", default_currency="KES")

    assert rows == [
        InvoiceRow(
            row_number=4,
            debtor_name=KAMAU,
            invoice_number="1031",
            issue_date=date(2026, 8, 20),
            due_date=date(2026, 9, 19),
            amount=Decimal(45000),
            currency="KES",
            notes="=1+2",
        ),
        InvoiceRow(
            row_number=5,
            debtor_name="Lakeview Academy",
            invoice_number="0971",
            issue_date=date(2026, 4, 22),
            due_date=date(2026, 5, 22),
            amount=Decimal("12750.5"),
            paid=Decimal("0.1"),
            currency="KES",
        ),
    ]


def test_xlsx_cells_become_iso_dates_and_plain_decimal_strings():
    content = xlsx_bytes([[datetime(2026, 8, 20), date(2026, 8, 21), 0.1, 1031.0, 1e-07, True]])

    rows = list(read_table(io.BytesIO(content), "cells.xlsx"))

    assert rows == [(1, ["2026-08-20", "2026-08-21", "0.1", "1031", "0.0000001", "TRUE"])]


def test_xlsx_is_recognised_by_content_not_by_name():
    from_csv_name = parse_bytes(xlsx_invoice_sheet(), "export.csv")
    from_xlsx_name = parse_bytes(plain("Ama,7,2026-01-01,2026-02-01,5,,KES,"), "export.xlsx")

    assert [row.invoice_number for row in from_csv_name] == ["1031", "0971"]
    assert only_row(from_xlsx_name).debtor_name == "Ama"


def test_xlsx_from_a_non_seekable_stream_reads():
    stream = NonSeekable(xlsx_invoice_sheet())

    rows = list(parse(stream, "accounts.xlsx", today=TODAY))

    assert [row.row_number for row in rows] == [4, 5]


# --------------------------------------------------------------------------- unreadable files


@pytest.mark.parametrize(
    ("content", "filename", "fragment"),
    [
        (b"", "empty.csv", "is empty"),
        (b"\xef\xbb\xbf \r\n", "blank.csv", "is empty"),
        (b"%PDF-1.7\n%\xe2\xe3", "invoice.pdf", "PDF"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "old.xls", ".xls"),
        (b"PK\x03\x04 this is not really a zip", "broken.xlsx", "Excel workbook"),
        (bytes(range(32)) * 300, "random.bin", "not a text"),
        (b"just one line of words\nand another\n", "prose.csv", "not recognised"),
    ],
)
def test_unreadable_upload_is_an_import_format_error(content, filename, fragment):
    with pytest.raises(ImportFormatError) as error:
        parse(io.BytesIO(content), filename)

    assert fragment in str(error.value)


def test_unreadable_upload_is_reported_before_iteration():
    with pytest.raises(ImportFormatError):
        parse(io.BytesIO(b""), "empty.csv")  # no next() needed


def test_unmapped_required_field_is_an_import_format_error():
    mapping = {"debtor_name": "debtor_name", "invoice_number": "invoice_number", "amount": "amount"}

    with pytest.raises(ImportFormatError, match="Due date"):
        parse(io.BytesIO(plain().encode()), "x.csv", mapping=mapping)


def test_mapping_to_a_column_the_file_lacks_is_an_import_format_error():
    mapping = {"debtor_name": "Client", "invoice_number": "No", "amount": "Sum", "due_date": "Due"}

    with pytest.raises(ImportFormatError, match='"Client"'):
        parse(io.BytesIO(plain().encode()), "x.csv", mapping=mapping)


def test_unknown_mapping_field_is_an_import_format_error():
    with pytest.raises(ImportFormatError, match="favourite_colour"):
        parse(io.BytesIO(plain().encode()), "x.csv", mapping={"favourite_colour": "amount"})


def test_auto_mapping_failure_names_the_missing_fields():
    content = "Customer,Invoice,Total\nAma,7,5\n"

    with pytest.raises(ImportFormatError, match="due date"):
        parse(io.BytesIO(content.encode()), "x.csv")


# --------------------------------------------------------------------------- amounts


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ('"1,204,500.00"', Decimal("1204500.00")),
        ('"(2,000.00)"', Decimal("-2000.00")),
        ("-2000.5", Decimal("-2000.5")),
        ("2000.00-", Decimal("-2000.00")),
        ('"$1,000.00"', Decimal("1000.00")),
        ("1 204 500.00", Decimal("1204500.00")),
        ('"1.234,56"', Decimal("1234.56")),
        ('"€12,50"', Decimal("12.50")),
        ('"1,00,000"', Decimal(100000)),
        ("0.1", Decimal("0.1")),
    ],
)
def test_amount_formats_parse_exactly(cell, expected):
    header = "transaction_type,debtor_name,invoice_number,due_date,amount"
    content = plain(f"Credit Memo,Ama,7,2026-02-01,{cell}", header=header)

    row = only_row(parse_bytes(content))

    assert row.amount == expected
    assert str(row.amount) == str(expected)  # same digits, no float artefacts


def test_quoted_thousands_parse_exactly():
    row = only_row(parse_bytes(plain('Ama,7,2026-01-01,2026-02-01,"1,204,500.10",,KES,')))

    assert row.amount == Decimal("1204500.10")


def test_currency_code_stuck_on_the_amount_sets_the_currency():
    row = only_row(parse_bytes(plain("Ama,7,2026-01-01,2026-02-01,KES 1000,,,")))

    assert (row.amount, row.currency) == (Decimal(1000), "KES")


def test_currency_on_amount_contradicting_the_currency_column_is_a_problem():
    problem = only_problem(parse_bytes(plain("Ama,7,2026-01-01,2026-02-01,USD 5,,KES,")))

    assert problem == RowProblem(
        2, "amount", "The amount is in USD but the currency column says KES."
    )


def test_unparsable_amount_is_a_problem_naming_the_column():
    content = "Client,Inv,Due,Invoice Total\nAma,7,2026-02-01,twelve\n"
    mapping = {"debtor_name": "Client", "invoice_number": "Inv", "due_date": "Due",
               "amount": "Invoice Total"}  # fmt: skip

    problem = only_problem(parse_bytes(content, mapping=mapping))

    assert problem.column == "Invoice Total"
    assert '"twelve"' in problem.message


@pytest.mark.parametrize("cell", ["1,2,3", "12abc", "1.5.5", "(5", "--", "XYZ 5"])
def test_malformed_amounts_are_problems(cell):
    problem = only_problem(parse_bytes(plain(f'Ama,7,2026-01-01,2026-02-01,"{cell}",,,')))

    assert problem.column == "amount"


# --------------------------------------------------------------------------- dates


@pytest.mark.parametrize(
    "cell",
    ["2026-08-20", "20/08/2026", "20 Aug 2026", "Aug 20, 2026", "20-Aug-26", "20.08.2026",
     "2026-08-20T00:00:00", "August 20th, 2026", "08/20/2026"],
)  # fmt: skip
def test_date_formats_are_read(cell):
    row = only_row(parse_bytes(plain(f'Ama,7,2026-08-01,"{cell}",5,,,')))

    assert row.due_date == date(2026, 8, 20)


def test_ambiguous_plain_date_is_read_day_first_by_default():
    row = only_row(parse_bytes(plain("Ama,7,03/04/2026,05/06/2026,5,,,")))

    assert (row.issue_date, row.due_date) == (date(2026, 4, 3), date(2026, 6, 5))


def test_date_order_mdy_reads_ambiguous_dates_month_first():
    row = only_row(parse_bytes(plain("Ama,7,03/04/2026,05/06/2026,5,,,"), date_order="MDY"))

    assert (row.issue_date, row.due_date) == (date(2026, 3, 4), date(2026, 5, 6))


def test_quickbooks_dates_are_month_first():
    content = (
        ",Date,Transaction type,Num,Customer full name,Due date,Amount,Open balance\n"
        ",03/04/2026,Invoice,1,Ama,05/06/2026,10.00,10.00\n"
    )

    row = only_row(parse_bytes(content))

    assert (row.issue_date, row.due_date) == (date(2026, 3, 4), date(2026, 5, 6))


def test_unparsable_date_is_a_problem():
    problem = only_problem(parse_bytes(plain("Ama,7,2026-01-01,31/31/2026,5,,,")))

    assert problem.column == "due_date"
    assert '"31/31/2026"' in problem.message


# --------------------------------------------------------------------------- row validation


def test_due_date_before_issue_date_is_a_problem_on_that_column():
    problem = only_problem(parse_bytes(plain("Ama,7,2026-02-01,2026-01-01,5,,,")))

    assert problem == RowProblem(
        2, "due_date", "Due date 2026-01-01 is before the issue date 2026-02-01."
    )


def test_issue_date_in_the_future_is_a_problem():
    items = parse_bytes(plain("Ama,7,2026-11-24,2026-12-24,5,,,"), today=date(2026, 11, 23))

    assert only_problem(items).column == "issue_date"
    same_day = parse_bytes(plain("Ama,7,2026-11-23,2026-12-24,5,,,"), today=date(2026, 11, 23))
    assert only_row(same_day).issue_date == date(2026, 11, 23)


def test_missing_debtor_name_is_a_problem():
    assert only_problem(parse_bytes(plain(",7,2026-01-01,2026-02-01,5,,,"))).column == (
        "debtor_name"
    )


def test_missing_invoice_number_on_an_invoice_line_is_a_problem():
    problem = only_problem(parse_bytes(plain("Ama,,2026-01-01,2026-02-01,5,,,")))

    assert problem == RowProblem(2, "invoice_number", "Invoice number is missing.")


def test_missing_due_date_on_an_invoice_line_is_a_problem():
    assert only_problem(parse_bytes(plain("Ama,7,2026-01-01,,5,,,"))).column == "due_date"


@pytest.mark.parametrize("amount", ["0", "0.00", "-5", "(5.00)"])
def test_invoice_amount_zero_or_less_is_a_problem(amount):
    problem = only_problem(parse_bytes(plain(f'Ama,7,2026-01-01,2026-02-01,"{amount}",,,')))

    assert problem.column == "amount"


def test_paid_greater_than_amount_is_a_problem():
    problem = only_problem(parse_bytes(plain("Ama,7,2026-01-01,2026-02-01,5,6,,")))

    assert problem == RowProblem(2, "paid", "Paid 6 is more than the invoice amount 5.")


def test_negative_paid_is_a_problem():
    assert only_problem(parse_bytes(plain("Ama,7,2026-01-01,2026-02-01,5,-1,,"))).column == "paid"


def test_open_balance_above_amount_is_a_problem_in_quickbooks_online():
    content = (
        ",Date,Transaction type,Num,Customer full name,Due date,Amount,Open balance\n"
        ",03/04/2026,Invoice,1,Ama,05/06/2026,10.00,12.00\n"
    )

    assert only_problem(parse_bytes(content)).column == "Open balance"


def test_unknown_currency_is_a_problem():
    problem = only_problem(parse_bytes(plain("Ama,7,2026-01-01,2026-02-01,5,,KSX,")))

    assert problem.column == "currency"
    assert '"KSX"' in problem.message


def test_default_currency_fills_rows_without_one():
    content = plain("Ama,7,2026-01-01,2026-02-01,5,,,", "Kofi,8,2026-01-01,2026-02-01,5,,usd,")

    rows = parse_bytes(content, default_currency="kes")

    assert [row.currency for row in rows] == ["KES", "USD"]


@pytest.mark.parametrize(("cell", "code"), [("KE", "KE"), ("ke", "KE"), ("Kenya", "KE"),
                                            ("united kingdom", "GB"), ("UK", "GB")])  # fmt: skip
def test_country_codes_and_english_names_become_iso_codes(cell, code):
    assert only_row(parse_bytes(plain(f"Ama,7,2026-01-01,2026-02-01,5,,,{cell}"))).country == code


@pytest.mark.parametrize("cell", ["Narnia", "KEN", "XX", "ZZ"])
def test_country_that_is_not_a_country_code_is_a_problem(cell):
    problem = only_problem(parse_bytes(plain(f"Ama,7,2026-01-01,2026-02-01,5,,,{cell}")))

    assert problem.column == "country"


def test_unknown_debtor_type_is_a_problem():
    header = "debtor_name,debtor_kind,invoice_number,due_date,amount"
    rows = parse_bytes(plain("Ama,Individual,7,2026-02-01,5", "Kofi,alien,8,2026-02-01,5",
                             header=header))  # fmt: skip

    assert rows[0].debtor_kind == "person"
    message = 'Debtor type "alien" is not known; use person or company.'
    assert rows[1] == RowProblem(3, "debtor_kind", message)


def test_several_problems_in_one_row_are_reported_one_per_column():
    items = parse_bytes(plain(",,2026-02-01,2026-01-01,-5,,ZZZ,Narnia"))

    assert all(isinstance(item, RowProblem) and item.row_number == 2 for item in items)
    assert sorted(item.column for item in items) == [
        "amount", "country", "currency", "debtor_name", "due_date", "invoice_number",
    ]  # fmt: skip


def test_a_bad_row_is_not_yielded_but_the_rows_after_it_are():
    items = parse_bytes(
        plain("Ama,7,2026-01-01,2026-02-01,zero,,,", "Kofi,8,2026-01-01,2026-02-01,5,,,")
    )

    assert [type(item) for item in items] == [RowProblem, InvoiceRow]
    assert items[1].debtor_name == "Kofi"


# --------------------------------------------------------------------------- skipped lines


def test_plain_file_skips_title_blank_total_and_footer_rows():
    content = "Overdue accounts,,,,,,,\n\n" + plain(
        "Ama,7,2026-01-01,2026-02-01,5,,,",
        ",,,,,,,",
        "Total,,,,5,,,",
        "Generated by Books 3000 on 2026-11-22,,,,,,,",
    )

    items = parse_bytes(content)

    assert [(item.row_number, item.debtor_name) for item in items] == [(4, "Ama")]


def test_debtor_named_total_with_an_invoice_number_is_not_a_total_row():
    row = only_row(parse_bytes(plain("Total Energies Kenya,7,2026-01-01,2026-02-01,5,,,")))

    assert row.debtor_name == "Total Energies Kenya"


def test_repeated_header_row_is_skipped():
    rows = parse_bytes(plain("Ama,7,2026-01-01,2026-02-01,5,,,", PLAIN_HEADER))

    assert [row.debtor_name for row in rows] == ["Ama"]


def test_customer_heading_changes_even_without_total_rows():
    content = (
        "Invoice Number,Invoice Date,Due Date,Current,Older,Total\n"
        "Ama Ltd\nINV-1,1 Jan 2026,1 Feb 2026,0,5,5\n"
        "Kofi Ltd\nINV-2,1 Jan 2026,1 Feb 2026,0,7,7\nCN-3,1 Jan 2026,1 Feb 2026,0,-2,-2\n"
    )

    rows = parse_bytes(content)

    assert [(row.debtor_name, row.invoice_number, row.transaction_type) for row in rows] == [
        ("Ama Ltd", "INV-1", "Invoice"),
        ("Kofi Ltd", "INV-2", "Invoice"),
        ("Kofi Ltd", "CN-3", "Credit Note"),
    ]


# --------------------------------------------------------------------------- streaming


def test_parse_is_lazy_generator():
    stream = GeneratedCsv(rows=1_000_000)  # about 60 MB if it were all read

    items = parse(stream, "huge.csv", today=TODAY)
    first = next(items)

    assert inspect.isgenerator(items)
    assert first.invoice_number == "INV-0"
    assert stream.bytes_read < 256 * 1024
    items.close()


@pytest.mark.slow
def test_parse_memory_stays_flat_on_100000_rows():
    list(parse(GeneratedCsv(rows=10), "warm-up.csv", today=TODAY))  # load Babel data, regexes
    tracemalloc.start()
    try:
        count = total = 0
        for item in parse(GeneratedCsv(rows=100_000), "big.csv", today=TODAY):
            count += 1
            total += item.amount
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert count == 100_000
    assert total > 0
    assert peak < 4 * 1024 * 1024
