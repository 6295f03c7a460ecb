"""The case form: a draft with its debtor, invoices, terms, history and documents."""

from datetime import date, timedelta

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Case, CaseStatus, CorrespondenceEntry, Debtor, Document
from tests import factories
from tests.cases.helpers import case_form, history, invoice, only_case, pdf, upload


def _post(client, data, url="/cases/new"):
    return client.post(url, data=data, content_type="multipart/form-data")


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_complete_form_saves_a_draft_with_its_debtor_invoices_and_history(client, auth, world):
    auth.login(world.business_member)
    data = case_form(rows=2) | invoice(1, amount="2,500.50", paid="500")
    response = _post(client, data)
    assert response.status_code == 302
    case = only_case(world.business)
    assert case.status == CaseStatus.DRAFT and case.reference is None
    assert case.debtor.name == "Kilimani Hardware Ltd"
    assert case.debtor.timezone == "Africa/Nairobi"  # the country's zone by default
    assert case.debtor.emails == ["accounts@kilimani.example"]
    assert sorted(i.amount_minor for i in case.invoices) == [1_000_00, 2_500_50]
    assert case.outstanding_minor == 1_000_00 + 2_000_50
    assert _count(CorrespondenceEntry) == 1
    assert case.created_by_id == world.business_member.id


def test_empty_invoice_rows_are_ignored(client, auth, world):
    auth.login(world.business_admin)
    data = case_form() | {f"invoices-1-{k}": "" for k in ("number", "issue_date", "due_date")}
    data |= {"invoices-1-amount": "  ", "invoices-1-paid": "", "invoices-2-number": ""}
    assert _post(client, data).status_code == 302
    assert len(only_case(world.business).invoices) == 1


def test_a_due_date_before_the_issue_date_is_refused_beside_the_field(client, auth, world):
    auth.login(world.business_admin)
    response = _post(client, case_form() | invoice(0, issued=30, due=40))
    assert response.status_code == 200
    page = response.data.decode()
    assert 'id="invoices-0-due_date-error"' in page
    assert "The due date is before the issue date." in page
    assert _count(Case) == 0


def test_an_issue_date_in_the_future_is_refused(client, auth, world):
    auth.login(world.business_admin)
    future = (date.today() + timedelta(days=5)).isoformat()
    response = _post(client, case_form() | invoice(0, issued=future, due=future))
    assert "The issue date is in the future." in response.data.decode()
    assert _count(Case) == 0


def test_a_contact_in_the_future_is_refused(client, auth, world):
    auth.login(world.business_admin)
    later = (date.today() + timedelta(days=2)).isoformat() + "T09:00"
    response = _post(client, case_form() | history(0, when=later))
    page = response.data.decode()
    assert 'id="history-0-occurred_at-error"' in page
    assert "This is in the future" in page
    assert _count(Case) == 0


def test_an_amount_of_zero_or_less_is_refused(client, auth, world):
    auth.login(world.business_admin)
    for typed in ("0", "-10.00"):
        response = _post(client, case_form() | invoice(0, amount=typed))
        page = response.data.decode()
        assert 'id="invoices-0-amount-error"' in page, typed
        assert "The amount must be more than zero." in page, typed
    assert _count(Case) == 0


def test_an_amount_that_is_not_a_number_is_refused_with_its_reason(client, auth, world):
    auth.login(world.business_admin)
    page = _post(client, case_form() | invoice(0, amount="ten thousand")).data.decode()
    assert "is not an amount" in page
    page = _post(client, case_form() | invoice(0, amount="10.505")).data.decode()
    assert "KES amounts have at most 2 decimals." in page
    assert _count(Case) == 0


def test_paid_above_the_amount_is_refused(client, auth, world):
    auth.login(world.business_admin)
    response = _post(client, case_form() | invoice(0, amount="100", paid="150"))
    page = response.data.decode()
    assert 'id="invoices-0-paid-error"' in page
    assert "Already paid is more than the amount." in page
    assert _count(Case) == 0


def test_an_unknown_currency_is_refused(client, auth, world):
    auth.login(world.business_admin)
    response = _post(client, case_form(currency="KSH"))
    page = response.data.decode()
    assert 'id="currency-error"' in page
    assert "is not a currency code we know" in page
    assert _count(Case) == 0


def test_the_same_invoice_number_twice_is_refused(client, auth, world):
    auth.login(world.business_admin)
    data = case_form(rows=2) | invoice(1, number="INV-1")
    page = _post(client, data).data.decode()
    assert "Invoice INV-1 is listed twice." in page
    assert _count(Case) == 0


def test_a_form_without_any_invoice_is_refused(client, auth, world):
    auth.login(world.business_admin)
    data = case_form() | dict.fromkeys(invoice(0), "")
    page = _post(client, data).data.decode()
    assert "Enter at least one invoice." in page
    assert _count(Case) == 0


def test_the_debtor_needs_a_name_and_a_real_email(client, auth, world):
    auth.login(world.business_admin)
    data = case_form(**{"debtor-name": "", "debtor-emails": "not-an-address"})
    page = _post(client, data).data.decode()
    assert "Enter the debtor&#39;s name, or pick a debtor you already have." in page
    assert "is not an e-mail address." in page
    assert _count(Debtor) == 0


def test_a_refused_submit_keeps_every_typed_row(client, auth, world):
    auth.login(world.business_admin)
    data = case_form(rows=3) | invoice(1, number="KEEP-ME-2") | invoice(2, number="KEEP-ME-3")
    data |= invoice(0, amount="0")  # refused
    data |= history(1, summary="Second letter, kept")
    page = _post(client, data).data.decode()
    assert "The amount must be more than zero." in page
    for name in (
        "invoices-0-number",
        "invoices-1-number",
        "invoices-2-number",
        "history-1-summary",
    ):
        assert f'name="{name}"' in page, name
    assert 'value="KEEP-ME-2"' in page and 'value="KEEP-ME-3"' in page
    assert "Second letter, kept" in page
    assert 'value="Kilimani Hardware Ltd"' in page


def test_a_refused_submit_keeps_every_attached_file(client, auth, world):
    auth.login(world.business_admin)
    data = case_form(**{"currency": "XXX1"})
    data["documents-files"] = [upload(pdf(1), "contract.pdf"), upload(pdf(2), "invoice.pdf")]
    data["history-0-files"] = [upload(pdf(3), "reminder.pdf")]
    first = _post(client, data)
    page = first.data.decode()
    assert first.status_code == 200 and "is not a currency code we know" in page
    assert "contract.pdf" in page and "invoice.pdf" in page and "reminder.pdf" in page
    assert _count(Document) == 0
    tokens = _tokens(page, "documents-staged")
    history_tokens = _tokens(page, "history-0-staged")
    assert len(tokens) == 2 and len(history_tokens) == 1
    # Corrected and sent again, without choosing the files again: they are all attached.
    fixed = case_form() | {"documents-staged": tokens, "history-0-staged": history_tokens}
    assert _post(client, fixed).status_code == 302
    case = only_case(world.business)
    names = db.session.scalars(select(Document.filename).where(Document.case_id == case.id)).all()
    assert sorted(names) == ["contract.pdf", "invoice.pdf", "reminder.pdf"]
    entry = db.session.scalars(select(CorrespondenceEntry)).one()
    assert [d.filename for d in entry.documents] == ["reminder.pdf"]


def test_a_file_ticked_for_removal_is_not_attached(client, auth, world):
    auth.login(world.business_admin)
    data = case_form(currency="")
    data["documents-files"] = [upload(pdf(1), "keep.pdf"), upload(pdf(2), "drop.pdf")]
    page = _post(client, data).data.decode()
    keep, drop = _tokens(page, "documents-staged")
    fixed = case_form() | {"documents-staged": [keep, drop], "documents-remove": [drop]}
    assert _post(client, fixed).status_code == 302
    assert db.session.scalars(select(Document.filename)).all() == ["keep.pdf"]


def test_a_forbidden_file_is_refused_with_its_reason_and_the_rest_is_kept(client, auth, world):
    auth.login(world.business_admin)
    data = case_form()
    data["documents-files"] = [upload(b"MZ\x90\x00binary", "invoice.pdf"), upload(pdf(), "ok.pdf")]
    response = _post(client, data)
    page = response.data.decode()
    assert response.status_code == 200
    assert 'id="documents-files-error"' in page
    assert "ok.pdf" in page
    assert _count(Case) == 0


def test_a_staged_token_of_another_user_is_not_accepted(client, auth, world):
    auth.login(world.other_business_admin)
    data = case_form(currency="")
    data["documents-files"] = [upload(pdf(7), "theirs.pdf")]
    token = _tokens(_post(client, data).data.decode(), "documents-staged")[0]
    auth.logout()
    auth.login(world.business_admin)
    page = _post(client, case_form(currency="") | {"documents-staged": token}).data.decode()
    assert "theirs.pdf" not in page
    assert "has expired" in page


def test_adding_a_row_without_javascript_keeps_what_was_typed(client, auth, world):
    auth.login(world.business_admin)
    data = case_form(action="add_invoice") | invoice(0, number="TYPED-1", amount="12,345.00")
    data["documents-files"] = [upload(pdf(4), "kept.pdf")]
    response = _post(client, data)
    page = response.data.decode()
    assert response.status_code == 200
    assert 'value="TYPED-1"' in page and 'value="12,345.00"' in page
    assert 'name="invoices-1-number"' in page  # the new, empty row
    assert "kept.pdf" in page and 'name="documents-staged"' in page
    assert "to correct" not in page  # adding a row is not a refused submit
    assert _count(Case) == 0


def test_adding_history_and_charge_rows_without_javascript(client, auth, world):
    auth.login(world.business_admin)
    page = _post(client, case_form(action="add_history")).data.decode()
    assert 'name="history-1-summary"' in page
    page = _post(client, case_form(action="add_charge")).data.decode()
    assert 'name="charge_terms-1-kind"' in page


def test_the_running_outstanding_total_is_shown_without_javascript(client, auth, world):
    auth.login(world.business_admin)
    data = case_form(action="add_invoice", rows=2) | invoice(1, amount="2,000", paid="500")
    page = _post(client, data).data.decode()
    assert "KES\xa02,500.00" in page


def test_picking_an_existing_debtor_uses_it_without_typing_it_again(client, auth, world):
    known = factories.debtor(world.business, name="Westlands Traders")
    db.session.commit()
    auth.login(world.business_admin)
    data = case_form(**{"debtor_id": str(known.id), "debtor-name": "", "debtor-country": ""})
    assert _post(client, data).status_code == 302
    assert only_case(world.business).debtor_id == known.id
    assert _count(Debtor) == 1


def test_a_debtor_of_another_business_cannot_be_picked(client, auth, world):
    foreign = factories.debtor(world.other_business, name="Baobab's Customer")
    db.session.commit()
    auth.login(world.business_admin)
    response = _post(client, case_form(**{"debtor_id": str(foreign.id)}))
    page = response.data.decode()
    assert response.status_code == 200
    assert "Not a valid choice" in page
    assert "Baobab&#39;s Customer" not in page
    assert _count(Case) == 0


def test_a_draft_stays_editable_and_its_rows_are_replaced(client, auth, world):
    auth.login(world.business_admin)
    _post(client, case_form(rows=2))
    case = only_case(world.business)
    edit = client.get(f"/cases/{case.id}/edit").data.decode()
    assert 'value="INV-2"' in edit and "Kilimani Hardware Ltd" in edit
    data = case_form(name="Kilimani Hardware Limited", with_history=False)
    data |= invoice(0, number="INV-1", amount="750")
    assert _post(client, data, f"/cases/{case.id}/edit").status_code == 302
    db.session.refresh(case)
    assert [i.number for i in case.invoices] == ["INV-1"]
    assert case.outstanding_minor == 750_00
    assert case.debtor.name == "Kilimani Hardware Limited"
    assert _count(Debtor) == 1  # the draft's own debtor was updated, not copied


def test_a_submitted_case_can_no_longer_be_edited(client, auth, world):
    case = factories.case(world.business, world.agency, status=CaseStatus.SUBMITTED)
    db.session.commit()
    auth.login(world.business_admin)
    response = client.get(f"/cases/{case.id}/edit")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/{case.id}")
    response = _post(client, case_form(), f"/cases/{case.id}/edit")
    assert response.status_code == 302
    db.session.refresh(case)
    assert case.debtor.name != "Kilimani Hardware Ltd"


def test_charge_terms_are_recorded_and_interest_needs_a_rate(client, auth, world):
    auth.login(world.business_admin)
    data = case_form(**{"charge_terms-0-kind": "interest", "charge_terms-0-rate": ""})
    page = _post(client, data).data.decode()
    assert "Interest needs a yearly rate." in page
    data = case_form(**{"charge_terms-0-kind": "interest", "charge_terms-0-rate": "8.5"})
    data |= {"charge_terms-0-clause": "clause 7.2"}
    assert _post(client, data).status_code == 302
    (term,) = only_case(world.business).charge_terms
    assert (term.annual_rate_bps, term.clause) == (850, "clause 7.2")


def test_garbage_in_every_field_is_answered_without_a_500(client, auth, world):
    auth.login(world.business_admin)
    data = case_form(
        **{
            "debtor_id": "abc",
            "debtor-kind": "robot",
            "debtor-country": "ZZ",
            "debtor-timezone": "Mars/Base",
            "invoices-0-issue_date": "31/02/2026",
            "invoices-0-amount": "1e999",
            "history-0-channel": "pigeon",
            "history-0-occurred_at": "yesterday",
            "charge_terms-0-kind": "bribe",
            "documents-staged": "x" * 5000,
            "invoices-999999-number": "far away",
            "action": "add_nothing",
        }
    )
    response = _post(client, data)
    assert response.status_code == 200
    assert _count(Case) == 0


def _tokens(page: str, name: str) -> list[str]:
    import re

    return re.findall(rf'name="{name}" value="([^"]+)"', page)
