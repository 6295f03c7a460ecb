"""The bulk handover, through its pages: upload, columns, preview, confirm. One test per rule."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from portal import audit
from portal.documents.services import storage
from portal.extensions import db
from portal.imports import services
from portal.models import Case, CaseStatus, Debtor, DebtorKind, Event, ImportMapping
from tests import factories
from tests.imports.helpers import (
    PLAIN,
    PLAIN_COLUMNS,
    QBD,
    QBO,
    XERO,
    case_count,
    cases_by_debtor,
    confirm,
    error_beside,
    map_columns,
    page_text,
    preview_of,
    sample,
    step_after_upload,
    upload,
)

KAMAU = "Kamau Hardware & Sons"


@pytest.fixture
def signed_in(client, auth, world):
    auth.login(world.business_member)
    return world


def stored_keys() -> set[str]:
    return {key for key, _ in storage().list_keys()}


def event_kinds() -> list[str]:
    db.session.expire_all()
    return [event.kind for event in db.session.scalars(select(Event).order_by(Event.id))]


def pending_key(world, token: str) -> str:
    return services.pending_from_token(token, world.business_member).key


# --- upload: recognised formats and plain files ---------------------------------------------


@pytest.mark.parametrize(
    ("name", "debtors"),
    [
        (QBO, ["Riverside Clinic", KAMAU, "Wanjiru Catering Services", "Lakeview Academy"]),
        (QBD, [KAMAU, "Lakeview Academy"]),
        (XERO, [KAMAU, "Wanjiru Catering Services"]),
    ],
)
def test_recognised_export_needs_no_mapping(client, signed_in, name, debtors):
    location = step_after_upload(client, sample(name), name)

    assert "/preview" in location
    text = page_text(client.get(location))
    for debtor in debtors:
        assert debtor in text
    assert "0 Problems" in text


def test_plain_file_goes_to_the_mapping_step_with_its_headers_offered(client, signed_in):
    location = step_after_upload(client, sample(PLAIN), PLAIN)

    assert "/columns" in location
    response = client.get(location)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<option selected value="debtor_name">debtor_name</option>' in html
    assert "Kamau Hardware &amp; Sons" in html  # the first values of each column are shown


def test_mapping_step_needs_every_required_field(client, signed_in):
    location = step_after_upload(client, sample(PLAIN), PLAIN)
    columns = {k: v for k, v in PLAIN_COLUMNS.items() if k not in ("due_date", "issue_date")}

    response = map_columns(client, location, columns)

    assert response.status_code == 422
    assert error_beside(response, "due_date") == "Choose the column that holds the due date."
    assert "issue date" in error_beside(response, "issue_date")


def test_mapping_step_refuses_one_column_for_two_fields(client, signed_in):
    location = step_after_upload(client, sample(PLAIN), PLAIN)

    response = map_columns(client, location, {**PLAIN_COLUMNS, "due_date": "issue_date"})

    assert response.status_code == 422
    assert "already chosen for issue date" in error_beside(response, "due_date")


def test_mapping_step_refuses_a_column_the_file_does_not_have(client, signed_in):
    location = step_after_upload(client, sample(PLAIN), PLAIN)

    response = map_columns(client, location, {**PLAIN_COLUMNS, "amount": "Total due"})

    assert response.status_code == 422
    assert "amount" in response.get_data(as_text=True)
    assert case_count() == 0


def test_saved_mapping_is_offered_and_reused_for_the_next_file(client, signed_in, world):
    location = step_after_upload(client, sample(PLAIN), PLAIN)
    saved = map_columns(client, location, PLAIN_COLUMNS, save_as="Our ledger", date_order="DMY")
    assert saved.status_code == 302
    mapping = db.session.scalars(select(ImportMapping)).one()
    assert (mapping.business_id, mapping.name) == (world.business.id, "Our ledger")
    assert mapping.columns == PLAIN_COLUMNS

    page = page_text(client.get("/imports/"))
    assert "Our ledger" in page  # offered on the upload page
    again = upload(client, sample(PLAIN), "next-month.csv", mapping_id=str(mapping.id))

    assert "/preview" in again.headers["Location"]  # no mapping step the second time
    assert response_ok_and(client.get(again.headers["Location"]), "3 Invoices")


def response_ok_and(response, fragment: str) -> bool:
    return response.status_code == 200 and fragment in page_text(response)


def test_saved_mapping_prefills_the_mapping_step_and_names_missing_columns(client, signed_in):
    columns = dict(PLAIN_COLUMNS, amount="Invoice total")
    mapping = services.save_mapping(signed_in.business_member, "Old layout", columns, "MDY")
    db.session.commit()
    location = step_after_upload(client, sample(PLAIN), PLAIN)

    response = client.get(f"{location}?saved={mapping.id}")

    html = response.get_data(as_text=True)
    assert '<option selected value="MDY">' in html
    assert '<option selected value="notes">notes</option>' in html
    assert "expects a column “Invoice total” for amount" in page_text(response)


def test_saved_mapping_of_another_business_is_not_found(client, signed_in, world):
    other = services.save_mapping(world.other_business_admin, "Theirs", dict(PLAIN_COLUMNS), "DMY")
    db.session.commit()
    location = step_after_upload(client, sample(PLAIN), PLAIN)

    assert client.get(f"{location}?saved={other.id}").status_code == 404
    assert client.post(f"/imports/mappings/{other.id}/delete").status_code == 404
    assert db.session.get(ImportMapping, other.id) is not None


def test_saved_mapping_can_be_deleted(client, signed_in):
    mapping = services.save_mapping(signed_in.business_member, "Old", dict(PLAIN_COLUMNS), "DMY")
    db.session.commit()

    response = client.post(f"/imports/mappings/{mapping.id}/delete")

    assert response.status_code == 302
    assert db.session.scalars(select(ImportMapping)).all() == []


# --- currency ----------------------------------------------------------------------------------


def test_currency_select_defaults_to_the_business_currency(client, signed_in):
    html = client.get("/imports/").get_data(as_text=True)

    assert '<option selected value="KES">' in html


def test_currency_from_the_select_applies_when_the_file_names_none(client, signed_in):
    token, _ = preview_of(client, sample(QBD), QBD, currency="UGX")
    # UGX has no minor unit: "45,000.00" is exact, "12,750.50" is not
    text = page_text(client.get(f"/imports/{token}/preview"))
    assert "UGX amounts have no decimals" in text

    token, _ = preview_of(client, sample(XERO).replace(b"12750.50", b"12750.00"), XERO,
                          currency="USD")  # fmt: skip
    assert confirm(client, token).status_code == 302
    assert {case.currency for case in cases_by_debtor().values()} == {"USD"}


def test_currency_in_the_file_wins_over_the_select(client, signed_in):
    content = sample(PLAIN).replace(b",KES,Part-paid", b",USD,Part-paid")

    token, _ = preview_of(client, content, PLAIN, currency="EUR")
    assert confirm(client, token).status_code == 302

    cases = cases_by_debtor()
    assert cases[KAMAU].currency == "KES"
    assert cases["Grace Wanjirũ Njoroge"].currency == "USD"


# --- grouping, preview, confirm ---------------------------------------------------------------


def test_invoices_are_grouped_into_one_draft_case_per_debtor(client, signed_in, world):
    token, _ = preview_of(client, sample(QBO), QBO)

    assert confirm(client, token).status_code == 302

    cases = cases_by_debtor()
    assert sorted(cases) == sorted(
        ["Riverside Clinic", KAMAU, "Wanjiru Catering Services", "Lakeview Academy"]
    )
    assert all(case.status == CaseStatus.DRAFT for case in cases.values())
    assert all(case.business_id == world.business.id for case in cases.values())
    assert [i.number for i in cases["Wanjiru Catering Services"].invoices] == ["0988", "0995"]
    assert cases["Wanjiru Catering Services"].outstanding_minor == 113_300_00


def test_credit_memo_is_taken_off_the_oldest_invoice(client, signed_in):
    token, _ = preview_of(client, sample(QBO), QBO)
    confirm(client, token)

    kamau = cases_by_debtor()[KAMAU]
    assert [(i.number, i.amount_minor, i.paid_minor) for i in kamau.invoices] == [
        ("1031", 45_000_00, 2_000_00),
        ("1036", 12_750_50, 0),
    ]
    assert kamau.outstanding_minor == 55_750_50
    assert "Credit Memo CM-12" in kamau.notes


def test_preview_shows_cases_and_totals_before_anything_is_saved(client, signed_in):
    _, response = preview_of(client, sample(QBO), QBO)

    text = page_text(response)
    assert response.status_code == 200
    assert "4 Draft cases (one per debtor)" in text
    assert "6 Invoices" in text
    assert "KES 1,381,950.50 Outstanding in KES" in text
    assert "Kamau Hardware & Sons 2 1 KES 55,750.50" in text
    assert case_count() == 0


def test_quickbooks_file_with_one_bad_row_shows_the_error_saves_nothing_and_the_fix_imports(
    client, signed_in
):
    bad = sample(QBO).replace(b'"Invoice","1036"', b'"Invoice",""')

    token, response = preview_of(client, bad, QBO)

    text = page_text(response)
    assert "1 problem to correct in the file" in text
    assert "11 Num Invoice number is missing." in text  # row, column, message
    assert "Create 4 draft cases" not in text
    refused = confirm(client, token)
    assert refused.status_code == 422
    assert case_count() == 0

    token, _ = preview_of(client, sample(QBO), QBO)
    assert confirm(client, token).status_code == 302
    assert case_count() == 4


def test_confirming_creates_everything_in_one_transaction_or_nothing(
    client, signed_in, monkeypatch
):
    token, _ = preview_of(client, sample(QBO), QBO)
    monkeypatch.setattr(services, "CASES_PER_BATCH", 1)  # each draft is written on its own
    real_check, real_write, checked, written = services._check_draft, services._write_drafts, [], []

    def refuse_the_third(data, today):
        checked.append(data)
        if len(checked) == 3:
            raise services.DomainError("The amount must be more than zero.")
        return real_check(data, today)

    def write(writer, drafts):
        written.append(drafts)
        return real_write(writer, drafts)

    monkeypatch.setattr(services, "_check_draft", refuse_the_third)
    monkeypatch.setattr(services, "_write_drafts", write)
    events = event_kinds()

    response = confirm(client, token)

    assert len(written) == 2  # two drafts were written before the third was refused
    assert response.status_code == 422
    assert "Nothing was imported" in page_text(response)
    assert "The amount must be more than zero." in page_text(response)
    assert case_count() == 0
    assert db.session.scalars(select(Debtor)).all() == []
    assert event_kinds() == events


def test_an_error_while_writing_leaves_nothing_and_the_import_can_be_retried(
    client, signed_in, app, monkeypatch
):
    token, _ = preview_of(client, sample(QBO), QBO)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    monkeypatch.setattr(services, "CASES_PER_BATCH", 1)
    real_write, calls = services._write_drafts, []

    def fail_second(writer, drafts):
        calls.append(drafts)
        if len(calls) == 2:
            raise RuntimeError("the database went away")
        return real_write(writer, drafts)

    monkeypatch.setattr(services, "_write_drafts", fail_second)
    events = event_kinds()

    assert confirm(client, token).status_code == 500
    assert case_count() == 0
    assert db.session.scalars(select(Debtor)).all() == []
    assert event_kinds() == events
    monkeypatch.setattr(services, "_write_drafts", real_write)
    assert confirm(client, token).status_code == 302
    assert case_count() == 4


def test_duplicate_invoice_number_for_one_debtor_is_a_problem(client, signed_in):
    bad = sample(QBO).replace(b'"Invoice","1036"', b'"Invoice","1031"')

    _, response = preview_of(client, bad, QBO)

    assert "Invoice 1031 is listed twice for Kamau Hardware & Sons (also on row 10)" in (
        page_text(response)
    )


def test_credits_larger_than_the_invoices_are_a_problem(client, signed_in):
    bad = sample(QBO).replace(b'"-2,000.00","-2,000.00"', b'"-90,000.00","-90,000.00"')

    _, response = preview_of(client, bad, QBO)

    assert "Nothing is outstanding for Kamau Hardware & Sons" in page_text(response)


def test_plain_file_gives_debtor_details_and_paid_amounts(client, signed_in):
    token, _ = preview_of(client, sample(PLAIN), PLAIN)
    confirm(client, token)

    cases = cases_by_debtor()
    kamau, grace = cases[KAMAU].debtor, cases["Grace Wanjirũ Njoroge"]
    assert (kamau.kind, kamau.account_number, kamau.contact_person) == (
        DebtorKind.COMPANY, "C-0041", "Peter Kamau",
    )  # fmt: skip
    assert kamau.emails == ["accounts@kamau-hardware.example"]
    assert kamau.phones == ["+254 722 000 111"]
    assert kamau.address == "Moi Avenue 12\nNairobi"
    assert (kamau.country, kamau.timezone) == ("KE", "Africa/Nairobi")
    assert grace.debtor.kind == DebtorKind.PERSON
    assert [(i.amount_minor, i.paid_minor) for i in grace.invoices] == [(128_300_00, 30_000_00)]
    assert "promised payment by month end" in cases[KAMAU].notes


def test_a_debtor_the_business_already_has_is_reused(client, signed_in, world):
    existing = factories.debtor(world.business, name="Lakeview Academy")
    db.session.commit()
    token, _ = preview_of(client, sample(QBD), QBD)

    confirm(client, token)

    assert cases_by_debtor()["Lakeview Academy"].debtor_id == existing.id
    assert len(db.session.scalars(select(Debtor)).all()) == 2


def test_a_debtor_of_another_business_is_never_reused(client, signed_in, world):
    theirs = factories.debtor(world.other_business, name="Lakeview Academy")
    db.session.commit()
    token, _ = preview_of(client, sample(QBD), QBD)

    confirm(client, token)

    debtor = cases_by_debtor()["Lakeview Academy"].debtor
    assert debtor.id != theirs.id and debtor.business_id == signed_in.business.id


def test_a_debtor_the_business_already_has_is_found_by_account_number_else_by_name(
    client, signed_in, world
):
    by_account = factories.debtor(world.business, name="Kamau Hardware Ltd", account_number="C-1")
    by_name = factories.debtor(world.business, name="Lakeview Academy")
    db.session.commit()
    content = (
        b"account_number,debtor_name,invoice_number,issue_date,due_date,amount\n"
        b"C-1,Kamau Hardware & Sons,1,2026-01-01,2026-02-01,10\n"
        b",LAKEVIEW ACADEMY,2,2026-01-01,2026-02-01,20\n"
        b"C-9,Lakeview Academy,3,2026-01-01,2026-02-01,30\n"
    )
    token, _ = preview_of(client, content, "accounts.csv")

    assert confirm(client, token).status_code == 302

    cases = db.session.scalars(select(Case).order_by(Case.id)).all()
    assert [case.debtor_id for case in cases[:2]] == [by_account.id, by_name.id]
    assert cases[2].debtor_id not in (by_account.id, by_name.id)  # an account number of its own
    assert cases[2].debtor.account_number == "C-9"
    assert len(db.session.scalars(select(Debtor)).all()) == 3


def test_one_debtor_in_two_currencies_gets_two_cases_and_one_debtor(client, signed_in):
    content = (
        b"account_number,debtor_name,invoice_number,issue_date,due_date,amount,currency\n"
        b"A-1,Ama Traders,1,2026-01-01,2026-02-01,10,KES\n"
        b"A-1,Ama Traders,2,2026-01-01,2026-02-01,20,USD\n"
        b",ama traders,3,2026-01-01,2026-02-01,30,EUR\n"
        b"B-2,Kofi Stores,4,2026-01-01,2026-02-01,5,KES\n"
    )

    token, response = preview_of(client, content, "accounts.csv")
    assert "4 Draft cases" in page_text(response)
    assert confirm(client, token).status_code == 302

    cases = db.session.scalars(select(Case).order_by(Case.id)).all()
    assert [case.currency for case in cases] == ["KES", "USD", "EUR", "KES"]
    ama = {case.debtor_id for case in cases[:3]}
    assert len(ama) == 1  # the same debtor: by account number, then by name
    assert len(db.session.scalars(select(Debtor)).all()) == 2


def test_every_imported_case_has_its_draft_money_and_history_event(client, signed_in, world):
    token, _ = preview_of(client, sample(QBO), QBO)

    confirm(client, token)

    cases = cases_by_debtor()
    for name, case in cases.items():
        assert case.status == CaseStatus.DRAFT and case.reference is None
        assert case.created_by_id == world.business_member.id
        assert case.checklist and not any(case.checklist.values())
        assert case.checklist_confirmed_at is None
        assert all(isinstance(i.amount_minor, int) and i.amount_minor > 0 for i in case.invoices)
        events = db.session.scalars(select(Event).where(Event.case_id == case.id)).all()
        assert [(e.kind, e.summary, e.actor_id) for e in events] == [
            (
                "case_created",
                f"Draft created for debtor #{case.debtor_id}",
                world.business_member.id,
            )
        ]
        assert name not in events[0].summary  # erasable details stay out of the sealed trail
    assert cases["Wanjiru Catering Services"].debtor.business_id == world.business.id
    assert audit.verify(db.session.connection()).ok  # every event sealed into the chain


def test_many_debtors_are_written_in_batches_with_nothing_lost(client, signed_in, monkeypatch):
    monkeypatch.setattr(services, "CASES_PER_BATCH", 7)
    lines = ["account_number,debtor_name,invoice_number,issue_date,due_date,amount"]
    lines += [f"D-{n},Debtor {n},INV-{n}-{k},2026-01-01,2026-02-01,{n}.{k}0" for n in range(1, 31)
              for k in range(2)]  # fmt: skip

    token, _ = preview_of(client, ("\n".join(lines) + "\n").encode(), "many.csv")
    assert confirm(client, token).status_code == 302

    cases = cases_by_debtor()
    assert len(cases) == 30
    for n in range(1, 31):
        case = cases[f"Debtor {n}"]
        assert case.debtor.account_number == f"D-{n}"
        assert sorted((i.number, i.amount_minor) for i in case.invoices) == [
            (f"INV-{n}-0", n * 100), (f"INV-{n}-1", n * 100 + 10),
        ]  # fmt: skip


def test_confirm_uses_the_previews_reading_and_removes_it(client, signed_in, monkeypatch):
    token, _ = preview_of(client, sample(QBO), QBO)
    pending = services.pending_from_token(token, signed_in.business_member)
    prefix = services._reading_prefix(pending)
    assert list(services._readings_folder().glob(prefix + "-*"))
    monkeypatch.setattr(services, "_fill", None)  # the file is not read again

    assert confirm(client, token).status_code == 302

    assert case_count() == 4
    assert not list(services._readings_folder().glob(prefix + "-*"))


def test_a_reading_kept_for_one_day_is_not_used_on_another(client, signed_in, world):
    content = (
        b"debtor_name,invoice_number,issue_date,due_date,amount\nAma,1,2026-05-10,2026-06-01,10\n"
    )
    token, _ = preview_of(client, content, "accounts.csv")
    pending = services.pending_from_token(token, world.business_member)
    assert services.preview(pending, date(2026, 5, 10)).ok  # kept for that day

    with pytest.raises(services.ImportRefused) as refused:
        services.confirm(pending, world.business_member, date(2026, 5, 9))

    assert "Issue date 2026-05-10 is in the future." in [
        p.message for p in refused.value.preview.problems
    ]
    db.session.rollback()
    assert case_count() == 0


def test_a_preview_with_problems_keeps_no_reading_and_discarding_removes_one(client, signed_in):
    bad = sample(QBO).replace(b'"Invoice","1036"', b'"Invoice",""')
    token, _ = preview_of(client, bad, QBO)
    pending = services.pending_from_token(token, signed_in.business_member)
    assert not list(services._readings_folder().glob(services._reading_prefix(pending) + "-*"))

    token, _ = preview_of(client, sample(QBO), QBO)
    pending = services.pending_from_token(token, signed_in.business_member)
    assert list(services._readings_folder().glob(services._reading_prefix(pending) + "-*"))
    client.post(f"/imports/{token}/cancel")
    assert not list(services._readings_folder().glob(services._reading_prefix(pending) + "-*"))


def test_preview_lists_at_most_200_cases_and_counts_the_rest(client, signed_in):
    lines = ["debtor_name,invoice_number,issue_date,due_date,amount"]
    lines += [f"Debtor {n},INV-{n},2026-01-01,2026-02-01,10.00" for n in range(250)]

    _, response = preview_of(client, ("\n".join(lines) + "\n").encode(), "many.csv")

    text = page_text(response)
    assert "250 Draft cases" in text
    assert "50 more cases will be created as well" in text
    assert "Debtor 199 " in text and "Debtor 200 " not in text


def test_problem_list_is_capped_with_a_count(client, signed_in):
    lines = ["debtor_name,invoice_number,issue_date,due_date,amount"]
    lines += [f"Debtor {n},INV-{n},2026-01-01,2026-02-01,zero" for n in range(230)]

    _, response = preview_of(client, ("\n".join(lines) + "\n").encode(), "bad.csv")

    text = page_text(response)
    assert "230 problems to correct in the file" in text
    assert "And 30 more problems not listed here" in text


# --- the pending upload ---------------------------------------------------------------------


def test_upload_survives_between_the_steps_without_uploading_again(client, signed_in):
    token, first = preview_of(client, sample(QBO), QBO)

    again = client.get(f"/imports/{token}/preview")

    assert first.status_code == again.status_code == 200
    assert storage().exists(pending_key(signed_in, token))
    assert confirm(client, token).status_code == 302


def test_upload_is_deleted_after_confirming(client, signed_in):
    token, _ = preview_of(client, sample(QBO), QBO)
    key = pending_key(signed_in, token)

    confirm(client, token)

    assert not storage().exists(key)
    twice = confirm(client, token)  # a double click imports nothing twice
    assert twice.status_code == 302 and twice.headers["Location"].endswith("/imports/")
    assert case_count() == 4


def test_discarding_deletes_the_upload(client, signed_in):
    token, _ = preview_of(client, sample(QBO), QBO)
    key = pending_key(signed_in, token)

    assert client.post(f"/imports/{token}/cancel").status_code == 302

    assert not storage().exists(key)
    assert case_count() == 0


def test_expired_upload_is_deleted_and_must_be_uploaded_again(client, signed_in, monkeypatch):
    token, _ = preview_of(client, sample(QBO), QBO)
    key = pending_key(signed_in, token)
    monkeypatch.setattr(services, "PENDING_MAX_AGE", timedelta(seconds=-1))

    response = client.get(f"/imports/{token}/preview", follow_redirects=True)

    assert "That upload has expired" in page_text(response)
    assert not storage().exists(key)


def test_upload_is_tied_to_the_person_who_uploaded_it(client, auth, signed_in, world):
    token, _ = preview_of(client, sample(QBO), QBO)
    auth.logout()
    auth.login(world.business_admin)  # a colleague, same business

    assert client.get(f"/imports/{token}/preview").status_code == 404
    assert client.post(f"/imports/{token}/confirm").status_code == 404
    assert case_count() == 0


def test_forged_upload_token_is_not_found(client, signed_in):
    assert client.get("/imports/not-a-token/preview").status_code == 404


# --- reading the file ---------------------------------------------------------------------


def test_utf8_with_or_without_bom_and_windows_1252_all_read(client, signed_in):
    header = "debtor_name,invoice_number,issue_date,due_date,amount\n"
    text = header + "Grace Wanjirũ,1,2026-01-01,2026-02-01,10\n"
    latin = header + "Müller & Söhne,2,2026-01-01,2026-02-01,10\n"

    for content in (text.encode(), b"\xef\xbb\xbf" + text.encode(), latin.encode("cp1252")):
        token, response = preview_of(client, content, "accounts.csv")
        assert "0 Problems" in page_text(response)
        confirm(client, token)

    names = [debtor.name for debtor in db.session.scalars(select(Debtor).order_by(Debtor.id))]
    assert names == ["Grace Wanjirũ", "Müller & Söhne"]  # the second upload reused the debtor


def test_blank_lines_and_totals_rows_are_skipped_not_errors(client, signed_in):
    content = (
        b"Overdue accounts\n\n"
        b"debtor_name,invoice_number,issue_date,due_date,amount\n"
        b"Ama Traders,1,2026-01-01,2026-02-01,10\n"
        b",,,,\n\n"
        b"Kofi Stores,2,2026-01-01,2026-02-01,5\n"
        b"Total,,,,15\n"
    )

    token, response = preview_of(client, content, "accounts.csv")

    assert "0 Problems" in page_text(response)
    assert confirm(client, token).status_code == 302
    assert sorted(cases_by_debtor()) == ["Ama Traders", "Kofi Stores"]


def test_a_formula_looking_cell_is_stored_as_text(client, signed_in):
    content = (
        b"debtor_name,invoice_number,issue_date,due_date,amount,contact_person,notes\n"
        b'"=HYPERLINK(""http://x.example"",""pay"")",-7,2026-01-01,2026-02-01,10,@admin,+1 call\n'
    )

    token, response = preview_of(client, content, "accounts.csv")
    assert "0 Problems" in page_text(response)
    confirm(client, token)

    case = db.session.scalars(select(Case)).one()
    assert case.debtor.name == '=HYPERLINK("http://x.example","pay")'
    assert case.debtor.contact_person == "@admin"
    assert case.invoices[0].number == "-7"
    assert "Invoice -7: +1 call" in case.notes


def test_xlsx_workbook_imports(client, signed_in):
    from tests.imports.test_readers import xlsx_invoice_sheet

    token, response = preview_of(client, xlsx_invoice_sheet(), "accounts.xlsx")

    assert "0 Problems" in page_text(response)
    assert confirm(client, token).status_code == 302
    assert sorted(cases_by_debtor()) == [KAMAU, "Lakeview Academy"]


# --- after confirming -------------------------------------------------------------------------


def test_success_names_the_count_links_to_the_drafts_and_says_what_is_left(client, signed_in):
    token, _ = preview_of(client, sample(QBO), QBO)

    response = confirm(client, token)
    page = client.get(response.headers["Location"])

    text = page_text(page)
    assert response.headers["Location"].endswith("/imports/done")
    assert "4 draft cases created from “quickbooks-online-ar-aging-detail.csv”" in text
    assert "correspondence history and the pre-handover checklist" in text
    assert 'href="/cases/?status=draft"' in page.get_data(as_text=True)
    assert "4 of them have no history yet" in text


def test_import_is_recorded_in_the_audit_trail(client, signed_in, world):
    token, _ = preview_of(client, sample(QBD), QBD)

    confirm(client, token)

    kinds = [event.kind for event in db.session.scalars(select(Event).order_by(Event.id))]
    assert kinds.count("case_created") == 2
    assert kinds[-1] == "cases_imported"


# --- bad files: errors beside the field, never a 500 ------------------------------------------


@pytest.mark.parametrize(
    ("content", "filename", "fragment"),
    [
        (None, "", "Choose a CSV or .xlsx file"),
        (b"%PDF-1.7\n", "invoice.pdf", "is not a CSV or .xlsx file"),
        (b"", "empty.csv", "is empty"),
        (bytes(range(256)) * 64, "garbage.csv", "not a text (CSV) file"),
        (b"PK\x03\x04 this is not really a zip", "broken.xlsx", "cannot be opened as an Excel"),
        ("debtor_name,amount\n".encode("utf-16-le"), "utf16.csv", "not a text (CSV) file"),
        (b"a" * (1024 * 1024) + b",due date\n", "wide.csv", "cannot be read"),
    ],
    ids=["no file", "wrong type", "empty", "binary garbage", "xlsx not a zip",
         "unreadable encoding", "1 MB header cell"],
)  # fmt: skip
def test_bad_upload_is_refused_beside_the_file_field(
    client, signed_in, content, filename, fragment
):
    kept_before = stored_keys()

    response = upload(client, content, filename)

    assert response.status_code == 422
    assert fragment in error_beside(response, "file")
    assert stored_keys() == kept_before  # nothing kept


def test_too_large_file_is_refused_beside_the_file_field(client, signed_in, app, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_MAX_BYTES", 1000)

    response = upload(client, sample(QBO), QBO)

    assert response.status_code == 422
    assert error_beside(response, "file").startswith(f"“{QBO}” is larger than")


def test_request_over_the_portal_limit_is_refused_beside_the_file_field(
    client, signed_in, app, monkeypatch
):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 2000)

    response = upload(client, b"x" * 5000, "big.csv")

    assert response.status_code == 413
    assert "is larger than" in error_beside(response, "file")


def test_csv_with_a_1_mb_cell_shows_a_problem_not_a_500(client, signed_in):
    content = b"debtor_name,invoice_number,issue_date,due_date,amount\n" + b"A" * (1024 * 1024)
    content += b",1,2026-01-01,2026-02-01,10\n"

    _, response = preview_of(client, content, "wide.csv")

    assert response.status_code == 200
    assert "cannot be read" in page_text(response)
    assert "Create" not in page_text(response)


def test_long_cells_are_problems_with_short_messages(client, signed_in):
    name = "N" * 5000
    content = (
        "debtor_name,invoice_number,issue_date,due_date,amount\n"
        f"{name},1,2026-01-01,2026-02-01,10\n"
        f"Ama,2,2026-01-01,2026-02-01,{name}\n"
    )

    _, response = preview_of(client, content.encode(), "long.csv")

    text = page_text(response)
    assert "2 debtor_name Debtor name is longer than 200 characters." in text
    assert "3 amount Amount " in text
    assert "N" * 400 not in text


def test_future_issue_date_is_a_problem(client, signed_in):
    future = (date.today() + timedelta(days=30)).isoformat()
    content = f"debtor_name,invoice_number,issue_date,due_date,amount\nAma,1,{future},{future},10\n"

    _, response = preview_of(client, content.encode(), "future.csv")

    assert "is in the future" in page_text(response)
