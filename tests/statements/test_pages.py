"""The statement pages: preview and issue, lists, the page, PDF and CSV, marking received."""

import csv
import io
from datetime import date

from pypdf import PdfReader
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Event, PaidTo, Statement
from portal.statements import services
from tests import factories
from tests.statements.helpers import issue, placed_case, recovery, reversal

OCT = (date(2026, 10, 1), date(2026, 10, 31))


def _period(world, start="2026-10-01", end="2026-10-31", **extra):
    return {"agreement_id": world.agreement.id, "period_start": start, "period_end": end, **extra}


def _count() -> int:
    return db.session.scalar(select(func.count(Statement.id)))


def test_the_preview_shows_every_line_and_issues_nothing(client, auth, world):
    case = placed_case(world.agreement)
    recovery(case, 5_000_00, date(2026, 10, 3))
    db.session.commit()
    auth.login(world.agency_admin)
    page = client.post("/statements/preview", data=_period(world))
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert case.reference in html and "KES\u00a05,000.00" in html
    assert "Issue statement NR-ST-0001" in html
    assert _count() == 0


def test_issuing_asks_the_agency_admin_to_confirm(client, auth, world):
    case = placed_case(world.agreement)
    recovery(case, 5_000_00, date(2026, 10, 3))
    db.session.commit()
    auth.login(world.agency_admin)
    checked = services.preview(world.agreement, *OCT, date(2026, 11, 20)).fingerprint
    unconfirmed = client.post("/statements/issue", data=_period(world, checked=checked))
    assert unconfirmed.status_code == 422
    assert "Tick the box to confirm" in unconfirmed.get_data(as_text=True)
    assert _count() == 0
    issued = client.post("/statements/issue", data=_period(world, checked=checked, confirm="y"))
    assert issued.status_code == 302
    statement = db.session.scalars(select(Statement)).one()
    assert issued.headers["Location"].endswith(f"/statements/{statement.id}")
    assert [ln.case_reference for ln in statement.lines] == [case.reference]


def test_a_bad_period_is_explained_beside_its_field_and_kept(client, auth, world):
    auth.login(world.agency_admin)
    page = client.post("/statements/preview", data=_period(world, end="2099-01-31"))
    html = page.get_data(as_text=True)
    assert page.status_code == 422
    assert "cannot end in the future" in html
    assert 'value="2099-01-31"' in html
    garbled = client.post("/statements/preview", data=_period(world, start="31/10/2026"))
    assert garbled.status_code == 422
    assert "Enter a date as YYYY-MM-DD" in garbled.get_data(as_text=True)


def test_a_client_of_another_agency_cannot_be_chosen(client, auth, world):
    foreign = factories.agreement(world.business, world.other_agency)
    db.session.commit()
    auth.login(world.agency_admin)
    page = client.post(
        "/statements/preview", data={**_period(world), "agreement_id": str(foreign.id)}
    )
    assert page.status_code == 422
    assert "Choose one of your clients." in page.get_data(as_text=True)


def test_the_agency_sees_its_statements_and_filters_by_client(client, auth, world):
    second = db.session.scalars(
        select(type(world.agreement)).where(
            type(world.agreement).business_id == world.other_business.id,
            type(world.agreement).agency_id == world.agency.id,
        )
    ).one()
    mine = issue(world.agreement, *OCT, world.agency_admin)
    theirs = issue(second, *OCT, world.agency_admin)
    auth.login(world.agency_admin)
    everything = client.get("/statements/").get_data(as_text=True)
    assert mine.number in everything and theirs.number in everything
    filtered = client.get(f"/statements/?party={world.business.id}").get_data(as_text=True)
    assert mine.number in filtered and theirs.number not in filtered


def test_a_business_sees_only_its_own_statements(client, auth, world):
    second = db.session.scalars(
        select(type(world.agreement)).where(
            type(world.agreement).business_id == world.other_business.id,
            type(world.agreement).agency_id == world.agency.id,
        )
    ).one()
    mine = issue(world.agreement, *OCT, world.agency_admin)
    theirs = issue(second, *OCT, world.agency_admin)
    auth.login(world.business_member)
    html = client.get("/statements/").get_data(as_text=True)
    assert mine.number in html and theirs.number not in html
    assert client.get(f"/statements/{mine.id}").status_code == 200
    assert client.get(f"/statements/{theirs.id}").status_code == 404


def test_the_statement_page_shows_lines_and_what_is_due(client, auth, world):
    case = placed_case(world.agreement)
    paid = recovery(case, 10_000_00, date(2026, 10, 3))
    reversal(paid, date(2026, 10, 8))
    recovery(case, 2_000_00, date(2026, 10, 9), paid_to=PaidTo.CLIENT)
    statement = issue(world.agreement, *OCT, world.agency_admin)
    auth.login(world.business_admin)
    html = client.get(f"/statements/{statement.id}").get_data(as_text=True)
    assert "Reversal" in html and "Business (direct)" in html
    assert "Amount due from the business to the agency" in html
    assert "KES\u00a0400.00" in html


def test_csv_cells_that_a_spreadsheet_would_run_are_escaped(client, auth, world):
    names = ['=HYPERLINK("http://evil.example")', "+1+2", "-2+3", "@SUM(A1)", "\tTab", "\rCR"]
    for name in names:
        case = placed_case(world.agreement, debtor=factories.debtor(world.business, name=name))
        recovery(case, 1_000_00, date(2026, 10, 3))
    plain = placed_case(world.agreement, debtor=factories.debtor(world.business, name="Plain"))
    bounced = recovery(plain, 500_00, date(2026, 10, 4))
    reversal(bounced, date(2026, 10, 5))
    statement = issue(world.agreement, *OCT, world.agency_admin)
    auth.login(world.business_admin)
    response = client.get(f"/statements/{statement.id}/csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"), newline="")))
    debtors = [row[2] for row in rows[1 : len(names) + 3]]
    for name in names:
        assert "'" + name in debtors
    assert "Plain" in debtors
    reversal_row = next(r for r in rows[1:] if r[5] == "Reversal")
    assert reversal_row[7] == "-500.00"  # our own numbers stay numbers
    for row in rows:
        for cell in row[:7]:
            assert not cell.startswith(services.FORMULA_START), cell


def test_the_csv_totals_match_the_statement(client, auth, world):
    case = placed_case(world.agreement)
    recovery(case, 1_234_56, date(2026, 10, 3))
    recovery(case, 100_00, date(2026, 10, 4), paid_to=PaidTo.CLIENT)
    statement = issue(world.agreement, *OCT, world.agency_admin)
    auth.login(world.agency_admin)
    text = client.get(f"/statements/{statement.id}/csv").get_data().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    total = next(r for r in rows if len(r) > 1 and r[1] == "Total")
    assert total[7] == "1334.56"
    due = next(r for r in rows if len(r) > 1 and r[1].startswith("Amount due"))
    assert due[7] == f"{statement.due_to_client_minor / 100:.2f}"


def test_the_pdf_lists_every_lines_case_reference(client, auth, world):
    cases = [
        placed_case(
            world.agreement, debtor=factories.debtor(world.business, name=f"Wanjirũ Njoroge {n}")
        )
        for n in range(40)
    ]
    for n, case in enumerate(cases):
        recovery(case, 1_000_00 + n, date(2026, 10, 1 + n % 28))
    statement = issue(world.agreement, *OCT, world.agency_admin)
    auth.login(world.business_member)
    response = client.get(f"/statements/{statement.id}/pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.get_data()))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert len(reader.pages) > 1
    for case in cases:
        assert case.reference in text
    assert statement.number in text and "Wanjirũ" in text
    assert "Amount due from the agency to the business" in text


def test_the_pdf_spells_september_sep_like_the_web_pages(client, auth, world):
    case = placed_case(world.agreement)
    recovery(case, 1_000_00, date(2026, 9, 15))
    statement = issue(world.agreement, date(2026, 9, 1), date(2026, 9, 30), world.agency_admin)
    auth.login(world.business_member)
    html = client.get(f"/statements/{statement.id}").get_data(as_text=True)
    reader = PdfReader(io.BytesIO(client.get(f"/statements/{statement.id}/pdf").get_data()))
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    assert "1 Sep 2026 to 30 Sep 2026" in text and "15 Sep 2026" in text
    assert "Sept" not in text
    assert "15 Sep 2026" in html and "Sept" not in html


def test_the_business_marks_a_statement_received(client, auth, world):
    statement = issue(world.agreement, *OCT, world.agency_admin)
    auth.login(world.business_member)
    response = client.post(f"/statements/{statement.id}/received")
    assert response.status_code == 302
    db.session.refresh(statement)
    assert statement.received_by_id == world.business_member.id
    assert statement.received_at is not None
    event = db.session.scalars(select(Event).where(Event.kind == "statement_received")).one()
    assert event.actor_id == world.business_member.id
    again = client.post(f"/statements/{statement.id}/received", follow_redirects=True)
    assert "already marked this statement received" in again.get_data(as_text=True)
    first_time = statement.received_at
    db.session.refresh(statement)
    assert statement.received_at == first_time


def test_the_agency_sees_who_marked_it_received(client, auth, world):
    statement = issue(world.agreement, *OCT, world.agency_admin)
    services.mark_received(statement, world.business_admin, statement.issued_at)
    db.session.commit()
    auth.login(world.agency_admin)
    html = client.get(f"/statements/{statement.id}").get_data(as_text=True)
    assert f"by {world.business_admin.name}" in html
    assert "Mark as received" not in html
