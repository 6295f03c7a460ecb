"""The business's case list as CSV: the list's filters, every page, amounts as plain numbers,
formula-looking text made harmless, nothing of another organisation."""

import csv
import io
from datetime import date

from portal.cases.export import safe_text, stream_csv
from portal.extensions import db
from portal.ledger import services as ledger
from portal.models import CaseStatus, PaidTo
from tests import factories
from tests.cases.helpers import placed
from tests.ledger.helpers import accepted


def download(client, query=""):
    response = client.get("/cases/export.csv" + query)
    assert response.status_code == 200
    return response, list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def by_reference(rows):
    return {row[0]: row for row in rows[1:]}


def test_csv_export_is_a_no_store_download_named_for_today(client, auth, world):
    placed(world)
    auth.login(world.business_admin)
    response, rows = download(client)
    assert response.mimetype == "text/csv"
    assert response.headers["Cache-Control"] == "no-store"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="cases-') and disposition.endswith('.csv"')
    assert rows[0] == [
        "reference",
        "status",
        "debtor",
        "agency",
        "currency",
        "balance at placement",
        "recovered",
        "balance now",
        "submitted",
        "last change",
    ]


def test_csv_export_is_streamed_not_built_in_memory(client, auth, world):
    placed(world)
    auth.login(world.business_admin)
    response = client.get("/cases/export.csv")
    assert response.is_streamed
    chunks = list(stream_csv(["a"], ([str(n)] for n in range(2500))))
    assert len(chunks) == 3  # a batch of rows at a time


def test_csv_amounts_are_plain_major_units_with_recoveries_and_balance_now(client, auth, world):
    case = accepted(world, amount_minor=45_000_00)
    ledger.record_payment(
        case,
        world.caseworker,
        ledger.PaymentData(
            amount_minor=1_500_50,
            received_on=date(2026, 9, 1),
            method="mpesa",
            reference="QX1",
            paid_to=PaidTo.AGENCY,
            token="t-1",
        ),
        date(2026, 9, 15),
    )
    db.session.commit()
    auth.login(world.business_member)
    _, rows = download(client)
    row = by_reference(rows)[case.reference]
    assert row[1:8] == [
        "In collection",
        case.debtor.name,
        "Nairobi Recovery",
        "KES",
        "45000.00",
        "1500.50",
        "43499.50",
    ]
    assert row[8] == case.submitted_at.date().isoformat()  # ISO date (Nairobi is UTC+3)


def test_csv_export_applies_the_lists_filters_on_every_page(client, auth, world):
    wanted = placed(world, status=CaseStatus.SUBMITTED)
    other = placed(world, status=CaseStatus.IN_COLLECTION)
    for _ in range(55):  # more than one page of the list
        factories.case(world.business, world.agency, status=CaseStatus.SUBMITTED)
    db.session.commit()
    auth.login(world.business_admin)
    _, rows = download(client, "?status=submitted&page=2")
    refs = by_reference(rows)
    assert wanted.reference in refs and other.reference not in refs
    assert len(refs) == 56
    _, rows = download(client, f"?q={other.debtor.name}")
    assert list(by_reference(rows)) == [other.reference]


def test_list_page_links_to_the_csv_keeping_the_filters(client, auth, world):
    placed(world)
    auth.login(world.business_admin)
    html = client.get("/cases/?status=submitted&q=Debtor").get_data(as_text=True)
    assert "Download CSV" in html
    assert "/cases/export.csv?status=submitted&amp;q=Debtor" in html


def test_csv_cells_that_look_like_formulas_are_escaped_and_numbers_are_not(client, auth, world):
    evil = factories.debtor(world.business, name='=HYPERLINK("http://x.example")')
    minus = factories.debtor(world.business, name="-2+3 Traders")
    one = placed(world, debtor=evil)
    two = placed(world, debtor=minus)
    auth.login(world.business_admin)
    _, rows = download(client)
    refs = by_reference(rows)
    assert refs[one.reference][2] == '\'=HYPERLINK("http://x.example")'
    assert refs[two.reference][2] == "'-2+3 Traders"
    assert refs[one.reference][5] == "45000.00"
    for start in ("=", "+", "-", "@", "\t", "\r"):
        assert safe_text(start + "x") == "'" + start + "x"
    assert safe_text("Plain Ltd") == "Plain Ltd"


def test_csv_never_holds_another_organisations_cases(client, auth, world):
    mine = placed(world)
    theirs = factories.case(world.other_business, world.agency, status=CaseStatus.SUBMITTED)
    db.session.commit()
    auth.login(world.business_admin)
    _, rows = download(client)
    refs = by_reference(rows)
    assert mine.reference in refs and theirs.reference not in refs
    # A foreign debtor or agency id in the filters is ignored, never a way in.
    _, rows = download(client, f"?debtor={theirs.debtor_id}")
    assert theirs.reference not in by_reference(rows)


def test_a_drafts_balance_now_is_what_its_invoices_still_owe(client, auth, world):
    draft = factories.case(world.business, amount_minor=12_000_00)
    db.session.commit()
    auth.login(world.business_admin)
    _, rows = download(client, "?status=draft")
    assert rows[1][0] == "Draft" and rows[1][5:8] == ["", "0.00", "12000.00"]
    assert draft.reference is None
