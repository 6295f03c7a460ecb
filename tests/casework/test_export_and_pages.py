"""The agency's worklist: paginated, with each case's balance now; its CSV export; and a
double-submitted contact form that records once."""

import csv
import io
from datetime import date

from sqlalchemy import func, select

from portal.extensions import db
from portal.ledger import services as ledger
from portal.models import CaseStatus, CorrespondenceEntry, PaidTo
from tests import factories
from tests.casework.helpers import NAIROBI, at, contact_form, freeze, worked_case
from tests.ledger.helpers import accepted


def pay(case, world, amount_minor, token):
    ledger.record_payment(
        case,
        world.caseworker,
        ledger.PaymentData(
            amount_minor=amount_minor,
            received_on=date(2026, 9, 1),
            method="mpesa",
            reference="QX1",
            paid_to=PaidTo.AGENCY,
            token=token,
        ),
        date(2026, 9, 15),
    )
    db.session.commit()


def download(client, query=""):
    response = client.get("/work/export.csv" + query)
    assert response.status_code == 200
    text = response.get_data(as_text=True).lstrip("\ufeff")
    return response, list(csv.reader(io.StringIO(text)))


def refs(rows):
    return {row[0]: row for row in rows[1:]}


# --- the worklist ------------------------------------------------------------------------


def test_worklist_shows_the_balance_now_after_payments(client, auth, world, monkeypatch):
    case = accepted(world, amount_minor=45_000_00)
    pay(case, world, 5_000_00, "w-1")
    freeze(monkeypatch, at(NAIROBI, 2026, 9, 15, 10, 0))
    auth.login(world.caseworker)
    html = client.get("/work").get_data(as_text=True)
    row = html[html.index(case.reference) :]
    assert "40,000.00" in row[:600] and "Balance now" in html


def test_worklist_paginates_and_keeps_its_filters_on_every_page(client, auth, world, monkeypatch):
    for _ in range(52):
        factories.case(
            world.business,
            world.agency,
            status=CaseStatus.IN_COLLECTION,
            agreement_id=world.agreement.id,
            assigned_to_id=world.caseworker.id,
        )
    held = worked_case(world, status=CaseStatus.ON_HOLD)
    db.session.commit()
    freeze(monkeypatch, at(NAIROBI, 2026, 3, 3, 10, 0))
    auth.login(world.agency_admin)
    first = client.get("/work").get_data(as_text=True)
    assert "53 open cases" in first and "page 1 of 2" in first
    assert first.count('class="badge badge-status-') == 50  # one a row
    second = client.get("/work?page=2").get_data(as_text=True)
    assert "page 2 of 2" in second and second.count('class="badge badge-status-') == 3
    filtered = client.get(f"/work?caseworker={world.caseworker.id}&status=on_hold")
    html = filtered.get_data(as_text=True)
    assert "1 open case" in html and held.reference in html
    assert f"/work/export.csv?caseworker={world.caseworker.id}&amp;status=on_hold" in html


def test_worklist_page_beyond_the_last_shows_the_last(client, auth, world, monkeypatch):
    case = worked_case(world)
    freeze(monkeypatch, at(NAIROBI, 2026, 3, 3, 10, 0))
    auth.login(world.caseworker)
    html = client.get("/work?page=999").get_data(as_text=True)
    assert case.reference in html
    assert client.get("/work?page=abc").status_code == 200


# --- the CSV -----------------------------------------------------------------------------


def test_agency_csv_has_client_amounts_and_caseworker(client, auth, world):
    case = accepted(world, amount_minor=45_000_00)
    pay(case, world, 1_000_00, "e-1")
    auth.login(world.agency_admin)
    response, rows = download(client)
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="cases-')
    assert rows[0][3] == "business" and rows[0][-1] == "caseworker"
    row = refs(rows)[case.reference]
    assert row[1:] == [
        "In collection",
        case.debtor.name,
        "Acacia",
        "KES",
        "45000.00",
        "1000.00",
        "44000.00",
        row[8],
        row[9],
        world.caseworker.name,
    ]
    assert date.fromisoformat(row[8]) and date.fromisoformat(row[9])


def test_agency_csv_applies_the_worklists_filters(client, auth, world):
    mine = worked_case(world)
    theirs = worked_case(world, assigned_to_id=world.other_caseworker.id)
    held = worked_case(world, status=CaseStatus.ON_HOLD)
    auth.login(world.agency_admin)
    _, rows = download(client, f"?caseworker={world.other_caseworker.id}")
    assert list(refs(rows)) == [theirs.reference]
    _, rows = download(client, "?status=on_hold")
    assert list(refs(rows)) == [held.reference]
    assert mine.reference not in refs(rows)


def test_a_caseworkers_csv_holds_only_their_cases_and_no_other_agencys(client, auth, world):
    mine = worked_case(world)
    colleague = worked_case(world, assigned_to_id=world.other_caseworker.id)
    other_agency = factories.case(
        world.other_business, world.other_agency, status=CaseStatus.IN_COLLECTION
    )
    db.session.commit()
    auth.login(world.caseworker)
    _, rows = download(client, f"?caseworker={world.other_caseworker.id}")
    assert list(refs(rows)) == [mine.reference]
    assert colleague.reference not in refs(rows) and other_agency.reference not in refs(rows)
    auth.logout()
    auth.login(world.other_agency_admin)
    _, rows = download(client)
    assert list(refs(rows)) == [other_agency.reference]


def test_agency_csv_escapes_formula_text_but_not_amounts(client, auth, world):
    debtor = factories.debtor(world.business, name="@SUM(A1:A9)")
    case = worked_case(world, debtor=debtor)
    auth.login(world.agency_admin)
    _, rows = download(client)
    row = refs(rows)[case.reference]
    assert row[2] == "'@SUM(A1:A9)"
    assert row[5] == "45000.00" and row[7] == "45000.00"


# --- the contact form's one-time token ---------------------------------------------------


def count_entries(case) -> int:
    return db.session.scalar(
        select(func.count(CorrespondenceEntry.id)).where(CorrespondenceEntry.case_id == case.id)
    )


def test_a_double_submitted_contact_form_records_once(client, auth, world, monkeypatch):
    case = worked_case(world)
    freeze(monkeypatch, at(NAIROBI, 2026, 3, 3, 10, 30))
    auth.login(world.caseworker)
    form = contact_form(token="contact-token-1")
    first = client.post(f"/cases/{case.id}/contacts", data=form)
    second = client.post(f"/cases/{case.id}/contacts", data=form, follow_redirects=True)
    assert first.status_code == 302 and second.status_code == 200
    assert count_entries(case) == 1
    assert "already logged" in second.get_data(as_text=True)
    client.post(
        f"/cases/{case.id}/contacts",
        data=contact_form(token="contact-token-2", direction="inbound"),
    )
    assert count_entries(case) == 2


def test_a_contact_token_used_on_another_case_is_refused(client, auth, world, monkeypatch):
    one, two = worked_case(world), worked_case(world)
    freeze(monkeypatch, at(NAIROBI, 2026, 3, 3, 10, 30))
    auth.login(world.caseworker)
    client.post(f"/cases/{one.id}/contacts", data=contact_form(token="reused"))
    response = client.post(f"/cases/{two.id}/contacts", data=contact_form(token="reused"))
    assert response.status_code == 422
    assert count_entries(two) == 0


def test_the_contact_form_carries_a_fresh_one_time_token(client, auth, world, monkeypatch):
    case = worked_case(world)
    freeze(monkeypatch, at(NAIROBI, 2026, 3, 3, 10, 30))
    auth.login(world.caseworker)
    tokens = [
        client.get(f"/cases/{case.id}").get_data(as_text=True).split('name="token"')[1][:80]
        for _ in range(2)
    ]
    assert tokens[0] != tokens[1]
